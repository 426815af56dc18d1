-- Incidents per category group of some areas of list $1 in each of several periods: the area $2
-- or, when $2 is NULL, every area of the lokalpolisområde $3. $4, $5, $6: month ranges [lo, hi)
-- and the index of the period each belongs to; $7, $8, $9: the same for the day ranges (see
-- spans in summary.go). One index range scan per area and range (LATERAL … OFFSET 0, as in
-- summary_area_counts.sql). The areas of one list do not overlap, so no incident counts twice.
WITH a AS (SELECT id FROM area WHERE set_year = $1 AND (id = $2 OR ($2 IS NULL AND lpo_code = $3))),
     m AS (SELECT * FROM unnest($4::date[], $5::date[], $6::int[]) AS r(lo, hi, i)),
     d AS (SELECT * FROM unnest($7::date[], $8::date[], $9::int[]) AS r(lo, hi, i)),
     c AS (
    SELECT m.i, g.category_group, g.n
    FROM a CROSS JOIN m CROSS JOIN LATERAL (
        SELECT g.category_group, g.n FROM area_month_agg g
        WHERE g.area_id = a.id AND g.month >= m.lo AND g.month < m.hi OFFSET 0) g
    UNION ALL
    SELECT d.i, g.category_group, g.n
    FROM a CROSS JOIN d CROSS JOIN LATERAL (
        SELECT g.category_group, g.n FROM area_agg g
        WHERE g.area_id = a.id AND g.day >= d.lo AND g.day < d.hi OFFSET 0) g
)
SELECT i, category_group, sum(n)::int
FROM c
GROUP BY i, category_group
