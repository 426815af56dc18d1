-- Län as OGC API features: one page ordered by code, and how many match (SCB's generalised
-- boundaries as stored). $1–$4: bbox in WGS84, all NULL for none (see features_areas.sql);
-- $5: limit; $6: offset; $7: one län code, or NULL.
WITH env AS (
    SELECT ST_Transform(ST_Segmentize(ST_MakeEnvelope($1, $2, $3, $4, 4326), 0.1), 3006) AS g
), m AS (
    SELECT l.code AS id/*SORTCOLS*/ FROM lan l
    WHERE ($7::text IS NULL OR l.code = $7)
      AND ($1::float8 IS NULL OR ST_Intersects(l.geom, (SELECT g FROM env)))
      AND /*FILTER*/true
), p AS (
    SELECT id, row_number() OVER (ORDER BY /*SORT*/id) AS ord FROM m ORDER BY ord LIMIT $5 OFFSET $6
), page AS (
    SELECT p.ord, l.code AS id,
           json_build_object('kod', l.code, 'namn', l.name, 'kortnamn', l.short_name,
                             'region_kod', l.region_code, 'region_namn', r.name,
                             'befolkning', (SELECT sum(k.population) FROM kommun k WHERE k.lan_code = l.code)) AS props,
           ST_AsGeoJSON(ST_Transform(l.geom, 4326), 6) AS geom
    FROM p JOIN lan l ON l.code = p.id JOIN police_region r ON r.code = l.region_code
)
SELECT n.matched, page.id, page.props::text, page.geom
FROM (SELECT count(*)::int AS matched FROM m) n
LEFT JOIN page ON true
ORDER BY page.ord
