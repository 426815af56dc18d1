SELECT line, field, reason FROM (
    SELECT line, 'lat' AS field, format('office %s: point %s,%s lies outside Sweden', source_id, lat, lon) AS reason
    FROM stage_office o
    WHERE NOT EXISTS (SELECT 1 FROM kommun_part kp
                      WHERE ST_DWithin(kp.geom, ST_Transform(ST_SetSRID(ST_MakePoint(o.lon, o.lat), 4326), 3006), 10000))
    UNION ALL
    SELECT line, 'area_id', format('operation %s: %s is not an area id', source_id, area_id)
    FROM stage_operation s
    WHERE area_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM area a WHERE a.id = s.area_id)
    UNION ALL
    SELECT line, 'geometry', format('operation %s: needs an area_id or a polygon', source_id)
    FROM stage_operation WHERE area_id IS NULL AND polygon IS NULL
    UNION ALL
    SELECT max(line), 'source_id', format('%s appears %s times in the file', source_id, count(*))
    FROM (SELECT line, source, source_id FROM stage_office UNION ALL SELECT line, source, source_id FROM stage_operation) d
    GROUP BY source, source_id HAVING count(*) > 1
) r ORDER BY line
