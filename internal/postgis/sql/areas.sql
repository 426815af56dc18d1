-- Areas with their names joined in, geometry as GeoJSON in WGS84 (6 decimals ≈ 0.1 m).
-- $1: list year or NULL; $2: area id or NULL.
SELECT a.id, a.area_key, a.set_year, a.name, a.class, a.class_polisen, coalesce(a.ort, ''),
       a.kommun_code, k.name, k.lan_code, a.region_code, r.name,
       coalesce(a.polisomrade_code, ''), coalesce(po.name, ''),
       coalesce(a.lpo_code, ''), coalesce(lpo.name, ''), coalesce(a.lpo_source_year, 0),
       a.classified_from, a.classified_until, a.geometry_official, a.geometry_source, a.source,
       ST_Area(a.geom),
       ST_AsGeoJSON(ST_Transform(a.geom, 4326), 6),
       -- A label point inside the area and its bounds, for the map (WGS84).
       ST_X(lp.p), ST_Y(lp.p), ST_XMin(bb.b), ST_YMin(bb.b), ST_XMax(bb.b), ST_YMax(bb.b),
       -- The keys this list's area comes from when the police changed the identifier (the 2025
       -- splits, a renumbering), so that a comparison with the previous list can follow them.
       coalesce(ln.keys, '{}'), coalesce(ln.kinds, '{}')
FROM area a
CROSS JOIN LATERAL (SELECT ST_Transform(ST_PointOnSurface(a.geom), 4326) AS p) lp
CROSS JOIN LATERAL (SELECT ST_Transform(a.geom, 4326)::box2d AS b) bb
LEFT JOIN LATERAL (
    SELECT array_agg(l.predecessor_key ORDER BY l.predecessor_key) AS keys,
           array_agg(l.kind ORDER BY l.predecessor_key) AS kinds
    FROM area_lineage l WHERE l.area_key = a.area_key AND l.year = a.set_year
) ln ON true
JOIN kommun k ON k.code = a.kommun_code
JOIN police_region r ON r.code = a.region_code
LEFT JOIN polisomrade po ON po.code = a.polisomrade_code
LEFT JOIN lokalpolisomrade lpo ON lpo.code = a.lpo_code
WHERE ($1::int IS NULL OR a.set_year = $1) AND ($2::text IS NULL OR a.id = $2)
ORDER BY a.set_year, a.name, a.id
