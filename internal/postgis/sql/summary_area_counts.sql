-- Incidents per area and category group of one list, in the period [$3, $4] and in the
-- previous period [$2, $3), in one pass over incident_area.
SELECT ia.area_id, i.category_group,
       count(*) FILTER (WHERE i.occurred_day >= $3)::int AS now,
       count(*) FILTER (WHERE i.occurred_day < $3)::int AS before
FROM area a
JOIN incident_area ia ON ia.area_id = a.id
JOIN incident i ON i.id = ia.incident_id
WHERE a.set_year = $1 AND i.occurred_day BETWEEN $2 AND $4
GROUP BY ia.area_id, i.category_group
