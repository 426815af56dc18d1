-- The default map view: no date, category or agency filter; one row per cell (h3_cell_total) at
-- resolution $4. Groups without incidents are NULL, as in the filtered paths (tile_h3_total.sql),
-- so both render alike.
SELECT ST_AsMVT(t, 'h3', 4096, 'geom', 'fid') FROM (
    SELECT c.cell AS fid, /*PROPS*/,
           ST_AsMVTGeom(c.geom_3857, q.env, 4096, 64, true) AS geom
    FROM q
    JOIN h3_cell c ON c.res = $4 AND c.geom && q.box
    JOIN (SELECT res, cell, total,
               /*GROUPS:nullif(%s, 0) AS %s*/
          FROM h3_cell_total WHERE res = $4) s ON s.cell = c.cell
) t WHERE geom IS NOT NULL
