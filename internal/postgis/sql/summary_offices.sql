-- Offices within $2 metres of the areas of list $1 ($3: of one area, or NULL for the whole list).
SELECT a.id, o.agency, o.staffed_hours_per_week
FROM area a
JOIN office o ON ST_DWithin(o.geom, a.geom, $2)
WHERE a.set_year = $1 AND ($3::text IS NULL OR a.id = $3)
