-- +goose Up
-- Resolution 8 leaves the H3 aggregates too (issue 14, step 1: aggregates much smaller than the
-- incidents; resolution 9 left in 00019).
--
-- At resolution 8 h3_agg held about as many rows as there are incidents (per cell, day, group
-- and agency) and h3_total half as many, all written in the import's transaction. They now keep
-- resolutions 5-7; h3_cell_total (one row per cell, the default view) keeps 8 and 9. The readers
-- of the res-8 rows count the incidents instead, with the same answers:
--   * the h3 tiles at resolution 8 with a filter and the OGC collection h3-r8: per cell, through
--     incident's (h3_9, occurred_day) index (the res-9 descendants of a cell are one range of
--     index values, as features_h3.sql uses), by h3_fine_counts, scoped by cell as h3_agg was;
--   * the days of the summaries' partial months, the deviation windows and the hot-spot grids:
--     per day, through a new index on (occurred_day) that carries the res-8 cell and the group,
--     by h3_res8_days (scoped by cell) or inside the SECURITY DEFINER hot-spot functions;
--   * hotspot_month (per kommun, month and res-8 cell) is rebuilt from incident.
-- One index entry per exact incident replaces about 1.4 aggregate rows (with their two indexes
-- and the conflict checks of the merge).
SET LOCAL statement_timeout = 0;

DELETE FROM h3_agg WHERE res = 8;
DELETE FROM h3_total WHERE res = 8;
ALTER TABLE h3_agg DROP CONSTRAINT h3_agg_res_check, ADD CONSTRAINT h3_agg_res_check CHECK (res BETWEEN 5 AND 7);
ALTER TABLE h3_total DROP CONSTRAINT h3_total_res_check, ADD CONSTRAINT h3_total_res_check CHECK (res BETWEEN 5 AND 7);
DROP INDEX h3_agg_res8_day_idx;

CREATE INDEX incident_day_h3_8_idx ON incident (occurred_day) INCLUDE (h3_8, category_group)
    WHERE h3_8 IS NOT NULL;

-- +goose StatementBegin
-- h3_fine_counts returns (cell, category_group, n): the exact incidents of the given cells of
-- resolution res (8 or 9; any of 5-9 gives the same answer) with occurred_day in [d_from, d_to]
-- (NULL: open), in groups grps and agencies ags (NULL: all), for the cells the caller may see,
-- as h3_res9_counts (00019) does for resolution 9. A cell's incidents are those whose res-9
-- cell lies in its range of res-9 index values (resolution field 9, the digits below the cell's
-- from 0 to 7); the res-9 cells of that range are exactly its descendants.
CREATE FUNCTION h3_fine_counts(res integer, cells bigint[], d_from date, d_to date, grps text[], ags text[])
RETURNS TABLE (cell bigint, category_group text, n integer)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
SELECT c.cell, i.category_group, count(*)::int
FROM h3_cell c
CROSS JOIN LATERAL (SELECT ((1::bigint << (3 * (9 - h3_fine_counts.res))) - 1) << 18 AS mask) m
CROSS JOIN LATERAL (SELECT (((c.cell & ~(15::bigint << 52)) | (9::bigint << 52)) & ~m.mask) AS lo) r
JOIN incident i ON i.h3_9 BETWEEN r.lo AND (r.lo | m.mask)
WHERE c.cell = ANY (cells) AND c.res = h3_fine_counts.res
  AND (scope_all() OR c.region_code = ANY (scope_regions()) OR c.lpo_codes && scope_lpos())
  AND (d_from IS NULL OR i.occurred_day >= d_from)
  AND (d_to IS NULL OR i.occurred_day <= d_to)
  AND (grps IS NULL OR i.category_group = ANY (grps))
  AND (ags IS NULL OR i.agency = ANY (ags))
GROUP BY c.cell, i.category_group
$$;

