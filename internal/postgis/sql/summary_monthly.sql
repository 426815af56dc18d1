-- Incidents per area, group and calendar month of list $1 in [$2, $3].
SELECT ia.area_id, i.category_group, date_trunc('month', i.occurred_day)::date, count(*)::int
FROM area a
JOIN incident_area ia ON ia.area_id = a.id
JOIN incident i ON i.id = ia.incident_id
WHERE a.set_year = $1 AND i.occurred_day BETWEEN $2 AND $3
GROUP BY 1, 2, 3
