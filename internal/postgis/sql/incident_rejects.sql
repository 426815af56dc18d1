-- Records the database cannot place.
SELECT line, CASE precision WHEN 'exact' THEN 'lat' WHEN 'kommun' THEN 'location.name' ELSE 'location.name' END,
       CASE precision
            WHEN 'exact' THEN format('point %s,%s lies outside Sweden (more than 10 km from every kommun)', lat, lon)
            WHEN 'kommun' THEN format('kommun code %s is not one of the 290 kommuner', kommun_code)
            ELSE format('län code %s is not one of the 21 län', lan_code) END
FROM resolved
WHERE region_res IS NULL
ORDER BY line
