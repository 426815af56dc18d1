-- +goose Up
-- h3_agg keeps months instead of days (issue 14, step 8: aggregates much smaller than the
-- incidents; resolutions 8 and 9 left in 00019 and 00024).
--
-- Per (res, cell, day, group, agency) h3_agg held 2.26 M rows for 1 M incidents at resolutions
-- 5-7, all merged in the import's transaction; per month it holds about 0.85 M. Its readers
-- (the h3 tiles with a date filter, the OGC h3 collections with a period, the collections' time
-- extent) take the months a period covers whole from h3_agg and the days of its partial first
-- and last month from incident, through the (occurred_day) index of 00024, which now carries
-- the agency too (an agency filter stays index-only): h3_partial_days, scoped by cell as
-- h3_agg's rows are. h3_total and h3_cell_total (no dates) are unchanged.
SET LOCAL statement_timeout = 0;

CREATE TEMP TABLE h3_agg_by_month ON COMMIT DROP AS
SELECT res, cell, date_trunc('month', day::timestamp)::date AS month, category_group, agency,
       sum(n)::int AS n, region_code, lpo_codes
FROM h3_agg
GROUP BY res, cell, 3, category_group, agency, region_code, lpo_codes;

TRUNCATE h3_agg;
ALTER TABLE h3_agg RENAME COLUMN day TO month;
ALTER TABLE h3_agg ADD CONSTRAINT h3_agg_month_check CHECK (month = date_trunc('month', month::timestamp)::date);
INSERT INTO h3_agg (res, cell, month, category_group, agency, n, region_code, lpo_codes)
SELECT res, cell, month, category_group, agency, n, region_code, lpo_codes
FROM h3_agg_by_month ORDER BY res, cell, month, category_group, agency;
ANALYZE h3_agg;

CREATE INDEX incident_day_h3_8_agency_idx ON incident (occurred_day) INCLUDE (h3_8, category_group, agency)
    WHERE h3_8 IS NOT NULL;
DROP INDEX incident_day_h3_8_idx;
ALTER INDEX incident_day_h3_8_agency_idx RENAME TO incident_day_h3_8_idx;

-- +goose StatementBegin
-- h3_partial_days returns (cell, category_group, n): the exact incidents per cell of resolution
-- res (5-7) on the days of [d_from, d_to] (inclusive; NULL: open) whose calendar month the period
-- does not cover whole — the days h3_agg's month rows leave out — in the given cells (NULL: all),
-- groups and agencies (NULL: all), for the cells the caller may see (h3_agg's policy). Those days
-- lie in at most two ranges: from d_from to the end of its month, and from the start of d_to's
-- month to d_to (one range when both ends fall in one month). A record's cell at res is the
-- parent of its res-8 cell, taken from the index's h3_8 by its bits (resolution field res,
-- digits below res set to 7, as hexgrid.Parent derives h3_5 … h3_8 from h3_9).
CREATE FUNCTION h3_partial_days(res integer, d_from date, d_to date, cells bigint[], grps text[], ags text[])
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

-- +goose StatementBegin
-- h3_day_extent returns the first and last day of the exact incidents whose res-7 cell the
-- caller may see (what min(day) and max(day) of h3_agg's res-7 rows gave before): the first and
-- last month come from h3_agg under its policy, the day within them from incident.
CREATE FUNCTION h3_day_extent(OUT d0 date, OUT d1 date)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
WITH m AS (
    SELECT min(a.month) AS m0, max(a.month) AS m1
    FROM h3_agg a
    WHERE a.res = 7 AND (scope_all() OR a.region_code = ANY (scope_regions()) OR a.lpo_codes && scope_lpos())
), v AS (
    SELECT c.cell FROM h3_cell c
    WHERE c.res = 7 AND (scope_all() OR c.region_code = ANY (scope_regions()) OR c.lpo_codes && scope_lpos())
)
SELECT (SELECT min(i.occurred_day) FROM incident i
        WHERE i.h3_8 IS NOT NULL AND i.occurred_day >= m.m0 AND i.occurred_day < (m.m0 + interval '1 month')::date
          AND (scope_all() OR (((i.h3_8 & ~(15::bigint << 52)) | (7::bigint << 52)) | ((1::bigint << 24) - 1)) IN (SELECT cell FROM v))),
       (SELECT max(i.occurred_day) FROM incident i
        WHERE i.h3_8 IS NOT NULL AND i.occurred_day >= m.m1 AND i.occurred_day < (m.m1 + interval '1 month')::date
          AND (scope_all() OR (((i.h3_8 & ~(15::bigint << 52)) | (7::bigint << 52)) | ((1::bigint << 24) - 1)) IN (SELECT cell FROM v)))
FROM m
$$;
-- +goose StatementEnd
REVOKE ALL ON FUNCTION h3_partial_days(integer, date, date, bigint[], text[], text[]) FROM PUBLIC;
REVOKE ALL ON FUNCTION h3_day_extent() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION h3_partial_days(integer, date, date, bigint[], text[], text[]) TO lagesbild_reader;
GRANT EXECUTE ON FUNCTION h3_day_extent() TO lagesbild_reader;

-- +goose Down
SET LOCAL statement_timeout = 0;
DROP FUNCTION h3_day_extent();
DROP FUNCTION h3_partial_days(integer, date, date, bigint[], text[], text[]);
CREATE INDEX incident_day_h3_8_old_idx ON incident (occurred_day) INCLUDE (h3_8, category_group)
    WHERE h3_8 IS NOT NULL;
DROP INDEX incident_day_h3_8_idx;
ALTER INDEX incident_day_h3_8_old_idx RENAME TO incident_day_h3_8_idx;
TRUNCATE h3_agg;
ALTER TABLE h3_agg DROP CONSTRAINT h3_agg_month_check;
ALTER TABLE h3_agg RENAME COLUMN month TO day;
INSERT INTO h3_agg (res, cell, day, category_group, agency, n, region_code, lpo_codes)
SELECT v.res, v.cell, i.occurred_day, i.category_group, i.agency, count(*)::int, c.region_code, c.lpo_codes
FROM incident i
CROSS JOIN LATERAL (VALUES (5, i.h3_5), (6, i.h3_6), (7, i.h3_7)) v(res, cell)
JOIN h3_cell c ON c.cell = v.cell
WHERE i.precision = 'exact'
GROUP BY v.res, v.cell, i.occurred_day, i.category_group, i.agency, c.region_code, c.lpo_codes;
