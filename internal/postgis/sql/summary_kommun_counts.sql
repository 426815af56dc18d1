-- Exactly located incidents per kommun and group in a period, for the kommuner of list $1: whole
-- months from admin_month_agg ($2, $3: month ranges [lo, hi)), one index range scan per kommun
-- and range (LATERAL … OFFSET 0: see summary_area_counts.sql), the days of partial months from
-- incident through kommun_partial_days of migrations/00035 ($4, $5: day ranges), which shows
-- the kommuner admin_month_agg's policy shows. Only exact points can fall in an area, so the
-- reference is the same kind of record.
WITH k AS (SELECT DISTINCT kommun_code FROM area WHERE set_year = $1),
     m AS (SELECT * FROM unnest($2::date[], $3::date[]) AS r(lo, hi)),
     c AS (
    SELECT g.code, g.category_group, g.n
    FROM k CROSS JOIN m CROSS JOIN LATERAL (
        SELECT g.code, g.category_group, g.n FROM admin_month_agg g
        WHERE g.level = 'kommun' AND g.code = k.kommun_code AND g.month >= m.lo AND g.month < m.hi
          AND g.precision = 'exact' OFFSET 0) g
    UNION ALL
    SELECT p.code, p.category_group, p.n
    FROM kommun_partial_days(array(SELECT kommun_code FROM k), $4::date[], $5::date[], NULL, '{exact}') p
)
SELECT code, category_group, sum(n)::int
FROM c
GROUP BY code, category_group
