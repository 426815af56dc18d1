-- +goose Up
-- The emerging hot-spot grid of a kommun, whole, whoever asks (as 00016 for the summaries' hot
-- spots).
--
-- Emerging hot spots run Gi* per month over the whole kommun grid (docs/risk-model.md). Under
-- row-level security a lokalpolisområde's caller read from hotspot_month and h3_agg only the
-- cells touching its areas, so the same area got other categories for other callers.
--
-- emerging_cell_months is, like hotspot_grid, a narrowly defined read that is not clipped to the
-- caller's cell scope. It runs as its owner (SECURITY DEFINER, not subject to row-level
-- security), answers only for a kommun in which the caller may see an area (the scope settings
-- of 00008, checked the way area's policy checks them; no settings: no rows), and returns only
-- Gi*'s input: per res-8 cell and month the number of exact incidents, summed over every source
-- and agency — no area, no incident row. The service publishes the result (categories, trend,
-- z-scores) only for cells the caller may see; the counts never leave it.

-- +goose StatementBegin
-- emerging_cell_months returns (cell, month, n) of kommun in the months [lo, hi) (first days):
-- every group from hotspot_month when grp is NULL (as the former sql/analysis_cell_months.sql did under
-- row-level security), else one category group from h3_agg's daily res-8 rows summed per month
-- for the cells hotspot_month has in those months (as the former sql/analysis_group_cell_months.sql did).
CREATE FUNCTION emerging_cell_months(kommun text, lo date, hi date, grp text)
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
SELECT c.cell, date_trunc('month', a.day::timestamp)::date, sum(a.n)::int
FROM c CROSS JOIN LATERAL (
    SELECT a.day, a.n FROM h3_agg a
    WHERE a.res = 8 AND a.cell = c.cell AND a.day + 0 >= emerging_cell_months.lo
      AND a.day + 0 < emerging_cell_months.hi AND a.category_group = grp OFFSET 0) a
GROUP BY 1, 2
$$;
-- +goose StatementEnd

REVOKE ALL ON FUNCTION emerging_cell_months(text, date, date, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION emerging_cell_months(text, date, date, text) TO lagesbild_reader;

-- +goose Down
DROP FUNCTION emerging_cell_months(text, date, date, text);
