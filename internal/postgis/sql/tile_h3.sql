-- Aggregates of the cells in the tile at resolution $4; $5 from, $6 to (days, inclusive, NULL =
-- open), $7 groups, $8 agencies (NULL = all). Counts below k are suppressed in the properties.
-- The cost follows the number of cells in the tile, never the number of incidents. Without a
-- date filter the counts come from h3_total (no day dimension), with one from h3_agg.
SELECT ST_AsMVT(t, 'h3', 4096, 'geom', 'fid') FROM (
    SELECT c.cell AS fid, /*PROPS*/,
           ST_AsMVTGeom(c.geom_3857, q.env, 4096, 64, true) AS geom
    FROM (
        SELECT a.cell,
               sum(a.n)::int AS total,
               sum(a.n) FILTER (WHERE a.category_group = 'skjutning')::int AS skjutning,
               sum(a.n) FILTER (WHERE a.category_group = 'sprangning')::int AS sprangning,
               sum(a.n) FILTER (WHERE a.category_group = 'grovt_vald')::int AS grovt_vald,
               sum(a.n) FILTER (WHERE a.category_group = 'misshandel_hot')::int AS misshandel_hot,
               sum(a.n) FILTER (WHERE a.category_group = 'ran')::int AS ran,
               sum(a.n) FILTER (WHERE a.category_group = 'narkotika')::int AS narkotika,
               sum(a.n) FILTER (WHERE a.category_group = 'overgrepp_rattssak')::int AS overgrepp_rattssak,
               sum(a.n) FILTER (WHERE a.category_group = 'brand_skadegorelse')::int AS brand_skadegorelse,
               sum(a.n) FILTER (WHERE a.category_group = 'stold_inbrott')::int AS stold_inbrott,
               sum(a.n) FILTER (WHERE a.category_group = 'bedrageri_valfard')::int AS bedrageri_valfard,
               sum(a.n) FILTER (WHERE a.category_group = 'ovrigt')::int AS ovrigt
        FROM q
        JOIN h3_cell hc ON hc.res = $4 AND hc.geom && q.box
        JOIN /*AGG*/ a ON a.res = $4 AND a.cell = hc.cell
        WHERE true
          /*DAYS*/
          AND ($7::text[] IS NULL OR a.category_group = ANY ($7))
          AND ($8::text[] IS NULL OR a.agency = ANY ($8))
        GROUP BY a.cell
    ) s
    JOIN h3_cell c ON c.cell = s.cell
    CROSS JOIN q
) t WHERE geom IS NOT NULL
