-- The res-8 cells of the areas $1: the cells whose centre lies in the area; an area too small
-- to hold a cell centre gets the cells of its incidents instead (as summary_area_cells).
WITH centre AS (
    SELECT a.id AS area_id, h.cell
    FROM area a
    JOIN h3_cell h ON h.res = 8 AND h.geom && a.geom AND ST_Contains(a.geom, ST_Centroid(h.geom))
    WHERE a.id = ANY ($1::text[])
)
SELECT area_id, cell FROM centre
UNION
SELECT ia.area_id, i.h3_8
FROM incident_area ia
JOIN incident i ON i.id = ia.incident_id
WHERE ia.area_id = ANY ($1::text[]) AND i.h3_8 IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM centre c WHERE c.area_id = ia.area_id)
