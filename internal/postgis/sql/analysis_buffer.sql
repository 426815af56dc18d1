-- Exact incidents within $2 metres of area $1 but outside it, in the days [$3, $4) (before)
-- and [$4, $5) (after), all groups or group $6. incident has no spatial index: the candidates
-- are the incidents of the res-9 cells (h3_cell holds every cell with an incident) that meet
-- the buffer, through incident_h3_9_day_idx, then tested against the polygons.
WITH a AS (SELECT geom FROM area WHERE id = $1),
     b AS (SELECT ST_Buffer(a.geom, $2::float8) AS geom FROM a),
     c AS (SELECT h.cell FROM h3_cell h, b WHERE h.res = 9 AND h.geom && b.geom AND ST_Intersects(h.geom, b.geom))
SELECT count(*) FILTER (WHERE i.occurred_day < $4::date)::int,
       count(*) FILTER (WHERE i.occurred_day >= $4::date)::int
FROM incident i, a, b
WHERE i.h3_9 IN (SELECT cell FROM c)
  AND ST_Intersects(i.geom, b.geom) AND NOT ST_Intersects(i.geom, a.geom)
  AND i.occurred_day >= $3::date AND i.occurred_day < $5::date
  AND ($6::text IS NULL OR i.category_group = $6)
