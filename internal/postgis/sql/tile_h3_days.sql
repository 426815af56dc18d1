-- The h3 layer with a date filter: the counts of the cells in the tile at resolution $4 (5–7);
-- $5 from, $6 to (days, inclusive, NULL = open), $7 groups, $8 agencies (NULL = all). The months
-- the period covers whole come from h3_agg (per month, migration 00033); the days of its partial
-- first and last month from incident's day index (h3_partial_days, scoped by cell as h3_agg is).
-- A month m is whole in the period when m >= $5 and its last day <= $6, i.e.
-- m <= ($6 + 1) - 1 month (sargable on h3_agg's key). Counts below k are suppressed in the
-- properties. The cost follows the number of cells in the tile and months, plus the incidents
-- of at most two partial months.
SELECT ST_AsMVT(t, 'h3', 4096, 'geom', 'fid') FROM (
    SELECT c.cell AS fid, /*PROPS*/,
           ST_AsMVTGeom(c.geom_3857, q.env, 4096, 64, true) AS geom
    FROM (
        SELECT a.cell, sum(a.n)::int AS total,
               /*GROUPS:sum(a.n) FILTER (WHERE a.category_group = '%s')::int AS %s*/
        FROM (
            SELECT m.cell, m.category_group, m.n
            FROM q
            JOIN h3_cell hc ON hc.res = $4 AND hc.geom && q.box
            JOIN h3_agg m ON m.res = $4 AND m.cell = hc.cell
            WHERE ($5::date IS NULL OR m.month >= $5)
              AND ($6::date IS NULL OR m.month <= (($6::date + 1) - interval '1 month')::date)
              AND ($7::text[] IS NULL OR m.category_group = ANY ($7))
              AND ($8::text[] IS NULL OR m.agency = ANY ($8))
            UNION ALL
            SELECT p.cell, p.category_group, p.n
            FROM h3_partial_days($4::int, $5::date, $6::date,
                                 array(SELECT hc.cell FROM q JOIN h3_cell hc ON hc.res = $4 AND hc.geom && q.box),
                                 $7::text[], $8::text[]) p
        ) a
        GROUP BY a.cell
    ) s
    JOIN h3_cell c ON c.cell = s.cell
    CROSS JOIN q
) t WHERE geom IS NOT NULL
