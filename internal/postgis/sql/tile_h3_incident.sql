-- The h3 layer at resolution 9 ($4) with any filter: the aggregates keep no resolution 9
-- (migration 00019), so the exact incidents of the tile's res-9 cells are counted through
-- incident's (h3_9, occurred_day) index by h3_res9_counts, which scopes them by cell as the
-- aggregates were. $5 from, $6 to (days, inclusive, NULL = open), $7 groups, $8 agencies (NULL =
-- all). A res-9 tile covers a few km², so the cost is bounded by the tile's area.
SELECT ST_AsMVT(t, 'h3', 4096, 'geom', 'fid') FROM (
    SELECT c.cell AS fid, /*PROPS*/,
           ST_AsMVTGeom(c.geom_3857, q.env, 4096, 64, true) AS geom
    FROM (
        SELECT a.cell, sum(a.n)::int AS total,
               /*GROUPS:sum(a.n) FILTER (WHERE a.category_group = '%s')::int AS %s*/
        FROM q
        CROSS JOIN LATERAL h3_res9_counts(
            array(SELECT hc.cell FROM h3_cell hc WHERE hc.res = 9 AND hc.geom && q.box),
            $5::date, $6::date, $7::text[], $8::text[]) a
        WHERE $4::int = 9
        GROUP BY a.cell
    ) s
    JOIN h3_cell c ON c.cell = s.cell
    CROSS JOIN q
) t WHERE geom IS NOT NULL
