-- Offices and operations, upserted by (source, source_id); unchanged rows are left alone.
WITH o AS (
    SELECT s.*, p.geom, kc.kommun_code, k.lan_code
    FROM stage_office s
    CROSS JOIN LATERAL (SELECT ST_Transform(ST_SetSRID(ST_MakePoint(s.lon, s.lat), 4326), 3006) AS geom) p
    LEFT JOIN LATERAL (SELECT kp.kommun_code FROM kommun_part kp WHERE ST_DWithin(kp.geom, p.geom, 10000)
                       ORDER BY kp.geom <-> p.geom LIMIT 1) kc ON true
    LEFT JOIN kommun k ON k.code = kc.kommun_code
), ins_office AS (
    INSERT INTO office AS t (source, source_id, agency, name, staffed_hours_per_week, kommun_code, region_code, geom)
    SELECT o.source, o.source_id, o.agency, o.name, o.staffed_hours_per_week, o.kommun_code, l.region_code, o.geom
    FROM o LEFT JOIN lan l ON l.code = o.lan_code
    ON CONFLICT (source, source_id) DO UPDATE SET agency = EXCLUDED.agency, name = EXCLUDED.name,
        staffed_hours_per_week = EXCLUDED.staffed_hours_per_week, kommun_code = EXCLUDED.kommun_code,
        region_code = EXCLUDED.region_code, geom = EXCLUDED.geom
    WHERE (t.agency, t.name, t.staffed_hours_per_week, t.geom) IS DISTINCT FROM
          (EXCLUDED.agency, EXCLUDED.name, EXCLUDED.staffed_hours_per_week, EXCLUDED.geom)
    RETURNING (xmax = 0) AS inserted
), op AS (
    SELECT s.*, coalesce(a.geom, ST_Multi(ST_Transform(ST_SetSRID(ST_GeomFromWKB(s.polygon), 4326), 3006))) AS geom,
           coalesce(a.region_code, r.code) AS region_code
    FROM stage_operation s
    LEFT JOIN area a ON a.id = s.area_id
    LEFT JOIN LATERAL (SELECT pr.code FROM police_region pr
                       WHERE s.polygon IS NOT NULL
                         AND ST_Intersects(pr.geom, ST_Transform(ST_SetSRID(ST_GeomFromWKB(s.polygon), 4326), 3006))
                       LIMIT 1) r ON true
), ins_op AS (
    INSERT INTO operation AS t (source, source_id, name, area_id, agencies, starts_on, ends_on, person_hours, samverkan_id, region_code, geom)
    SELECT source, source_id, name, area_id, agencies, starts_on, ends_on, person_hours, samverkan_id, region_code, geom FROM op
    ON CONFLICT (source, source_id) DO UPDATE SET name = EXCLUDED.name, area_id = EXCLUDED.area_id,
        agencies = EXCLUDED.agencies, starts_on = EXCLUDED.starts_on, ends_on = EXCLUDED.ends_on,
        person_hours = EXCLUDED.person_hours, samverkan_id = EXCLUDED.samverkan_id,
        region_code = EXCLUDED.region_code, geom = EXCLUDED.geom
    WHERE (t.name, t.area_id, t.agencies, t.starts_on, t.ends_on, t.person_hours, t.samverkan_id, t.geom) IS DISTINCT FROM
          (EXCLUDED.name, EXCLUDED.area_id, EXCLUDED.agencies, EXCLUDED.starts_on, EXCLUDED.ends_on,
           EXCLUDED.person_hours, EXCLUDED.samverkan_id, EXCLUDED.geom)
    RETURNING (xmax = 0) AS inserted
)
SELECT inserted FROM ins_office UNION ALL SELECT inserted FROM ins_op
