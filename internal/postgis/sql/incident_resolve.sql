-- Classify the cells the batch's exact points lie in (migration 00014 explains the method):
-- first their resolution-7 cells, then the resolution-9 cells of points whose resolution-7 cell
-- lies on a kommun boundary or touches an area. Cells classified by earlier imports are kept.
SELECT classify_cells(array(SELECT DISTINCT place_cell FROM stage_incident WHERE place_cell IS NOT NULL));

SELECT classify_cells(array(
    SELECT DISTINCT s.h3_9 FROM stage_incident s JOIN cell_class c ON c.cell = s.place_cell
    WHERE c.kommun_code IS NULL OR c.area_border <> '{}'));

-- Staged records that are new or changed, with their incident id (taken from the sequence for
-- new ones), point in EPSG:3006, day in Europe/Stockholm and kommun, län and region. An exact
-- point takes the kommun whose polygon holds its cell, else the kommun of the polygon parts
-- touching its cell that contains it; the generalised SCB coastline misses some shore points,
-- so the nearest kommun within 10 km stands in for those.
CREATE TEMP TABLE resolved ON COMMIT DROP AS
SELECT s.*, coalesce(i.id, nextval(pg_get_serial_sequence('incident', 'id'))) AS incident_id, i.id AS existing_id,
       p.geom, (s.occurred_at AT TIME ZONE 'Europe/Stockholm')::date AS day,
       km.code AS kommun_res, coalesce(km.lan_code, l.code) AS lan_res, coalesce(kl.region_code, l.region_code) AS region_res
FROM stage_incident s
LEFT JOIN incident i ON i.source = s.source AND i.source_id = s.source_id
CROSS JOIN LATERAL (
    SELECT CASE WHEN s.precision = 'exact'
                THEN ST_Transform(ST_SetSRID(ST_MakePoint(s.lon, s.lat), 4326), 3006) END AS geom) p
LEFT JOIN cell_class c7 ON c7.cell = s.place_cell
LEFT JOIN cell_class c9 ON c9.cell = s.h3_9 AND c7.kommun_code IS NULL
LEFT JOIN LATERAL (
    SELECT CASE WHEN s.precision = 'exact' THEN coalesce(
        c7.kommun_code,
        c9.kommun_code,
        -- OFFSET 0 keeps the planner from probing the spatial index instead of the few parts.
        (SELECT min(q.kommun_code)
         FROM (SELECT kp.kommun_code, kp.geom FROM kommun_part kp WHERE kp.id = ANY (c9.kommun_parts) OFFSET 0) q
         WHERE q.geom && p.geom AND ST_Intersects(q.geom, p.geom)),
        (SELECT kp.kommun_code FROM kommun_part kp
         WHERE ST_DWithin(kp.geom, p.geom, 10000)
         ORDER BY kp.geom <-> p.geom LIMIT 1))
    WHEN s.precision = 'kommun' THEN s.kommun_code END AS code) kc ON true
LEFT JOIN kommun km ON km.code = kc.code
LEFT JOIN lan kl ON kl.code = km.lan_code
LEFT JOIN lan l ON s.precision = 'lan' AND l.code = s.lan_code
WHERE i.id IS NULL OR i.content_hash <> s.content_hash;

-- The steps below join on these tables; without statistics the planner guesses their size.
ANALYZE resolved
