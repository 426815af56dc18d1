-- Kommuner as OGC API features: one page ordered by code, and how many match. SCB's generalised
-- boundaries are published as stored, without further simplification.
-- $1–$4: bbox in WGS84, all NULL for none (see features_areas.sql); $5: limit; $6: offset;
-- $7: one kommun code, or NULL.
WITH env AS (
    SELECT ST_Transform(ST_Segmentize(ST_MakeEnvelope($1, $2, $3, $4, 4326), 0.1), 3006) AS g
), m AS (
    SELECT k.code AS id/*SORTCOLS*/ FROM kommun k
    WHERE ($7::text IS NULL OR k.code = $7)
      AND ($1::float8 IS NULL OR ST_Intersects(k.geom, (SELECT g FROM env)))
      AND /*FILTER*/true
), p AS (
    SELECT id, row_number() OVER (ORDER BY /*SORT*/id) AS ord FROM m ORDER BY ord LIMIT $5 OFFSET $6
), page AS (
    SELECT p.ord, k.code AS id,
           json_build_object('kod', k.code, 'namn', k.name, 'lan_kod', k.lan_code, 'lan_namn', l.name,
                             'befolkning', k.population, 'befolkning_datum', k.population_date) AS props,
           ST_AsGeoJSON(ST_Transform(k.geom, 4326), 6) AS geom
    FROM p JOIN kommun k ON k.code = p.id JOIN lan l ON l.code = k.lan_code
)
SELECT n.matched, page.id, page.props::text, page.geom
FROM (SELECT count(*)::int AS matched FROM m) n
LEFT JOIN page ON true
ORDER BY page.ord
