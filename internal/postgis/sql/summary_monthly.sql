-- Incidents per area, group and calendar month of list $1 in a period: whole months from
-- area_month_agg ($2, $3: month ranges [lo, hi)), partial ones from area_agg ($4, $5: day
-- ranges), one index range scan per area and range (LATERAL … OFFSET 0: see
-- summary_area_counts.sql). $6: one area's id, or NULL for the whole list.
WITH a AS (SELECT id FROM area WHERE set_year = $1 AND ($6::text IS NULL OR id = $6)),
     m AS (SELECT * FROM unnest($2::date[], $3::date[]) AS r(lo, hi)),
     d AS (SELECT * FROM unnest($4::date[], $5::date[]) AS r(lo, hi)),
     c AS (
    SELECT g.area_id, g.category_group, g.month, g.n
    FROM a CROSS JOIN m CROSS JOIN LATERAL (
        SELECT g.area_id, g.category_group, g.month, g.n FROM area_month_agg g
        WHERE g.area_id = a.id AND g.month >= m.lo AND g.month < m.hi OFFSET 0) g
    UNION ALL
    SELECT g.area_id, g.category_group, date_trunc('month', g.day::timestamp)::date, g.n
    FROM a CROSS JOIN d CROSS JOIN LATERAL (
        SELECT g.area_id, g.category_group, g.day, g.n FROM area_agg g
        WHERE g.area_id = a.id AND g.day >= d.lo AND g.day < d.hi OFFSET 0) g
)
SELECT area_id, category_group, month, sum(n)::int
FROM c
GROUP BY 1, 2, 3
