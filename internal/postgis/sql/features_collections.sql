-- Every collection of the OGC API with its extent: the police lists (one per area_set row, so a
-- new list appears without code changes), then the fixed collections. Spatial extents are of
-- the geometries moved to WGS84; temporal extents run from the first day's start to the last
-- day's end in Europe/Stockholm. An H3 collection's extent is that of its stored cell polygons.
SELECT id, year, label, official, note, n,
       ST_XMin(box), ST_YMin(box), ST_XMax(box), ST_YMax(box), t0, t1
FROM (
    SELECT 0 AS ord, 'omraden-' || s.year AS id, s.year, s.label, s.geometry_official AS official, s.note,
           e.n, e.box, NULL::timestamptz AS t0, NULL::timestamptz AS t1
    FROM area_set s
    CROSS JOIN LATERAL (SELECT count(*)::int AS n, ST_Extent(ST_Transform(a.geom, 4326)) AS box
                        FROM area a WHERE a.set_year = s.year) e
    UNION ALL
    SELECT 1, 'kommuner', NULL, NULL, NULL, NULL, count(*)::int, ST_Extent(ST_Transform(geom, 4326)), NULL, NULL FROM kommun
    UNION ALL
    SELECT 2, 'lan', NULL, NULL, NULL, NULL, count(*)::int, ST_Extent(ST_Transform(geom, 4326)), NULL, NULL FROM lan
    UNION ALL
    SELECT 3, 'polisregioner', NULL, NULL, NULL, NULL, count(*)::int, ST_Extent(ST_Transform(geom, 4326)), NULL, NULL FROM police_region
    UNION ALL
    SELECT 4, 'narvaro-kontor', NULL, NULL, NULL, NULL, count(*)::int, ST_Extent(ST_Transform(geom, 4326)), NULL, NULL FROM office
    UNION ALL
    SELECT 5, 'narvaro-insatser', NULL, NULL, NULL, NULL, count(*)::int, ST_Extent(ST_Transform(geom, 4326)),
           min(starts_on)::timestamp AT TIME ZONE 'Europe/Stockholm',
           (max(ends_on) + 1)::timestamp AT TIME ZONE 'Europe/Stockholm' - interval '1 second'
    FROM operation
    UNION ALL
    -- The H3 collections (features_h3.go): every exact incident is in a cell of each
    -- resolution, so the days of resolution 7 are the days of all (h3_day_extent: h3_agg keeps
    -- months, migration 00033; the first and last day come from incident).
    SELECT 6 + r.i, 'h3-r' || r.res, NULL, NULL, NULL, NULL, NULL,
           (SELECT ST_Extent(ST_Transform(geom, 4326)) FROM h3_cell WHERE res = r.res),
           d.t0, d.t1
    FROM unnest(ARRAY[6, 7, 8]) WITH ORDINALITY AS r (res, i)
    CROSS JOIN (SELECT e.d0::timestamp AT TIME ZONE 'Europe/Stockholm' AS t0,
                       (e.d1 + 1)::timestamp AT TIME ZONE 'Europe/Stockholm' - interval '1 second' AS t1
                FROM h3_day_extent() e) d
) c
ORDER BY ord, year
