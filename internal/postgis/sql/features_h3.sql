-- Exact incidents per H3 cell of resolution $11 (6, 7 or 8) as OGC API features: one page ordered by cell, and
-- how many cells match. Counts are raw here: the store applies the small-count rule before they
-- leave it. A cell is a feature when it has an h3_cell_total row, or h3_agg rows in the period (their
-- n is never 0: rows reaching 0 are deleted; at resolution 8, which h3_agg does not keep, incidents
-- in the period). Only the page's cells are aggregated, so a page costs the same
-- wherever it starts. Cell polygons come from h3_cell (filled by the import); a cell without one
-- has a null geometry and never matches a bbox.
-- $1–$4: bbox in WGS84, all NULL for none (see features_areas.sql); $5: limit; $6: offset;
-- $7: one cell, or NULL; $8, $9: first and last instant of the period, or NULL for an open end
-- (compared as Europe/Stockholm days); $10: the source of synthetic demo records; $11: the
-- resolution; $12: the bits of the resolution 9 digits below it (digits $11+1 … 9).
-- synthetic says whether any counted incident is synthetic. Without any synthetic incident in
-- the database no cell is looked at. Otherwise a cell's incidents are found through the index on
-- h3_9: the resolution 9 descendants of a cell are one contiguous range of index values
-- (resolution field 9, the digits below the cell's from 0 to 7, the finer digits 7 as in every
-- resolution 9 index; H3 index layout, h3Index.h), and the cell's own column then confirms each
-- candidate. A CQL2 filter (its queryables: the cell and its geometry) applies in c. The
-- source test is written "IS TRUE" to keep it out of the (source, source_id) index, which a
-- planner with stale statistics would otherwise combine with h3_9 and read in full per cell.
WITH env AS (
    SELECT ST_Transform(ST_Segmentize(ST_MakeEnvelope($1, $2, $3, $4, 4326), 0.1), 3006) AS g
), c0 AS (
    -- Without a period the cells are those of h3_cell_total (one row per cell with incidents,
    -- scoped as h3_total), joined to their polygon for the bbox: no per-group rows to
    -- deduplicate and no scan of every resolution's polygons (issue 14: 0.5-2.8 s under load).
    -- With a period they come from h3_agg; the branch that does not apply is dropped when the
    -- statement is planned for the values.
    SELECT t.cell
    FROM h3_cell_total t
    LEFT JOIN h3_cell hc ON $1::float8 IS NOT NULL AND hc.cell = t.cell
    WHERE $8::timestamptz IS NULL AND $9::timestamptz IS NULL
      AND t.res = $11::int::smallint
      AND ($7::bigint IS NULL OR t.cell = $7)
      AND ($1::float8 IS NULL OR (hc.res = $11::int::smallint AND ST_Intersects(hc.geom, (SELECT g FROM env))))
    UNION
    SELECT a.cell
    FROM h3_agg a
    WHERE NOT ($8::timestamptz IS NULL AND $9::timestamptz IS NULL)
      AND a.res = $11::int AND $11::int < 8
      AND ($7::bigint IS NULL OR a.cell = $7)
      AND ($8::timestamptz IS NULL OR a.day >= ($8::timestamptz AT TIME ZONE 'Europe/Stockholm')::date)
      AND ($9::timestamptz IS NULL OR a.day <= ($9::timestamptz AT TIME ZONE 'Europe/Stockholm')::date)
      AND ($1::float8 IS NULL OR a.cell IN (
            SELECT hc.cell FROM h3_cell hc
            WHERE hc.res = $11::int::smallint AND ST_Intersects(hc.geom, (SELECT g FROM env))))
    UNION
    -- Resolution 8 with a period: the aggregates keep no res-8 rows (migration 00024); the
    -- cells with incidents in the period come from incident, scoped by cell (h3_res8_days).
    SELECT a.cell
    FROM h3_res8_days(coalesce(($8::timestamptz AT TIME ZONE 'Europe/Stockholm')::date, '-infinity'),
                      coalesce(($9::timestamptz AT TIME ZONE 'Europe/Stockholm')::date, 'infinity')) a
    WHERE NOT ($8::timestamptz IS NULL AND $9::timestamptz IS NULL) AND $11::int = 8
      AND ($7::bigint IS NULL OR a.cell = $7)
      AND ($1::float8 IS NULL OR a.cell IN (
            SELECT hc.cell FROM h3_cell hc
            WHERE hc.res = 8 AND ST_Intersects(hc.geom, (SELECT g FROM env))))
), c AS (
    SELECT c0.cell FROM c0 LEFT JOIN h3_cell hc ON hc.cell = c0.cell
    WHERE /*FILTER*/true
), p AS (
    SELECT cell FROM c ORDER BY cell LIMIT $5 OFFSET $6
), g AS (
    SELECT t.cell, t.category_group, sum(t.n)::int AS n
    FROM h3_total t
    WHERE $8::timestamptz IS NULL AND $9::timestamptz IS NULL
      AND t.res = $11::int AND $11::int < 8 AND t.cell IN (SELECT cell FROM p)
    GROUP BY t.cell, t.category_group
    UNION ALL
    SELECT a.cell, a.category_group, sum(a.n)::int AS n
    FROM h3_agg a
    WHERE NOT ($8::timestamptz IS NULL AND $9::timestamptz IS NULL)
      AND a.res = $11::int AND $11::int < 8 AND a.cell IN (SELECT cell FROM p)
      AND ($8::timestamptz IS NULL OR a.day >= ($8::timestamptz AT TIME ZONE 'Europe/Stockholm')::date)
      AND ($9::timestamptz IS NULL OR a.day <= ($9::timestamptz AT TIME ZONE 'Europe/Stockholm')::date)
    GROUP BY a.cell, a.category_group
    UNION ALL
    -- Resolution 8, with or without a period: the page's cells counted from incident.
    SELECT f.cell, f.category_group, f.n
    FROM h3_fine_counts(8, array(SELECT cell FROM p WHERE $11::int = 8),
                        ($8::timestamptz AT TIME ZONE 'Europe/Stockholm')::date,
                        ($9::timestamptz AT TIME ZONE 'Europe/Stockholm')::date, NULL, NULL) f
    WHERE $11::int = 8
), page AS (
    SELECT g.cell, sum(g.n)::int AS total, json_object_agg(g.category_group, g.n) AS groups
    FROM g
    GROUP BY g.cell
)
SELECT (SELECT count(*) FROM c)::int, page.cell, page.total, page.groups::text,
       CASE WHEN (SELECT EXISTS (SELECT 1 FROM incident WHERE source = $10)) THEN EXISTS (
           SELECT 1 FROM incident i
           WHERE i.h3_9 BETWEEN r.lo AND (r.lo | $12::bigint)
             AND CASE $11::int WHEN 6 THEN i.h3_6 WHEN 7 THEN i.h3_7 ELSE i.h3_8 END = page.cell
             AND (i.source = $10) IS TRUE
             AND ($8::timestamptz IS NULL OR i.occurred_day >= ($8::timestamptz AT TIME ZONE 'Europe/Stockholm')::date)
             AND ($9::timestamptz IS NULL OR i.occurred_day <= ($9::timestamptz AT TIME ZONE 'Europe/Stockholm')::date)
       ) ELSE false END,
       ST_AsGeoJSON(ST_Transform(hc.geom, 4326), 6)
FROM (SELECT 1) one
LEFT JOIN page ON true
LEFT JOIN LATERAL (SELECT (((page.cell & ~(15::bigint << 52)) | (9::bigint << 52)) & ~$12::bigint) AS lo) r ON true
LEFT JOIN h3_cell hc ON hc.cell = page.cell
ORDER BY page.cell
