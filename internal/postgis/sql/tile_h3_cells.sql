-- The default map view: no date, category or agency filter; one row per cell (h3_cell_total).
-- Groups without incidents are NULL, as in the per-group path (tile_h3.sql), so both render alike.
SELECT ST_AsMVT(t, 'h3', 4096, 'geom', 'fid') FROM (
    SELECT c.cell AS fid, /*PROPS*/,
           ST_AsMVTGeom(c.geom_3857, q.env, 4096, 64, true) AS geom
    FROM q
    JOIN h3_cell c ON c.res = $4 AND c.geom && q.box
    JOIN (SELECT res, cell, total,
               nullif(skjutning, 0) AS skjutning,
               nullif(sprangning, 0) AS sprangning,
               nullif(grovt_vald, 0) AS grovt_vald,
               nullif(misshandel_hot, 0) AS misshandel_hot,
               nullif(ran, 0) AS ran,
               nullif(narkotika, 0) AS narkotika,
               nullif(overgrepp_rattssak, 0) AS overgrepp_rattssak,
               nullif(brand_skadegorelse, 0) AS brand_skadegorelse,
               nullif(stold_inbrott, 0) AS stold_inbrott,
               nullif(bedrageri_valfard, 0) AS bedrageri_valfard,
               nullif(ovrigt, 0) AS ovrigt
          FROM h3_cell_total WHERE res = $4) s ON s.cell = c.cell
) t WHERE geom IS NOT NULL
