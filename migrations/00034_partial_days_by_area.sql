-- +goose Up
-- The partial days of a date-filtered h3 tile bounded by the tile's area (issue 14, session 9).
--
-- h3_partial_days (00033) read the days of a period's partial first and last month from the
-- national day index and then kept the tile's cells, so a small tile paid for every incident of
-- up to two months in the country (≈ 40 k index entries per month at 1 M incidents over two
-- years): the median of the cold date-filtered tiles rose by 4–15 ms. With a list of cells it
-- now reads incident through (h3_5, occurred_day): one index range per res-5 parent of the
-- cells and partial-day range, so the cost follows the incidents of the tile's area. Without a
-- list (the OGC listing of every cell with incidents in a period) it keeps the day index.
SET LOCAL statement_timeout = 0;

CREATE INDEX incident_h3_5_day_idx ON incident (h3_5, occurred_day) INCLUDE (h3_8, category_group, agency)
    WHERE h3_8 IS NOT NULL;

-- +goose StatementBegin
-- h3_partial_days returns (cell, category_group, n): the exact incidents per cell of resolution
-- res (5-7) on the days of [d_from, d_to] (inclusive; NULL: open) whose calendar month the period
-- does not cover whole — the days h3_agg's month rows leave out — in the given cells (NULL: all),
-- groups and agencies (NULL: all), for the cells the caller may see (h3_agg's policy). Those days
-- lie in at most two ranges: from d_from to the end of its month, and from the start of d_to's
-- month to d_to (one range when both ends fall in one month). A record's cell at res is the
-- parent of its res-8 cell, taken from the index's h3_8 by its bits (resolution field res,
-- digits below res set to 7, as hexgrid.Parent derives h3_5 … h3_8 from h3_9); the res-5 parent
-- of a given cell likewise. Only one of the two branches runs: the function is planned
-- generically, and each branch's test of cells is a one-time filter.
CREATE OR REPLACE FUNCTION h3_partial_days(res integer, d_from date, d_to date, cells bigint[], grps text[], ags text[])
RETURNS TABLE (cell bigint, category_group text, n integer)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
WITH b AS (
    SELECT d_from AS lo, d_to AS hi,
           d_from IS NOT NULL AND d_from <> date_trunc('month', d_from::timestamp)::date AS head,
           d_to IS NOT NULL AND d_to <> (date_trunc('month', d_to::timestamp) + interval '1 month')::date - 1 AS tail
), r AS (
    SELECT b.lo, least((date_trunc('month', b.lo::timestamp) + interval '1 month')::date - 1, coalesce(b.hi, 'infinity'::date)) AS hi
    FROM b WHERE b.head
    UNION ALL
    SELECT greatest(date_trunc('month', b.hi::timestamp)::date, coalesce(b.lo, '-infinity'::date)), b.hi
    FROM b WHERE b.tail AND NOT (b.head AND date_trunc('month', b.lo::timestamp) = date_trunc('month', b.hi::timestamp))
), k AS (
    SELECT DISTINCT ((c & ~(15::bigint << 52)) | (5::bigint << 52)) | ((1::bigint << 30) - 1) AS h3_5
    FROM unnest(cells) c
), i AS (
    SELECT i.h3_8, i.category_group, i.agency
    FROM r
    JOIN incident i ON i.h3_8 IS NOT NULL AND i.occurred_day BETWEEN r.lo AND r.hi
    WHERE cells IS NULL
    UNION ALL
    SELECT i.h3_8, i.category_group, i.agency
    FROM r
    CROSS JOIN k
    JOIN incident i ON i.h3_8 IS NOT NULL AND i.h3_5 = k.h3_5 AND i.occurred_day BETWEEN r.lo AND r.hi
    WHERE cells IS NOT NULL
)
SELECT p.cell, i.category_group, count(*)::int
FROM i
CROSS JOIN LATERAL (
    SELECT ((i.h3_8 & ~(15::bigint << 52)) | (h3_partial_days.res::bigint << 52))
           | ((1::bigint << (3 * (15 - h3_partial_days.res))) - 1) AS cell
) p
WHERE (grps IS NULL OR i.category_group = ANY (grps))
  AND (ags IS NULL OR i.agency = ANY (ags))
  AND (cells IS NULL OR p.cell IN (SELECT unnest(cells)))
  AND (scope_all() OR p.cell IN (SELECT c.cell FROM h3_cell c
                                 WHERE c.res = h3_partial_days.res
                                   AND (c.region_code = ANY (scope_regions()) OR c.lpo_codes && scope_lpos())))
GROUP BY 1, 2
$$;
-- +goose StatementEnd

-- +goose Down
SET LOCAL statement_timeout = 0;
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION h3_partial_days(res integer, d_from date, d_to date, cells bigint[], grps text[], ags text[])
RETURNS TABLE (cell bigint, category_group text, n integer)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
WITH b AS (
    SELECT d_from AS lo, d_to AS hi,
           d_from IS NOT NULL AND d_from <> date_trunc('month', d_from::timestamp)::date AS head,
           d_to IS NOT NULL AND d_to <> (date_trunc('month', d_to::timestamp) + interval '1 month')::date - 1 AS tail
), r AS (
    SELECT b.lo, least((date_trunc('month', b.lo::timestamp) + interval '1 month')::date - 1, coalesce(b.hi, 'infinity'::date)) AS hi
    FROM b WHERE b.head
    UNION ALL
    SELECT greatest(date_trunc('month', b.hi::timestamp)::date, coalesce(b.lo, '-infinity'::date)), b.hi
    FROM b WHERE b.tail AND NOT (b.head AND date_trunc('month', b.lo::timestamp) = date_trunc('month', b.hi::timestamp))
)
SELECT p.cell, i.category_group, count(*)::int
FROM r
JOIN incident i ON i.h3_8 IS NOT NULL AND i.occurred_day BETWEEN r.lo AND r.hi
CROSS JOIN LATERAL (
    SELECT ((i.h3_8 & ~(15::bigint << 52)) | (h3_partial_days.res::bigint << 52))
           | ((1::bigint << (3 * (15 - h3_partial_days.res))) - 1) AS cell
) p
WHERE (grps IS NULL OR i.category_group = ANY (grps))
  AND (ags IS NULL OR i.agency = ANY (ags))
  AND (cells IS NULL OR p.cell IN (SELECT unnest(cells)))
  AND (scope_all() OR p.cell IN (SELECT c.cell FROM h3_cell c
                                 WHERE c.res = h3_partial_days.res
                                   AND (c.region_code = ANY (scope_regions()) OR c.lpo_codes && scope_lpos())))
GROUP BY 1, 2
$$;
-- +goose StatementEnd
DROP INDEX incident_h3_5_day_idx;
