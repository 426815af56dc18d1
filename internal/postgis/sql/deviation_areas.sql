-- Incidents per area and group of list $1 in the latest window [$2, $3] and in its baseline
-- [$4, $5], from the daily area aggregate (one index range scan per area).
WITH a AS (SELECT id FROM area WHERE set_year = $1)
SELECT g.area_id, g.category_group,
       coalesce(sum(g.n) FILTER (WHERE g.day >= $2), 0)::int AS latest,
       coalesce(sum(g.n) FILTER (WHERE g.day <= $5), 0)::int AS baseline
FROM a CROSS JOIN LATERAL (
    SELECT g.area_id, g.category_group, g.day, g.n FROM area_agg g
    WHERE g.area_id = a.id AND g.day >= $4 AND g.day <= $3 OFFSET 0) g
GROUP BY g.area_id, g.category_group
