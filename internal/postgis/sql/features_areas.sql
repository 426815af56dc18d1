-- The areas of one police list as OGC API features: one page ordered by id, and how many match.
-- /*FILTER*/: a CQL2 filter compiled in Go (filter.go) from the queryables, its values as $n after
-- the others. $1–$4: bbox in WGS84 (min lon, min lat, max lon, max lat), all NULL for no spatial filter;
-- $5: limit; $6: offset; $7: one area id, or NULL; $8: list year;
-- $9, $10: the class codes and their labels (from the domain package, so no label lives here).
-- The bbox is segmentized before it leaves WGS84, because a parallel is a curve in SWEREF 99 TM,
-- and moved into EPSG:3006 so the GiST index on area.geom decides the candidates.
-- The output always has one row: the count, with NULLs in the other columns when the page is empty.
WITH env AS (
    SELECT ST_Transform(ST_Segmentize(ST_MakeEnvelope($1, $2, $3, $4, 4326), 0.1), 3006) AS g
), m AS (
    SELECT a.id/*SORTCOLS*/ FROM area a
    WHERE a.set_year = $8
      AND ($7::text IS NULL OR a.id = $7)
      AND ($1::float8 IS NULL OR ST_Intersects(a.geom, (SELECT g FROM env)))
      AND /*FILTER*/true
), p AS (
    SELECT id, row_number() OVER (ORDER BY /*SORT*/id) AS ord FROM m ORDER BY ord LIMIT $5 OFFSET $6
), page AS (
    SELECT p.ord, a.id,
           json_build_object(
               'area_key', a.area_key, 'set', a.set_year, 'name', a.name,
               'class', a.class, 'class_label', cl.label, 'class_polisen', a.class_polisen, 'ort', a.ort,
               'kommun_kod', a.kommun_code, 'kommun_namn', k.name, 'lan_kod', k.lan_code,
               'region_kod', a.region_code, 'region_namn', r.name,
               'polisomrade_kod', a.polisomrade_code, 'polisomrade_namn', po.name,
               'lpo_kod', a.lpo_code, 'lpo_namn', lpo.name, 'lpo_from_list', a.lpo_source_year,
               'classified_from', a.classified_from, 'classified_until', a.classified_until,
               'geometry_official', a.geometry_official, 'geometry_source', a.geometry_source,
               'source', a.source, 'area_km2', round((ST_Area(a.geom) / 1e6)::numeric, 2)
           ) AS props,
           ST_AsGeoJSON(ST_Transform(a.geom, 4326), 6) AS geom
    FROM p
    JOIN area a ON a.id = p.id
    JOIN kommun k ON k.code = a.kommun_code
    JOIN police_region r ON r.code = a.region_code
    LEFT JOIN polisomrade po ON po.code = a.polisomrade_code
    LEFT JOIN lokalpolisomrade lpo ON lpo.code = a.lpo_code
    LEFT JOIN unnest($9::text[], $10::text[]) AS cl (code, label) ON cl.code = a.class
)
SELECT n.matched, page.id, page.props::text, page.geom
FROM (SELECT count(*)::int AS matched FROM m) n
LEFT JOIN page ON true
ORDER BY page.ord
