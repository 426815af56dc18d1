-- Staged records that are new or changed, with their point in EPSG:3006, day in Europe/Stockholm
-- and kommun, län and region. Exact points take the kommun whose polygon contains them; the
-- generalised SCB coastline misses some shore points, so the nearest kommun within 10 km stands
-- in for those.
CREATE TEMP TABLE resolved ON COMMIT DROP AS
SELECT s.*, i.id AS existing_id, p.geom, (s.occurred_at AT TIME ZONE 'Europe/Stockholm')::date AS day,
       km.code AS kommun_res, coalesce(km.lan_code, l.code) AS lan_res, coalesce(kl.region_code, l.region_code) AS region_res
FROM stage_incident s
LEFT JOIN incident i ON i.source = s.source AND i.source_id = s.source_id
CROSS JOIN LATERAL (
    SELECT CASE WHEN s.precision = 'exact'
                THEN ST_Transform(ST_SetSRID(ST_MakePoint(s.lon, s.lat), 4326), 3006) END AS geom) p
LEFT JOIN LATERAL (
    SELECT coalesce(
        (SELECT kp.kommun_code FROM kommun_part kp
         WHERE s.precision = 'exact' AND ST_Intersects(kp.geom, p.geom) LIMIT 1),
        (SELECT kp.kommun_code FROM kommun_part kp
         WHERE s.precision = 'exact' AND ST_DWithin(kp.geom, p.geom, 10000)
         ORDER BY kp.geom <-> p.geom LIMIT 1),
        CASE WHEN s.precision = 'kommun' THEN s.kommun_code END) AS code) kc ON true
LEFT JOIN kommun km ON km.code = kc.code
LEFT JOIN lan kl ON kl.code = km.lan_code
LEFT JOIN lan l ON s.precision = 'lan' AND l.code = s.lan_code
WHERE i.id IS NULL OR i.content_hash <> s.content_hash
