-- The res-8 cells of the areas of list $1: the cells whose centre lies in the area; an area too
-- small to hold a cell centre gets the cells of its incidents instead. $2: one area's id, or NULL
-- for the whole list.
WITH centre AS (
    SELECT a.id AS area_id, h.cell
    FROM area a
    JOIN h3_cell h ON h.res = 8 AND h.geom && a.geom AND ST_Contains(a.geom, ST_Centroid(h.geom))
    WHERE a.set_year = $1 AND ($2::text IS NULL OR a.id = $2)
)
SELECT area_id, cell FROM centre
UNION
SELECT ia.area_id, i.h3_8
FROM area a
JOIN incident_area ia ON ia.area_id = a.id
JOIN incident i ON i.id = ia.incident_id
WHERE a.set_year = $1 AND ($2::text IS NULL OR a.id = $2) AND i.h3_8 IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM centre c WHERE c.area_id = a.id)
