-- Incidents per area and category group of list $1 in the period (now) and in the previous one,
-- from the whole calendar months of area_month_agg and the remaining days of area_agg.
-- $2, $3, $4: month ranges [lo, hi) and whether each lies in the period; $5, $6, $7: the same
-- for the day ranges (see spans in summary.go). Each LATERAL subquery is one index range scan
-- of one area and one range; OFFSET 0 keeps the planner from flattening it into a join, which
-- with the row estimates under row-level security became a scan of every area's days.
WITH a AS (SELECT id FROM area WHERE set_year = $1),
     m AS (SELECT * FROM unnest($2::date[], $3::date[], $4::boolean[]) AS r(lo, hi, now)),
     d AS (SELECT * FROM unnest($5::date[], $6::date[], $7::boolean[]) AS r(lo, hi, now)),
     c AS (
    SELECT m.now, g.area_id, g.category_group, g.n
    FROM a CROSS JOIN m CROSS JOIN LATERAL (
        SELECT g.area_id, g.category_group, g.n FROM area_month_agg g
        WHERE g.area_id = a.id AND g.month >= m.lo AND g.month < m.hi OFFSET 0) g
    UNION ALL
    SELECT d.now, g.area_id, g.category_group, g.n
    FROM a CROSS JOIN d CROSS JOIN LATERAL (
        SELECT g.area_id, g.category_group, g.n FROM area_agg g
        WHERE g.area_id = a.id AND g.day >= d.lo AND g.day < d.hi OFFSET 0) g
)
SELECT area_id, category_group,
       coalesce(sum(n) FILTER (WHERE now), 0)::int AS now,
       coalesce(sum(n) FILTER (WHERE NOT now), 0)::int AS before
FROM c
GROUP BY area_id, category_group
