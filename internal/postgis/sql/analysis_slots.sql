-- Exact incidents of area $1 in the days [$2, $3) per category group, ISO weekday (0 = Monday)
-- and hour, both in Swedish local time (the weekday and hour a shift plan uses).
SELECT i.category_group,
       extract(isodow FROM i.occurred_at AT TIME ZONE 'Europe/Stockholm')::int - 1,
       extract(hour FROM i.occurred_at AT TIME ZONE 'Europe/Stockholm')::int,
       count(*)::int
FROM incident_area ia
JOIN incident i ON i.id = ia.incident_id
WHERE ia.area_id = $1 AND i.occurred_day >= $2::date AND i.occurred_day < $3::date
GROUP BY 1, 2, 3
