-- +goose Up
-- Resolution 9 leaves the H3 aggregates (issue 14: an aggregate model whose cost grows with
-- cells, not incidents).
--
-- h3_agg held one row per (res, cell, day, group, agency): at resolution 9 that is about one row
-- per incident (199 747 rows for 200 000 demo incidents), and h3_total 0.7 rows per incident,
-- each written in the import's transaction. Their only reader was the h3 tile layer with a date,
-- category or agency filter at zoom 12 and above, where a tile covers a few km². That tile now
-- counts the incidents of its res-9 cells straight from incident, through an index on (h3_9,
-- occurred_day) that carries the group and agency, so its cost follows the tile's area.
-- h3_cell_total (one row per cell, the default view) keeps resolution 9.
--
-- The counts are those the aggregates held: exact incidents per res-9 cell, day, group and
-- agency. They are scoped by cell, as h3_agg's rows were (a cell belongs to the region of its
-- centre and to the lokalpolisområden of the areas it touches, so a border cell counts the
-- incidents on both sides): h3_res9_counts runs as its owner, so incident's own row-level
-- security (by incident) does not clip a border cell, and returns counts only for cells the
-- caller may see under h3_cell's policy, checked here the way 00013 checks it; no scope
-- settings: no rows. It returns counts per cell and group only, never an incident.
DELETE FROM h3_agg WHERE res = 9;
DELETE FROM h3_total WHERE res = 9;
ALTER TABLE h3_agg DROP CONSTRAINT h3_agg_res_check, ADD CONSTRAINT h3_agg_res_check CHECK (res BETWEEN 5 AND 8);
ALTER TABLE h3_total DROP CONSTRAINT h3_total_res_check, ADD CONSTRAINT h3_total_res_check CHECK (res BETWEEN 5 AND 8);

-- Replaces incident_h3_9_idx (handelser tiles, OGC h3-r7 and the buffer analysis look incidents
-- up by h3_9 as before): the day range is then part of the index scan, and the tile's counts
-- need no heap access on a vacuumed table.
CREATE INDEX incident_h3_9_day_idx ON incident (h3_9, occurred_day) INCLUDE (category_group, agency)
    WHERE h3_9 IS NOT NULL;
DROP INDEX incident_h3_9_idx;

-- +goose StatementBegin
-- h3_res9_counts returns (cell, category_group, n): the exact incidents of the given res-9 cells
-- with occurred_day in [d_from, d_to] (NULL: open), in groups grps and agencies ags (NULL: all),
-- for the cells the caller may see.
CREATE FUNCTION h3_res9_counts(cells bigint[], d_from date, d_to date, grps text[], ags text[])
RETURNS TABLE (cell bigint, category_group text, n integer)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
SELECT i.h3_9, i.category_group, count(*)::int
FROM h3_cell c
JOIN incident i ON i.h3_9 = c.cell
WHERE c.cell = ANY (cells) AND c.res = 9
  AND (scope_all() OR c.region_code = ANY (scope_regions()) OR c.lpo_codes && scope_lpos())
  AND (d_from IS NULL OR i.occurred_day >= d_from)
  AND (d_to IS NULL OR i.occurred_day <= d_to)
  AND (grps IS NULL OR i.category_group = ANY (grps))
  AND (ags IS NULL OR i.agency = ANY (ags))
GROUP BY i.h3_9, i.category_group
$$;
-- +goose StatementEnd
REVOKE ALL ON FUNCTION h3_res9_counts(bigint[], date, date, text[], text[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION h3_res9_counts(bigint[], date, date, text[], text[]) TO lagesbild_reader;

-- +goose Down
DROP FUNCTION h3_res9_counts(bigint[], date, date, text[], text[]);
CREATE INDEX incident_h3_9_idx ON incident (h3_9) WHERE h3_9 IS NOT NULL;
DROP INDEX incident_h3_9_day_idx;
ALTER TABLE h3_total DROP CONSTRAINT h3_total_res_check, ADD CONSTRAINT h3_total_res_check CHECK (res BETWEEN 5 AND 9);
ALTER TABLE h3_agg DROP CONSTRAINT h3_agg_res_check, ADD CONSTRAINT h3_agg_res_check CHECK (res BETWEEN 5 AND 9);
INSERT INTO h3_agg (res, cell, day, category_group, agency, n, region_code, lpo_codes)
SELECT 9, i.h3_9, i.occurred_day, i.category_group, i.agency, count(*)::int, c.region_code, c.lpo_codes
FROM incident i JOIN h3_cell c ON c.cell = i.h3_9
WHERE i.precision = 'exact'
GROUP BY i.h3_9, i.occurred_day, i.category_group, i.agency, c.region_code, c.lpo_codes;
INSERT INTO h3_total (res, cell, category_group, agency, n, region_code, lpo_codes)
SELECT 9, cell, category_group, agency, sum(n)::int, region_code, lpo_codes
FROM h3_agg WHERE res = 9
GROUP BY cell, category_group, agency, region_code, lpo_codes;
