-- One boundary table (allow-listed in Go); simplified to a quarter pixel before clipping.
SELECT ST_AsMVT(t, /*LAYER*/, 4096, 'geom', 'fid') FROM (
    SELECT b.code::bigint AS fid, /*PROPS*/,
           ST_AsMVTGeom(ST_Transform(ST_SimplifyPreserveTopology(b.geom, q.px / 4), 3857), q.env, 4096, 64, true) AS geom
    FROM /*TABLE*/ b CROSS JOIN q
    WHERE b.geom && q.box
) t WHERE geom IS NOT NULL