-- h3_res8_days returns (cell, day, category_group, n): the exact incidents per res-8 cell, day
-- and group with occurred_day in [d_from, d_to] (inclusive), for the cells the caller may see
-- (h3_cell's policy, as h3_agg's rows were scoped): the res-8 rows h3_agg held, summed over
-- agencies.
CREATE FUNCTION h3_res8_days(d_from date, d_to date)
RETURNS TABLE (cell bigint, day date, category_group text, n integer)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
SELECT i.h3_8, i.occurred_day, i.category_group, count(*)::int
FROM incident i
WHERE i.h3_8 IS NOT NULL AND i.occurred_day >= d_from AND i.occurred_day <= d_to
  AND (scope_all() OR i.h3_8 IN (SELECT c.cell FROM h3_cell c
                                 WHERE c.res = 8 AND (c.region_code = ANY (scope_regions()) OR c.lpo_codes && scope_lpos())))
GROUP BY 1, 2, 3
$$;
-- +goose StatementEnd
REVOKE ALL ON FUNCTION h3_fine_counts(integer, bigint[], date, date, text[], text[]) FROM PUBLIC;
REVOKE ALL ON FUNCTION h3_res8_days(date, date) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION h3_fine_counts(integer, bigint[], date, date, text[], text[]) TO lagesbild_reader;
GRANT EXECUTE ON FUNCTION h3_res8_days(date, date) TO lagesbild_reader;

-- +goose StatementBegin
-- The hot-spot grid (00016): the partial days from incident instead of h3_agg's res-8 rows.
CREATE OR REPLACE FUNCTION hotspot_grid(set_year integer, m_lo date[], m_hi date[], d_lo date[], d_hi date[])
RETURNS TABLE (kommun_code text, cell bigint, n integer)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
WITH k AS (
    SELECT DISTINCT a.kommun_code FROM area a
    WHERE a.set_year = hotspot_grid.set_year
      AND (scope_all() OR a.region_code = ANY (scope_regions()) OR a.lpo_code = ANY (scope_lpos()))
),
m AS (SELECT * FROM unnest(m_lo, m_hi) AS r(lo, hi)),
d AS (SELECT * FROM unnest(d_lo, d_hi) AS r(lo, hi)),
c AS (
    SELECT g.kommun_code, g.cell, g.n
    FROM k CROSS JOIN m CROSS JOIN LATERAL (
        SELECT g.kommun_code, g.cell, g.n FROM hotspot_month g
        WHERE g.kommun_code = k.kommun_code AND g.month >= m.lo AND g.month < m.hi OFFSET 0) g
    UNION ALL
    SELECT ck.kommun_code, g.cell, g.n
    FROM d CROSS JOIN LATERAL (
        SELECT i.h3_8 AS cell, count(*)::int AS n FROM incident i
        WHERE i.h3_8 IS NOT NULL AND i.occurred_day >= d.lo AND i.occurred_day < d.hi
        GROUP BY i.h3_8 OFFSET 0) g
    JOIN h3_cell_kommun ck ON ck.cell = g.cell
    WHERE ck.kommun_code IN (SELECT kommun_code FROM k)
),
inc AS (
    SELECT DISTINCT ON (s.cell) s.kommun_code, s.cell, s.n
    FROM (SELECT c.cell, c.kommun_code, sum(c.n)::int AS n FROM c GROUP BY c.cell, c.kommun_code) s
    WHERE s.n > 0
    ORDER BY s.cell, s.kommun_code
),
centre AS (
    SELECT a.id, a.kommun_code, h.cell
    FROM area a
    JOIN h3_cell h ON h.res = 8 AND h.geom && a.geom AND ST_Contains(a.geom, ST_Centroid(h.geom))
    WHERE a.set_year = hotspot_grid.set_year AND a.kommun_code IN (SELECT kommun_code FROM k)
),
ac AS (
    SELECT centre.kommun_code, centre.cell FROM centre
    UNION
    SELECT a.kommun_code, i.h3_8
    FROM area a
    JOIN incident_area ia ON ia.area_id = a.id
    JOIN incident i ON i.id = ia.incident_id
    WHERE a.set_year = hotspot_grid.set_year AND a.kommun_code IN (SELECT kommun_code FROM k)
      AND i.h3_8 IS NOT NULL AND NOT EXISTS (SELECT 1 FROM centre c WHERE c.id = a.id)
)
SELECT inc.kommun_code, inc.cell, inc.n FROM inc
UNION ALL
SELECT ac.kommun_code, ac.cell, 0 FROM ac
WHERE NOT EXISTS (SELECT 1 FROM inc WHERE inc.kommun_code = ac.kommun_code AND inc.cell = ac.cell)
$$;

