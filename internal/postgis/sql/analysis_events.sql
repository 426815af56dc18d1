-- Exact incidents of group $3 in the days [$4, $5), of area $1 or of kommun $2: SWEREF 99 TM
-- coordinates and the Swedish day, for the Knox test.
SELECT ST_X(i.geom), ST_Y(i.geom), i.occurred_day
FROM incident i
WHERE $1::text IS NOT NULL AND i.category_group = $3 AND i.occurred_day >= $4::date AND i.occurred_day < $5::date
  AND i.id IN (SELECT ia.incident_id FROM incident_area ia WHERE ia.area_id = $1)
UNION ALL
SELECT ST_X(i.geom), ST_Y(i.geom), i.occurred_day
FROM incident i
WHERE $1::text IS NULL AND i.kommun_code = $2 AND i.precision = 'exact' AND i.category_group = $3
  AND i.occurred_day >= $4::date AND i.occurred_day < $5::date
