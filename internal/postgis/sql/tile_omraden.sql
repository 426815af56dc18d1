-- $4 list year.
SELECT ST_AsMVT(t, 'omraden', 4096, 'geom', 'fid') FROM (
    SELECT a.set_year::bigint * 1000000
           + CASE WHEN a.area_key LIKE 'SO%' THEN substr(a.area_key, 3)::bigint ELSE 500000 + substr(a.area_key, 4)::bigint END AS fid,
           /*PROPS*/,
           ST_AsMVTGeom(ST_Transform(ST_SimplifyPreserveTopology(a.geom, q.px / 4), 3857), q.env, 4096, 64, true) AS geom
    FROM area a
    JOIN kommun k ON k.code = a.kommun_code
    LEFT JOIN lokalpolisomrade l ON l.code = a.lpo_code
    CROSS JOIN q
    WHERE a.set_year = $4 AND a.geom && q.box
) t WHERE geom IS NOT NULL
