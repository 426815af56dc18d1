-- Exact incidents per H3 cell of resolution $11 (6, 7 or 8) as OGC API features: one page ordered by
-- cell. Counts are raw here: the store applies the small-count rule before they leave it. A cell
-- is a feature when it has an h3_cell_total row, or incidents in the period: h3_agg rows of the
-- months the period covers whole (their n is never 0: rows reaching 0 are deleted) or incidents
-- on the days of its partial first and last month (h3_partial_days; h3_agg keeps months,
-- migration 00033), and at resolution 8, which h3_agg does not keep, incidents in the period.
-- A month m is whole in the period when m >= the first day and its last day <= the last day,
-- i.e. m <= (last day + 1) - 1 month. Cell polygons come from h3_cell (filled by the import); a cell without one has a null
-- geometry and never matches a bbox.
-- $1–$4: bbox in WGS84, all NULL for none (see features_areas.sql); $5: limit; $6: offset;
-- $7: one cell, or NULL; $8, $9: first and last instant of the period, or NULL for an open end
-- (compared as Europe/Stockholm days); $10: the source of synthetic demo records; $11: the
-- resolution; $12: the bits of the resolution 9 digits below it (digits $11+1 … 9); $13, $14:
-- a data version and what the store read of it without row-level security: 'none' (no synthetic
-- incident), 'all' (every incident with a position is synthetic: the demo) or 'some'; or NULL.
--
-- The page costs what the page holds, not what the query matches (issue 13: the whole-country
-- page held the reader connections 0.5–2.8 s under load): the matches are NOT counted. The first
-- column is the number of cells found from the offset, at most $5 + 1: the store gives
-- numberMatched when the page is the last one and says "more" otherwise (OGC API – Features
-- allows leaving numberMatched out). Without a period the page is found in index order and the
-- search stops after $5 + 1 cells: with a bbox the planner either walks h3_cell in cell order
-- (a bbox covering most cells: it stops after the page) or takes the cells in the bbox from the
-- GiST index and sorts only those (a small bbox); the polygon test is against the bbox as a
-- constant (env is inlined and folded for the values of each call, so the planner estimates its
-- selectivity). The cells of resolution $11 are one contiguous range of index values (mode 1,
-- resolution field $11: H3 index layout, h3Index.h), which bounds the ordered walk (without
-- the upper end a caller who sees few cells, one lokalpolisområde, walked every finer cell
-- too: 0.8 s; with it the planner ANDs a bitmap of the range into the GiST scan of a small
-- bbox, a few ms).
-- With a period the cells come from h3_agg and the partial days (or from incident at resolution
-- 8) and are sorted.
-- A CQL2 filter (its queryables: the cell and its geometry) applies in each branch, on c0.cell
-- and hc.geom.
-- synthetic says whether any counted incident is synthetic. Without any synthetic incident in
-- the database no cell is looked at, nor when every incident with a position is synthetic (then
-- every cell is): $14 says which while data_version is still $13, else the caller's incidents
-- are asked (under a lokal scope that cost 0.3–0.4 s a page: the policy hashes every incident
-- of the caller's areas first; the test per cell, under the same policy, as much again). Otherwise a cell's incidents are found through the index on
-- h3_9: the resolution 9 descendants of a cell are one contiguous range of index values
-- (resolution field 9, the digits below the cell's from 0 to 7, the finer digits 7 as in every
-- resolution 9 index). The import derives h3_6 … h3_8 from h3_9's bits (hexgrid.Parent), so
-- the range holds exactly the cell's incidents and no per-cell column is compared: that test
-- made the planner expect one row, read every incident of the cell by bitmap (0.2–0.5 ms a
-- cell, a third of a page under load) instead of stopping at the first synthetic one. The source test
-- is written "IS TRUE" to keep it out of the (source, source_id) index, which a planner with
-- stale statistics would otherwise combine with h3_9 and read in full per cell.
WITH env AS NOT MATERIALIZED (
    SELECT ST_Transform(ST_Segmentize(ST_MakeEnvelope($1, $2, $3, $4, 4326), 0.1), 3006) AS g
), p AS (
    -- No period, no bbox: h3_cell_total in index order.
    (SELECT c0.cell
     FROM h3_cell_total c0
     LEFT JOIN h3_cell hc ON hc.cell = c0.cell
     WHERE $1::float8 IS NULL AND $8::timestamptz IS NULL AND $9::timestamptz IS NULL
       AND c0.res = $11::int::smallint
       AND ($7::bigint IS NULL OR c0.cell = $7)
       AND /*FILTER*/true
     ORDER BY c0.cell
     LIMIT $5::int + 1 OFFSET $6)
    UNION ALL
    -- No period, a bbox: the cells of h3_cell in the bbox that have an h3_cell_total row (looked
    -- up cell by cell: OFFSET 0 keeps the planner from hashing all of h3_cell_total).
    (SELECT hc.cell
     FROM h3_cell hc
     CROSS JOIN env
     CROSS JOIN LATERAL (
         SELECT t.cell FROM h3_cell_total t WHERE t.res = $11::int::smallint AND t.cell = hc.cell OFFSET 0
     ) c0
     WHERE $1::float8 IS NOT NULL AND $8::timestamptz IS NULL AND $9::timestamptz IS NULL
       AND hc.res = $11::int::smallint
       AND hc.cell BETWEEN (1::bigint << 59) | ($11::bigint << 52) AND ((1::bigint << 59) | (($11::bigint + 1) << 52)) - 1
       AND ($7::bigint IS NULL OR hc.cell = $7)
       AND ST_Intersects(hc.geom, env.g)
       AND /*FILTER*/true
     ORDER BY hc.cell
     LIMIT $5::int + 1 OFFSET $6)
    UNION ALL
    -- A period: the cells with h3_agg rows in its whole months or incidents on its partial
    -- days, or at resolution 8 (the aggregates keep no res-8 rows, migration 00024) the cells
    -- with incidents in it (h3_res8_days, scoped by cell).
    (SELECT c0.cell
     FROM (
         SELECT a.cell
         FROM h3_agg a
         WHERE a.res = $11::int AND $11::int < 8
           AND ($7::bigint IS NULL OR a.cell = $7)
           AND ($8::timestamptz IS NULL OR a.month >= ($8::timestamptz AT TIME ZONE 'Europe/Stockholm')::date)
           AND ($9::timestamptz IS NULL OR a.month <= ((($9::timestamptz AT TIME ZONE 'Europe/Stockholm')::date + 1) - interval '1 month')::date)
           AND ($1::float8 IS NULL OR a.cell IN (
                 SELECT b.cell FROM h3_cell b, env
                 WHERE b.res = $11::int::smallint AND ST_Intersects(b.geom, env.g)))
         UNION
         SELECT a.cell
         FROM h3_partial_days($11::int, ($8::timestamptz AT TIME ZONE 'Europe/Stockholm')::date,
                              ($9::timestamptz AT TIME ZONE 'Europe/Stockholm')::date, NULL, NULL, NULL) a
         WHERE $11::int < 8
           AND ($7::bigint IS NULL OR a.cell = $7)
           AND ($1::float8 IS NULL OR a.cell IN (
                 SELECT b.cell FROM h3_cell b, env
                 WHERE b.res = $11::int::smallint AND ST_Intersects(b.geom, env.g)))
         UNION
         SELECT a.cell
         FROM h3_res8_days(coalesce(($8::timestamptz AT TIME ZONE 'Europe/Stockholm')::date, '-infinity'),
                           coalesce(($9::timestamptz AT TIME ZONE 'Europe/Stockholm')::date, 'infinity')) a
         WHERE $11::int = 8
           AND ($7::bigint IS NULL OR a.cell = $7)
           AND ($1::float8 IS NULL OR a.cell IN (
                 SELECT b.cell FROM h3_cell b, env
                 WHERE b.res = 8 AND ST_Intersects(b.geom, env.g)))
     ) c0
     LEFT JOIN h3_cell hc ON hc.cell = c0.cell
     WHERE NOT ($8::timestamptz IS NULL AND $9::timestamptz IS NULL)
       AND /*FILTER*/true
     ORDER BY c0.cell
     LIMIT $5::int + 1 OFFSET $6)
), pg AS (
    SELECT cell FROM p ORDER BY cell LIMIT $5
), g AS (
    SELECT t.cell, t.category_group, sum(t.n)::int AS n
    FROM h3_total t
    WHERE $8::timestamptz IS NULL AND $9::timestamptz IS NULL
      AND t.res = $11::int AND $11::int < 8 AND t.cell IN (SELECT cell FROM pg)
    GROUP BY t.cell, t.category_group
    UNION ALL
    -- A period at resolution 6 or 7: the page's cells from h3_agg's whole months and the
    -- partial days.
    SELECT a.cell, a.category_group, sum(a.n)::int AS n
    FROM (
        SELECT a.cell, a.category_group, a.n
        FROM h3_agg a
        WHERE NOT ($8::timestamptz IS NULL AND $9::timestamptz IS NULL)
          AND a.res = $11::int AND $11::int < 8 AND a.cell IN (SELECT cell FROM pg)
          AND ($8::timestamptz IS NULL OR a.month >= ($8::timestamptz AT TIME ZONE 'Europe/Stockholm')::date)
          AND ($9::timestamptz IS NULL OR a.month <= ((($9::timestamptz AT TIME ZONE 'Europe/Stockholm')::date + 1) - interval '1 month')::date)
        UNION ALL
        SELECT f.cell, f.category_group, f.n
        FROM h3_partial_days($11::int, ($8::timestamptz AT TIME ZONE 'Europe/Stockholm')::date,
                             ($9::timestamptz AT TIME ZONE 'Europe/Stockholm')::date,
                             array(SELECT cell FROM pg), NULL, NULL) f
        WHERE $11::int < 8
    ) a
    GROUP BY a.cell, a.category_group
    UNION ALL
    -- Resolution 8, with or without a period: the page's cells counted from incident.
    SELECT f.cell, f.category_group, f.n
    FROM h3_fine_counts(8, array(SELECT cell FROM pg WHERE $11::int = 8),
                        ($8::timestamptz AT TIME ZONE 'Europe/Stockholm')::date,
                        ($9::timestamptz AT TIME ZONE 'Europe/Stockholm')::date, NULL, NULL) f
    WHERE $11::int = 8
), page AS (
    SELECT g.cell, sum(g.n)::int AS total, json_object_agg(g.category_group, g.n) AS groups
    FROM g
    GROUP BY g.cell
)
SELECT (SELECT count(*) FROM p)::int, page.cell, page.total, page.groups::text,
       CASE (SELECT CASE WHEN v.version = $13::bigint THEN $14::text
                         WHEN EXISTS (SELECT 1 FROM incident WHERE source = $10) THEN 'some' ELSE 'none' END
             FROM data_version v)
       WHEN 'none' THEN false
       WHEN 'all' THEN page.cell IS NOT NULL
       ELSE EXISTS (
           SELECT 1 FROM incident i
           WHERE i.h3_9 BETWEEN r.lo AND (r.lo | $12::bigint)
             AND (i.source = $10) IS TRUE
             AND ($8::timestamptz IS NULL OR i.occurred_day >= ($8::timestamptz AT TIME ZONE 'Europe/Stockholm')::date)
             AND ($9::timestamptz IS NULL OR i.occurred_day <= ($9::timestamptz AT TIME ZONE 'Europe/Stockholm')::date)
       ) END,
       ST_AsGeoJSON(ST_Transform(hc.geom, 4326), 6)
FROM (SELECT 1) one
LEFT JOIN page ON true
LEFT JOIN LATERAL (SELECT (((page.cell & ~(15::bigint << 52)) | (9::bigint << 52)) & ~$12::bigint) AS lo) r ON true
-- Cell by cell (OFFSET 0): a merge join would sort all of h3_cell for a page's polygons.
LEFT JOIN LATERAL (SELECT h.geom FROM h3_cell h WHERE h.cell = page.cell OFFSET 0) hc ON true
ORDER BY page.cell
