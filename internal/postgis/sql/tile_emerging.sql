-- The emerging layer: the res-8 H3 cells with a pattern in the emerging hot-spot analysis of the
-- police regions in the caller's scope (analysis.Service.RegionEmerging, computed in Go and
-- remembered per data version, scope and region; see tile_emerging.go), which publishes only the
-- cells the caller may see, as the emerging-<REGIONKOD> OGC collections do. $4 the cells, $5 their
-- polygons (WKB, WGS84), $6 kommun codes, $7 categories, $8 months hot, $9 months cold, $10 the
-- trend's Z, $11 its p, $12 the last month's Gi* z, $13 the first and $14 the last month of the
-- series (YYYY-MM). No counts.
SELECT ST_AsMVT(t, 'emerging', 4096, 'geom', 'fid') FROM (
    SELECT e.cell AS fid, /*PROPS*/,
           ST_AsMVTGeom(ST_Transform(e.g, 3857), q.env, 4096, 64, true) AS geom
    FROM q
    CROSS JOIN LATERAL (
        SELECT u.*, ST_SetSRID(ST_GeomFromWKB(u.wkb), 4326) AS g, $13::text AS first_month, $14::text AS last_month
        FROM unnest($4::bigint[], $5::bytea[], $6::text[], $7::text[], $8::int[], $9::int[], $10::float8[], $11::float8[], $12::float8[])
            AS u (cell, wkb, kommun_code, category, hot_months, cold_months, trend_z, trend_p, final_z)
    ) e
    WHERE ST_Transform(e.g, 3006) && q.box
) t WHERE geom IS NOT NULL
