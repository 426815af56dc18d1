-- Every record the database cannot accept, by line and field: nothing is stored when any is.
SELECT line, field, reason FROM (
    SELECT line, 'area_id' AS field, format('%s is not an area id', area_id) AS reason
    FROM stage_observation s
    WHERE area_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM area a WHERE a.id = s.area_id)
    UNION ALL
    SELECT line, 'category', format('%s is not in the vocabulary of %s (see lagesbild observation categories)', category, agency)
    FROM stage_observation s
    WHERE NOT EXISTS (SELECT 1 FROM observation_category c WHERE c.agency = s.agency AND c.code = s.category)
    UNION ALL
    SELECT line, 'decision', format('there is no samverkansbeslut %s', decision_id)
    FROM stage_observation s
    WHERE decision_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM samverkansbeslut d WHERE d.id = s.decision_id)
    UNION ALL
    SELECT line, 'decision', format('%s does not take part in samverkansbeslut %s', agency, decision_id)
    FROM stage_observation s
    WHERE decision_id IS NOT NULL AND EXISTS (SELECT 1 FROM samverkansbeslut d WHERE d.id = s.decision_id AND NOT s.agency = ANY (d.agencies))
    UNION ALL
    SELECT line, 'lat', format('point %s,%s lies outside Sweden', lat, lon)
    FROM stage_observation o
    WHERE lon IS NOT NULL AND NOT EXISTS (SELECT 1 FROM kommun_part kp
                      WHERE ST_DWithin(kp.geom, ST_Transform(ST_SetSRID(ST_MakePoint(o.lon, o.lat), 4326), 3006), 10000))
    UNION ALL
    SELECT line, CASE WHEN h3 IS NULL THEN 'geometry' ELSE 'h3' END, 'the polygon lies outside Sweden'
    FROM stage_observation o
    WHERE polygon IS NOT NULL AND NOT EXISTS (SELECT 1 FROM police_region r
                      WHERE ST_Intersects(r.geom, ST_Transform(ST_SetSRID(ST_GeomFromWKB(o.polygon), 4326), 3006)))
    UNION ALL
    SELECT line, 'geometry', 'the polygon is not valid (it crosses itself)'
    FROM stage_observation o
    WHERE polygon IS NOT NULL AND NOT ST_IsValid(ST_GeomFromWKB(o.polygon))
    UNION ALL
    SELECT max(line), 'source_id', format('%s appears %s times in the file', source_id, count(*))
    FROM stage_observation GROUP BY source, source_id HAVING count(*) > 1
) r ORDER BY line
