-- The distinct sources and owning agencies behind the counts of the areas of list $1 in [$2, $3].
SELECT DISTINCT ia.area_id, i.source, i.agency
FROM area a
JOIN incident_area ia ON ia.area_id = a.id
JOIN incident i ON i.id = ia.incident_id
WHERE a.set_year = $1 AND i.occurred_day BETWEEN $2 AND $3
