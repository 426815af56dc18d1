-- Res-8 cells with incidents in [$2, $3] in the kommuner of list $1, from the daily H3
-- aggregate; a cell belongs to the kommun its centre lies in.
WITH c AS (
    SELECT cell, sum(n)::int AS n
    FROM h3_agg
    WHERE res = 8 AND day BETWEEN $2 AND $3
    GROUP BY cell
)
SELECT DISTINCT ON (c.cell) kp.kommun_code, c.cell, c.n
FROM c
JOIN h3_cell h ON h.cell = c.cell
JOIN kommun_part kp ON ST_Intersects(kp.geom, ST_Centroid(h.geom))
WHERE kp.kommun_code IN (SELECT DISTINCT kommun_code FROM area WHERE set_year = $1)
ORDER BY c.cell, kp.kommun_code
