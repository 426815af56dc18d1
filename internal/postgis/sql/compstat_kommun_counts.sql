-- Incidents per category group of kommun $1 in each of several periods, every precision (the
-- Polisen events at kommun precision belong to the kommun too): whole months from
-- admin_month_agg ($2, $3, $4: month ranges [lo, hi) and their period's index), the other days
-- ($5, $6, $7) from incident through kommun_partial_days of migrations/00035, which shows the
-- kommuner admin_month_agg's policy shows.
WITH m AS (SELECT * FROM unnest($2::date[], $3::date[], $4::int[]) AS r(lo, hi, i)),
     c AS (
    SELECT m.i, g.category_group, g.n
    FROM m CROSS JOIN LATERAL (
        SELECT g.category_group, g.n FROM admin_month_agg g
        WHERE g.level = 'kommun' AND g.code = $1 AND g.month >= m.lo AND g.month < m.hi OFFSET 0) g
    UNION ALL
    SELECT p.i, p.category_group, p.n
    FROM kommun_partial_days(ARRAY[$1::text], $5::date[], $6::date[], $7::int[], NULL) p
)
SELECT i, category_group, sum(n)::int
FROM c
GROUP BY i, category_group
