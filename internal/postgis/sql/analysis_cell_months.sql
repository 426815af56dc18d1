-- Exact incidents per res-8 cell and month of the kommuner $1 in the months [$2, $3), all
-- groups (hotspot_month: one index range of its primary key per kommun) or, with a group $4,
-- that group's (the daily res-8 rows of h3_agg of the kommuner's cells, summed per month).
-- A cell belongs to the kommun its centre lies in (h3_cell_kommun, as for the summaries).
WITH k AS (SELECT unnest($1::text[]) AS kommun_code)
SELECT g.kommun_code, g.cell, g.month, g.n
FROM k CROSS JOIN LATERAL (
    SELECT g.kommun_code, g.cell, g.month, g.n FROM hotspot_month g
    WHERE g.kommun_code = k.kommun_code AND g.month >= $2::date AND g.month < $3::date OFFSET 0) g
WHERE $4::text IS NULL
UNION ALL
SELECT c.kommun_code, c.cell, date_trunc('month', a.day::timestamp)::date, sum(a.n)::int
FROM (SELECT DISTINCT g.kommun_code, g.cell
      FROM k JOIN hotspot_month g ON g.kommun_code = k.kommun_code
      WHERE $4::text IS NOT NULL AND g.month >= $2::date AND g.month < $3::date) c
CROSS JOIN LATERAL (
    SELECT a.day, a.n FROM h3_agg a
    WHERE a.res = 8 AND a.cell = c.cell AND a.day >= $2::date AND a.day < $3::date AND a.category_group = $4 OFFSET 0) a
GROUP BY 1, 2, 3
