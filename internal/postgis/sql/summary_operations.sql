-- Operations on the areas of list $1 (by area id or overlapping polygon) starting by $2
-- ($3: on one area, or NULL for the whole list).
SELECT a.id, op.agencies, op.starts_on, op.ends_on, op.person_hours
FROM area a
JOIN operation op ON op.area_id = a.id OR (op.geom && a.geom AND ST_Intersects(op.geom, a.geom))
WHERE a.set_year = $1 AND ($3::text IS NULL OR a.id = $3) AND op.starts_on <= $2
