-- Police regions as OGC API features: one page ordered by code, and how many match.
-- $1–$4: bbox in WGS84, all NULL for none (see features_areas.sql); $5: limit; $6: offset;
-- $7: one region code, or NULL.
WITH env AS (
    SELECT ST_Transform(ST_Segmentize(ST_MakeEnvelope($1, $2, $3, $4, 4326), 0.1), 3006) AS g
), m AS (
    SELECT r.code AS id/*SORTCOLS*/ FROM police_region r
    WHERE ($7::text IS NULL OR r.code = $7)
      AND ($1::float8 IS NULL OR ST_Intersects(r.geom, (SELECT g FROM env)))
      AND /*FILTER*/true
), p AS (
    SELECT id, row_number() OVER (ORDER BY /*SORT*/id) AS ord FROM m ORDER BY ord LIMIT $5 OFFSET $6
), page AS (
    SELECT p.ord, r.code AS id,
           json_build_object('kod', r.code, 'namn', r.name,
                             'befolkning', (SELECT sum(k.population) FROM kommun k JOIN lan l ON l.code = k.lan_code
                                            WHERE l.region_code = r.code)) AS props,
           ST_AsGeoJSON(ST_Transform(r.geom, 4326), 6) AS geom
    FROM p JOIN police_region r ON r.code = p.id
)
SELECT n.matched, page.id, page.props::text, page.geom
FROM (SELECT count(*)::int AS matched FROM m) n
LEFT JOIN page ON true
ORDER BY page.ord
