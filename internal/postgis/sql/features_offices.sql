-- Agency offices as OGC API features ("office-<id>"): one page ordered by id, and how many match.
-- $1–$4: bbox in WGS84, all NULL for none (see features_areas.sql); $5: limit; $6: offset;
-- $7: one office id (the number), or NULL; $8: the source of synthetic demo records;
-- $9, $10: agency codes and their names (from the domain package).
WITH env AS (
    SELECT ST_Transform(ST_Segmentize(ST_MakeEnvelope($1, $2, $3, $4, 4326), 0.1), 3006) AS g
), m AS (
    SELECT o.id/*SORTCOLS*/ FROM office o
    WHERE ($7::bigint IS NULL OR o.id = $7)
      AND ($1::float8 IS NULL OR ST_Intersects(o.geom, (SELECT g FROM env)))
      AND /*FILTER*/true
), p AS (
    SELECT id, row_number() OVER (ORDER BY /*SORT*/id) AS ord FROM m ORDER BY ord LIMIT $5 OFFSET $6
), page AS (
    SELECT p.ord, o.id,
           json_build_object('agency', o.agency, 'agency_name', ag.name, 'name', o.name,
                             'staffed_hours_per_week', o.staffed_hours_per_week,
                             'kommun_kod', o.kommun_code, 'region_kod', o.region_code,
                             'source', o.source, 'synthetic', o.source = $8) AS props,
           ST_AsGeoJSON(ST_Transform(o.geom, 4326), 6) AS geom
    FROM p
    JOIN office o ON o.id = p.id
    LEFT JOIN unnest($9::text[], $10::text[]) AS ag (code, name) ON ag.code = o.agency
)
SELECT n.matched, 'office-' || page.id, page.props::text, page.geom
FROM (SELECT count(*)::int AS matched FROM m) n
LEFT JOIN page ON true
ORDER BY page.ord
