-- Res-8 cells with incidents in a period in the kommuner of list $1: whole months from
-- hotspot_month ($2, $3: month ranges [lo, hi)), one index range scan per kommun and range
-- (LATERAL … OFFSET 0: see summary_area_counts.sql), and partial ones from the res-8 rows of
-- h3_agg ($4, $5: day ranges). A cell belongs to the kommun its centre lies in
-- (h3_cell_kommun; on a boundary between two kommuner of the list, the lower code). Grouped by
-- cell first: sorting on the kommun code's collation first cost more than the rest.
WITH k AS (SELECT DISTINCT kommun_code FROM area WHERE set_year = $1),
     m AS (SELECT * FROM unnest($2::date[], $3::date[]) AS r(lo, hi)),
     d AS (SELECT * FROM unnest($4::date[], $5::date[]) AS r(lo, hi)),
     c AS (
    SELECT g.kommun_code, g.cell, g.n
    FROM k CROSS JOIN m CROSS JOIN LATERAL (
        SELECT g.kommun_code, g.cell, g.n FROM hotspot_month g
        WHERE g.kommun_code = k.kommun_code AND g.month >= m.lo AND g.month < m.hi OFFSET 0) g
    UNION ALL
    SELECT ck.kommun_code, g.cell, g.n
    FROM d CROSS JOIN LATERAL (
        SELECT g.cell, g.n FROM h3_agg g WHERE g.res = 8 AND g.day >= d.lo AND g.day < d.hi OFFSET 0) g
    JOIN h3_cell_kommun ck ON ck.cell = g.cell
    WHERE ck.kommun_code IN (SELECT kommun_code FROM k)
)
SELECT DISTINCT ON (cell) kommun_code, cell, n
FROM (SELECT cell, kommun_code, sum(n)::int AS n FROM c GROUP BY cell, kommun_code) s
ORDER BY cell, kommun_code
