-- Joint operations as OGC API features ("operation-<id>"): one page ordered by id, and how many
-- match. An operation runs from the start of starts_on to the end of ends_on, Europe/Stockholm.
-- $1–$4: bbox in WGS84, all NULL for none (see features_areas.sql); $5: limit; $6: offset;
-- $7: one operation id (the number), or NULL; $8, $9: first and last instant of the period
-- asked for, or NULL for an open end; $10: the source of synthetic demo records.
WITH env AS (
    SELECT ST_Transform(ST_Segmentize(ST_MakeEnvelope($1, $2, $3, $4, 4326), 0.1), 3006) AS g
), m AS (
    SELECT o.id/*SORTCOLS*/ FROM operation o
    WHERE ($7::bigint IS NULL OR o.id = $7)
      AND ($8::timestamptz IS NULL OR o.ends_on >= ($8::timestamptz AT TIME ZONE 'Europe/Stockholm')::date)
      AND ($9::timestamptz IS NULL OR o.starts_on <= ($9::timestamptz AT TIME ZONE 'Europe/Stockholm')::date)
      AND ($1::float8 IS NULL OR ST_Intersects(o.geom, (SELECT g FROM env)))
      AND /*FILTER*/true
), p AS (
    SELECT id, row_number() OVER (ORDER BY /*SORT*/id) AS ord FROM m ORDER BY ord LIMIT $5 OFFSET $6
), page AS (
    SELECT p.ord, o.id,
           json_build_object('name', o.name, 'agencies', o.agencies, 'area_id', o.area_id,
                             'start', o.starts_on, 'end', o.ends_on, 'person_hours', o.person_hours,
                             'region_kod', o.region_code, 'source', o.source,
                             'synthetic', o.source = $10) AS props,
           ST_AsGeoJSON(ST_Transform(o.geom, 4326), 6) AS geom
    FROM p JOIN operation o ON o.id = p.id
)
SELECT n.matched, 'operation-' || page.id, page.props::text, page.geom
FROM (SELECT count(*)::int AS matched FROM m) n
LEFT JOIN page ON true
ORDER BY page.ord
