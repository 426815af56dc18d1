-- Exact incident points in the tile; the res-9 cells of the tile select them through the h3_9
-- index (no GiST index on incident, which keeps imports fast). $4 from, $5 to (days, NULL =
-- open), $6 groups, $7 agencies (NULL = all), $8 limit + 1.
SELECT ST_AsMVT(t, 'handelser', 4096, 'geom', 'fid'), count(*) FROM (
    SELECT i.id AS fid, /*PROPS*/,
           ST_AsMVTGeom(ST_Transform(i.geom, 3857), q.env, 4096, 64, true) AS geom
    FROM q
    JOIN h3_cell hc ON hc.res = 9 AND hc.geom && q.box
    JOIN incident i ON i.h3_9 = hc.cell
    WHERE i.precision = 'exact'
      AND ($4::date IS NULL OR i.occurred_day >= $4) AND ($5::date IS NULL OR i.occurred_day <= $5)
      AND ($6::text[] IS NULL OR i.category_group = ANY ($6))
      AND ($7::text[] IS NULL OR i.agency = ANY ($7))
    LIMIT $8
) t WHERE geom IS NOT NULL
