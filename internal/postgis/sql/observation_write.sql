-- Observations, upserted by (source, source_id); unchanged rows are left alone. The scope
-- columns come from the geometry: the police region and kommun of its point on surface (the
-- nearest region for a point at sea), the areas of every list whose interior its interior
-- meets, and their LPOs. Interiors, not ST_Intersects: an area's indicator (the area's own
-- polygon) would otherwise count in every neighbouring area it touches along the boundary, and
-- a decision scoped to the neighbour would share it (migration 00028 explains).
WITH g AS (
    SELECT s.*, coalesce(a.geom,
        CASE WHEN s.polygon IS NOT NULL THEN ST_Transform(ST_SetSRID(ST_GeomFromWKB(s.polygon), 4326), 3006)
             ELSE ST_Transform(ST_SetSRID(ST_MakePoint(s.lon, s.lat), 4326), 3006) END) AS geom
    FROM stage_observation s LEFT JOIN area a ON a.id = s.area_id
), p AS (
    SELECT g.*, pos.pt,
        coalesce((SELECT r.code FROM police_region r WHERE ST_Intersects(r.geom, pos.pt) ORDER BY r.code LIMIT 1),
                 (SELECT r.code FROM police_region r ORDER BY r.geom <-> pos.pt, r.code LIMIT 1)) AS region_code,
        (SELECT k.code FROM kommun k WHERE ST_Intersects(k.geom, pos.pt) ORDER BY k.code LIMIT 1) AS kommun_code,
        coalesce((SELECT array_agg(a.id ORDER BY a.id) FROM area a WHERE a.geom && g.geom AND ST_Relate(a.geom, g.geom, 'T********')), '{}') AS area_ids,
        coalesce((SELECT array_agg(DISTINCT a.lpo_code ORDER BY a.lpo_code) FROM area a
                  WHERE a.lpo_code IS NOT NULL AND a.geom && g.geom AND ST_Relate(a.geom, g.geom, 'T********')), '{}') AS lpo_codes
    FROM g CROSS JOIN LATERAL (SELECT ST_PointOnSurface(g.geom) AS pt) pos
)
INSERT INTO observation AS t (source, source_id, agency, kind, category, observed_at, value, precision, area_id, h3, geom,
    classification, decision_id, region_code, kommun_code, lpo_codes, area_ids, synthetic)
SELECT source, source_id, agency, kind, category, observed_at, value, precision, area_id, h3, geom,
    classification, decision_id, region_code, kommun_code, lpo_codes, area_ids, synthetic FROM p
ON CONFLICT (source, source_id) DO UPDATE SET agency = EXCLUDED.agency, kind = EXCLUDED.kind, category = EXCLUDED.category,
    observed_at = EXCLUDED.observed_at, value = EXCLUDED.value, precision = EXCLUDED.precision, area_id = EXCLUDED.area_id,
    h3 = EXCLUDED.h3, geom = EXCLUDED.geom, classification = EXCLUDED.classification, decision_id = EXCLUDED.decision_id,
    region_code = EXCLUDED.region_code, kommun_code = EXCLUDED.kommun_code, lpo_codes = EXCLUDED.lpo_codes,
    area_ids = EXCLUDED.area_ids, synthetic = EXCLUDED.synthetic, imported_at = now()
WHERE (t.agency, t.kind, t.category, t.observed_at, t.value, t.precision, t.area_id, t.h3, t.classification,
       t.decision_id, t.synthetic, t.area_ids) IS DISTINCT FROM
      (EXCLUDED.agency, EXCLUDED.kind, EXCLUDED.category, EXCLUDED.observed_at, EXCLUDED.value, EXCLUDED.precision,
       EXCLUDED.area_id, EXCLUDED.h3, EXCLUDED.classification, EXCLUDED.decision_id, EXCLUDED.synthetic, EXCLUDED.area_ids)
   OR NOT ST_Equals(t.geom, EXCLUDED.geom)
RETURNING (xmax = 0) AS inserted