-- The per-group hot spots of one kommun (00016): each cell's incidents through the h3_9 range.
CREATE OR REPLACE FUNCTION hotspot_group_cells(kommun text, lo date, hi date)
RETURNS TABLE (cell bigint, category_group text, n integer)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
WITH c AS (
    SELECT DISTINCT h.cell FROM hotspot_month h
    WHERE h.kommun_code = kommun AND h.month >= date_trunc('month', lo::timestamp)::date AND h.month < hi
      AND EXISTS (SELECT 1 FROM area a WHERE a.kommun_code = kommun
                  AND (scope_all() OR a.region_code = ANY (scope_regions()) OR a.lpo_code = ANY (scope_lpos())))
)
SELECT c.cell, g.category_group, count(*)::int
FROM c CROSS JOIN LATERAL (
    SELECT i.category_group FROM incident i
    WHERE i.h3_9 BETWEEN (((c.cell & ~(15::bigint << 52)) | (9::bigint << 52)) & ~(7::bigint << 18))
                     AND ((c.cell & ~(15::bigint << 52)) | (9::bigint << 52) | (7::bigint << 18))
      AND i.occurred_day >= lo AND i.occurred_day < hi OFFSET 0) g
GROUP BY c.cell, g.category_group
$$;

-- The emerging hot-spot grid of one group (00018): the cells' months through the h3_9 range.
CREATE OR REPLACE FUNCTION emerging_cell_months(kommun text, lo date, hi date, grp text)
RETURNS TABLE (cell bigint, month date, n integer)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
WITH ok AS (
    SELECT EXISTS (SELECT 1 FROM area a WHERE a.kommun_code = emerging_cell_months.kommun
                   AND (scope_all() OR a.region_code = ANY (scope_regions()) OR a.lpo_code = ANY (scope_lpos()))) AS ok
),
total AS (
    SELECT g.cell, g.month, g.n FROM hotspot_month g, ok
    WHERE ok.ok AND g.kommun_code = emerging_cell_months.kommun
      AND g.month >= emerging_cell_months.lo AND g.month < emerging_cell_months.hi
),
c AS (SELECT DISTINCT total.cell FROM total WHERE grp IS NOT NULL)
SELECT total.cell, total.month, total.n FROM total WHERE grp IS NULL
UNION ALL
SELECT c.cell, date_trunc('month', a.occurred_day::timestamp)::date, count(*)::int
FROM c CROSS JOIN LATERAL (
    SELECT i.occurred_day FROM incident i
    WHERE i.h3_9 BETWEEN (((c.cell & ~(15::bigint << 52)) | (9::bigint << 52)) & ~(7::bigint << 18))
                     AND ((c.cell & ~(15::bigint << 52)) | (9::bigint << 52) | (7::bigint << 18))
      AND i.occurred_day >= emerging_cell_months.lo AND i.occurred_day < emerging_cell_months.hi
      AND i.category_group = grp OFFSET 0) a
GROUP BY 1, 2
$$;

