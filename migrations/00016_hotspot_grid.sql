-- +goose Up
-- The hot-spot grid of a kommun, whole, whoever asks (issue 12: hot spots depended on who asked).
--
-- Gi* is computed over the whole kommun grid, not clipped to what the caller may see (docs/
-- risk-model.md): the z-score of a cell depends on the counts of every cell of the grid through
-- the grid's mean and variance. Under row-level security a lokalpolisområde's caller saw only
-- the cells touching its areas, so the same area got different hot spots for different callers.
--
-- These two functions are the one narrowly defined read that is not clipped to the caller's cell
-- scope. They run as their owner (SECURITY DEFINER, not subject to row-level security), answer
-- only for kommuner in which the caller may see an area (the scope settings of 00008, checked
-- here the way area's policy checks them; no settings: no rows), and return only what Gi* needs:
-- per res-8 cell the number of exact incidents in the period, summed over every source and
-- agency, and the cells of the list's areas as cells with 0 where they have none, without
-- naming the areas. The service uses them only as Gi*'s input and publishes the result (shares,
-- z-scores, hot flags) only for the cells of areas the caller may see; the counts never leave
-- it. Every other read, including the tables themselves, stays under row-level security.

-- +goose StatementBegin
-- hotspot_grid returns the grid of every kommun with an area of list set_year visible to the
-- caller: (kommun, cell, n) for the cells with incidents in the period (whole months [m_lo,
-- m_hi) from hotspot_month, partial ones [d_lo, d_hi) from h3_agg's res-8 rows, as
-- sql/summary_cells.sql did under row-level security) and n = 0 for the cells of the list's
-- areas in the kommun without any. A cell with incidents belongs to the kommun its centre lies
-- in (on a boundary between two kommuner of the list, the lower code); an area's cells are
-- those whose centre lies in it, or, for an area too small to hold a centre, the cells of its
-- incidents (as sql/summary_area_cells.sql).
CREATE FUNCTION hotspot_grid(set_year integer, m_lo date[], m_hi date[], d_lo date[], d_hi date[])
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
        SELECT g.cell, g.n FROM h3_agg g WHERE g.res = 8 AND g.day >= d.lo AND g.day < d.hi OFFSET 0) g
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
-- +goose StatementEnd

-- +goose StatementBegin
-- hotspot_group_cells returns the incidents per res-8 cell and category group of the whole
-- kommun in the days [lo, hi), for the per-group hot spots of one area's summary (as
-- sql/summary_group_cells.sql did under row-level security), when the caller may see an area
-- of the kommun; no rows otherwise.
CREATE FUNCTION hotspot_group_cells(kommun text, lo date, hi date)
RETURNS TABLE (cell bigint, category_group text, n integer)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
WITH c AS (
    SELECT DISTINCT h.cell FROM hotspot_month h
    WHERE h.kommun_code = kommun AND h.month >= date_trunc('month', lo::timestamp)::date AND h.month < hi
      AND EXISTS (SELECT 1 FROM area a WHERE a.kommun_code = kommun
                  AND (scope_all() OR a.region_code = ANY (scope_regions()) OR a.lpo_code = ANY (scope_lpos())))
)
SELECT c.cell, g.category_group, sum(g.n)::int
FROM c CROSS JOIN LATERAL (
    SELECT g.category_group, g.n FROM h3_agg g
    WHERE g.res = 8 AND g.cell = c.cell AND g.day >= lo AND g.day < hi OFFSET 0) g
GROUP BY c.cell, g.category_group
$$;
-- +goose StatementEnd

REVOKE ALL ON FUNCTION hotspot_grid(integer, date[], date[], date[], date[]) FROM PUBLIC;
REVOKE ALL ON FUNCTION hotspot_group_cells(text, date, date) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION hotspot_grid(integer, date[], date[], date[], date[]) TO lagesbild_reader;
GRANT EXECUTE ON FUNCTION hotspot_group_cells(text, date, date) TO lagesbild_reader;

-- +goose Down
DROP FUNCTION hotspot_grid(integer, date[], date[], date[], date[]);
DROP FUNCTION hotspot_group_cells(text, date, date);
