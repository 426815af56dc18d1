-- Exact incidents per area of $1 and month in the months [$2, $3), all groups or group $4.
SELECT g.area_id, g.month, sum(g.n)::int
FROM area_month_agg g
WHERE g.area_id = ANY ($1::text[]) AND g.month >= $2::date AND g.month < $3::date
  AND ($4::text IS NULL OR g.category_group = $4)
GROUP BY 1, 2