-- hotspot_month from incident (00014's refresh_cell_kommun read h3_agg's res-8 rows).
CREATE OR REPLACE FUNCTION refresh_cell_kommun(only_cells bigint[]) RETURNS void LANGUAGE plpgsql
SET plan_cache_mode = force_custom_plan AS $$
BEGIN
    IF only_cells IS NULL THEN
        DELETE FROM h3_cell_kommun;
        DELETE FROM hotspot_month;
        INSERT INTO h3_cell_kommun (cell, kommun_code)
        SELECT DISTINCT h.cell, kp.kommun_code
        FROM h3_cell h
        JOIN kommun_part kp ON ST_Intersects(kp.geom, ST_Centroid(h.geom))
        WHERE h.res = 8;
        INSERT INTO hotspot_month (kommun_code, month, cell, n)
        SELECT k.kommun_code, date_trunc('month', i.occurred_day::timestamp)::date, i.h3_8, count(*)::int
        FROM incident i
        JOIN h3_cell_kommun k ON k.cell = i.h3_8
        WHERE i.h3_8 IS NOT NULL
        GROUP BY 1, 2, 3
        ORDER BY 1, 2, 3;
        RETURN;
    END IF;
    CREATE TEMP TABLE refresh_cells ON COMMIT DROP AS
    SELECT DISTINCT c AS cell FROM unnest(only_cells) c WHERE (c >> 52) & 15 = 8;
    ANALYZE refresh_cells;
    DELETE FROM h3_cell_kommun WHERE cell IN (SELECT cell FROM refresh_cells);
    DELETE FROM hotspot_month WHERE cell IN (SELECT cell FROM refresh_cells);
    INSERT INTO h3_cell_kommun (cell, kommun_code)
    SELECT DISTINCT h.cell, kp.kommun_code
    FROM refresh_cells r
    JOIN h3_cell h ON h.cell = r.cell
    JOIN kommun_part kp ON ST_Intersects(kp.geom, ST_Centroid(h.geom));
    INSERT INTO hotspot_month (kommun_code, month, cell, n)
    SELECT k.kommun_code, date_trunc('month', i.occurred_day::timestamp)::date, r.cell, count(*)::int
    FROM refresh_cells r
    JOIN h3_cell_kommun k ON k.cell = r.cell
    JOIN incident i ON i.h3_9 BETWEEN (((r.cell & ~(15::bigint << 52)) | (9::bigint << 52)) & ~(7::bigint << 18))
                                  AND ((r.cell & ~(15::bigint << 52)) | (9::bigint << 52) | (7::bigint << 18))
    GROUP BY 1, 2, 3
    ORDER BY 1, 2, 3;
    DROP TABLE refresh_cells;
END
$$;
-- +goose StatementEnd

ANALYZE h3_agg, h3_total;

-- +goose Down
SET LOCAL statement_timeout = 0;
DROP FUNCTION h3_res8_days(date, date);
DROP FUNCTION h3_fine_counts(integer, bigint[], date, date, text[], text[]);
DROP INDEX incident_day_h3_8_idx;
ALTER TABLE h3_total DROP CONSTRAINT h3_total_res_check, ADD CONSTRAINT h3_total_res_check CHECK (res BETWEEN 5 AND 8);
ALTER TABLE h3_agg DROP CONSTRAINT h3_agg_res_check, ADD CONSTRAINT h3_agg_res_check CHECK (res BETWEEN 5 AND 8);
INSERT INTO h3_agg (res, cell, day, category_group, agency, n, region_code, lpo_codes)
SELECT 8, i.h3_8, i.occurred_day, i.category_group, i.agency, count(*)::int, c.region_code, c.lpo_codes
FROM incident i JOIN h3_cell c ON c.cell = i.h3_8
WHERE i.precision = 'exact'
GROUP BY i.h3_8, i.occurred_day, i.category_group, i.agency, c.region_code, c.lpo_codes;
INSERT INTO h3_total (res, cell, category_group, agency, n, region_code, lpo_codes)
SELECT 8, cell, category_group, agency, sum(n)::int, region_code, lpo_codes
FROM h3_agg WHERE res = 8
GROUP BY cell, category_group, agency, region_code, lpo_codes;
CREATE INDEX h3_agg_res8_day_idx ON h3_agg (day, cell) INCLUDE (n) WHERE res = 8;
-- hotspot_grid, hotspot_group_cells, emerging_cell_months and refresh_cell_kommun keep the
-- bodies above: they read incident, which gives the same answers with the res-8 rows back.
