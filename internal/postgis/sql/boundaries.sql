-- Boundaries of one kind, simplified (topology-preserving) to $2 metres before leaving EPSG:3006.
SELECT code, name, parent, population,
       ST_AsGeoJSON(ST_Transform(ST_SimplifyPreserveTopology(geom, $2), 4326), 5),
       -- A point inside the boundary where the map writes its name (WGS84).
       ST_X(lp.p), ST_Y(lp.p)
FROM (
    SELECT 'kommun' AS kind, code, name, lan_code AS parent, coalesce(population, 0) AS population, geom FROM kommun
    UNION ALL
    SELECT 'lan', l.code, l.name, l.region_code, coalesce(sum(k.population), 0)::int, l.geom
    FROM lan l LEFT JOIN kommun k ON k.lan_code = l.code GROUP BY l.code
    UNION ALL
    SELECT 'region', r.code, r.name, '', coalesce(sum(k.population), 0)::int, r.geom
    FROM police_region r LEFT JOIN lan l ON l.region_code = r.code LEFT JOIN kommun k ON k.lan_code = l.code
    GROUP BY r.code
) b
CROSS JOIN LATERAL (SELECT ST_Transform(ST_PointOnSurface(b.geom), 4326) AS p) lp
WHERE kind = $1
ORDER BY code
