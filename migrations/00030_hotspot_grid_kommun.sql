-- +goose Up
-- The hot-spot grid of one kommun (issue 12: one area's summary within 300 ms at 1 M incidents).
--
-- A single area's summary, when its list is not cached, needs the hot-spot grid of its own kommun
-- only, but hotspot_grid (00016, 00024) builds the grid of every kommun of the list: at 1 M
-- incidents the costliest read of the summary. hotspot_grid_kommun returns exactly the rows
-- hotspot_grid returns for that kommun, and reads only what decides them:
--   * a res-8 cell belongs to the grid of the first kommun, in code order, of the kommuner of the
--     list the caller may see in which it has incidents (hotspot_grid's DISTINCT ON). Those
--     kommuner are the ones h3_cell_kommun puts the cell under (hotspot_month and the day counts
--     are under them only), so besides the kommun itself only the visible kommuner of the list
--     that share a cell with it and come before it in code order are read;
--   * the zero cells are those of the areas of the kommun itself.
-- Like hotspot_grid it runs as its owner, answers only when the caller may see an area of the
-- kommun, and returns only Gi*'s input, never published.
SET LOCAL statement_timeout = 0;

-- The cells of one kommun (the self-join below); the primary key leads with the cell.
CREATE INDEX h3_cell_kommun_kommun_idx ON h3_cell_kommun (kommun_code, cell);

-- +goose StatementBegin
CREATE FUNCTION hotspot_grid_kommun(set_year integer, kommun text, m_lo date[], m_hi date[], d_lo date[], d_hi date[])
RETURNS TABLE (cell bigint, n integer)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
WITH visible AS (
    SELECT DISTINCT a.kommun_code FROM area a
    WHERE a.set_year = hotspot_grid_kommun.set_year
      AND (scope_all() OR a.region_code = ANY (scope_regions()) OR a.lpo_code = ANY (scope_lpos()))
),
k AS (
    SELECT v.kommun_code FROM visible v
    WHERE EXISTS (SELECT 1 FROM visible me WHERE me.kommun_code = hotspot_grid_kommun.kommun)
      AND (v.kommun_code = hotspot_grid_kommun.kommun
           OR v.kommun_code IN (SELECT o.kommun_code FROM h3_cell_kommun me
                                JOIN h3_cell_kommun o ON o.cell = me.cell
                                WHERE me.kommun_code = hotspot_grid_kommun.kommun
                                  AND o.kommun_code < hotspot_grid_kommun.kommun))
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
    SELECT a.id, h.cell
    FROM area a
    JOIN h3_cell h ON h.res = 8 AND h.geom && a.geom AND ST_Contains(a.geom, ST_Centroid(h.geom))
    WHERE a.set_year = hotspot_grid_kommun.set_year AND a.kommun_code = hotspot_grid_kommun.kommun
      AND a.kommun_code IN (SELECT kommun_code FROM k)
),
ac AS (
    SELECT centre.cell FROM centre
    UNION
    SELECT i.h3_8
    FROM area a
    JOIN incident_area ia ON ia.area_id = a.id
    JOIN incident i ON i.id = ia.incident_id
    WHERE a.set_year = hotspot_grid_kommun.set_year AND a.kommun_code = hotspot_grid_kommun.kommun
      AND a.kommun_code IN (SELECT kommun_code FROM k)
      AND i.h3_8 IS NOT NULL AND NOT EXISTS (SELECT 1 FROM centre c WHERE c.id = a.id)
)
SELECT inc.cell, inc.n FROM inc WHERE inc.kommun_code = hotspot_grid_kommun.kommun
UNION ALL
SELECT ac.cell, 0 FROM ac
WHERE NOT EXISTS (SELECT 1 FROM inc WHERE inc.kommun_code = hotspot_grid_kommun.kommun AND inc.cell = ac.cell)
$$;
-- +goose StatementEnd

REVOKE ALL ON FUNCTION hotspot_grid_kommun(integer, text, date[], date[], date[], date[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION hotspot_grid_kommun(integer, text, date[], date[], date[], date[]) TO lagesbild_reader;

-- +goose Down
DROP FUNCTION hotspot_grid_kommun(integer, text, date[], date[], date[], date[]);
DROP INDEX h3_cell_kommun_kommun_idx;
