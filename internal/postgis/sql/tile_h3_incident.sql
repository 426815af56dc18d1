-- The h3 layer at resolution 8 or 9 ($4) with any filter: the aggregates keep neither
-- (migrations 00019, 00024), so the exact incidents of the tile's cells are counted through
-- incident's (h3_9, occurred_day) index by h3_fine_counts, which scopes them by cell as the
-- aggregates were. $5 from, $6 to (days, inclusive, NULL = open), $7 groups, $8 agencies (NULL =
-- all). A tile at these resolutions covers a few km² to a few hundred, so the cost is bounded by
-- the tile's area.
SELECT ST_AsMVT(t, 'h3', 4096, 'geom', 'fid') FROM (
    SELECT c.cell AS fid, /*PROPS*/,
           ST_AsMVTGeom(c.geom_3857, q.env, 4096, 64, true) AS geom
    FROM (
        SELECT a.cell, sum(a.n)::int AS total,
               /*GROUPS:sum(a.n) FILTER (WHERE a.category_group = '%s')::int AS %s*/
        FROM q
        CROSS JOIN LATERAL h3_fine_counts($4::int,
            array(SELECT hc.cell FROM h3_cell hc WHERE hc.res = $4 AND hc.geom && q.box),
            $5::date, $6::date, $7::text[], $8::text[]) a
        GROUP BY a.cell
    ) s
    JOIN h3_cell c ON c.cell = s.cell
    CROSS JOIN q
) t WHERE geom IS NOT NULL
