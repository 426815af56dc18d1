-- +goose Up
-- An observation lies in an area when their interiors meet (issue 15). Migration 00023's import
-- took every area the observation's geometry intersects, and ST_Intersects is true for polygons
-- that only touch: an indicator of Tensta (Tensta's own polygon) was also counted in Hjulsta
-- and Rinkeby, which share a boundary with it, in their pictures and rankings, and a
-- samverkansbeslut scoped to Hjulsta alone shared it. A point on an area's boundary is no longer
-- in the area either, as ST_Contains decides for incidents. The import (observation_write.sql)
-- now uses ST_Relate(area, observation, 'T********'); this recomputes the stored observations
-- and moves the data version on, so no cache keeps the old pictures.
SET LOCAL statement_timeout = 0;
UPDATE observation o SET
    area_ids = coalesce((SELECT array_agg(a.id ORDER BY a.id) FROM area a
                         WHERE a.geom && o.geom AND ST_Relate(a.geom, o.geom, 'T********')), '{}'),
    lpo_codes = coalesce((SELECT array_agg(DISTINCT a.lpo_code ORDER BY a.lpo_code) FROM area a
                          WHERE a.lpo_code IS NOT NULL AND a.geom && o.geom AND ST_Relate(a.geom, o.geom, 'T********')), '{}');
UPDATE data_version SET version = version + 1, changed_at = now();

-- +goose Down
SET LOCAL statement_timeout = 0;
UPDATE observation o SET
    area_ids = coalesce((SELECT array_agg(a.id ORDER BY a.id) FROM area a
                         WHERE a.geom && o.geom AND ST_Intersects(a.geom, o.geom)), '{}'),
    lpo_codes = coalesce((SELECT array_agg(DISTINCT a.lpo_code ORDER BY a.lpo_code) FROM area a
                          WHERE a.lpo_code IS NOT NULL AND a.geom && o.geom AND ST_Intersects(a.geom, o.geom)), '{}');
UPDATE data_version SET version = version + 1, changed_at = now();
