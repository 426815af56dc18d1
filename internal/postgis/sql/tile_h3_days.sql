-- The h3 layer with a date filter: the daily counts (h3_agg, resolutions 5–7) of the cells in the
-- tile at resolution $4; $5 from, $6 to (days, inclusive, NULL = open), $7 groups, $8 agencies
-- (NULL = all). Counts below k are suppressed in the properties. The cost follows the number of
-- cells in the tile and days, never the number of incidents.
SELECT ST_AsMVT(t, 'h3', 4096, 'geom', 'fid') FROM (
    SELECT c.cell AS fid, /*PROPS*/,
           ST_AsMVTGeom(c.geom_3857, q.env, 4096, 64, true) AS geom
    FROM (
        SELECT a.cell, sum(a.n)::int AS total,
               /*GROUPS:sum(a.n) FILTER (WHERE a.category_group = '%s')::int AS %s*/
        FROM q
        JOIN h3_cell hc ON hc.res = $4 AND hc.geom && q.box
        JOIN h3_agg a ON a.res = $4 AND a.cell = hc.cell
        WHERE ($5::date IS NULL OR a.day >= $5) AND ($6::date IS NULL OR a.day <= $6)
          AND ($7::text[] IS NULL OR a.category_group = ANY ($7))
          AND ($8::text[] IS NULL OR a.agency = ANY ($8))
        GROUP BY a.cell
    ) s
    JOIN h3_cell c ON c.cell = s.cell
    CROSS JOIN q
) t WHERE geom IS NOT NULL
