-- The same as analysis_cell_months for one category group $4. There is no monthly res-8 table
-- per group, so the daily res-8 rows of h3_agg are summed per month, for the cells that
-- hotspot_month has in those months (a superset of the group's cells), one index range of
-- h3_agg's primary key (res, cell, day, …) per cell (LATERAL … OFFSET 0: see
-- summary_area_counts.sql): about one row per incident of the kommuner in the months. The day
-- bounds are written as day + 0 so that the partial index h3_agg_res8_day_idx (day, cell), which
-- the planner otherwise picks without statistics and then walks the whole day range once per
-- cell, cannot serve them.
WITH k AS (SELECT unnest($1::text[]) AS kommun_code),
     c AS (
    SELECT DISTINCT g.kommun_code, g.cell
    FROM k CROSS JOIN LATERAL (
        SELECT g.kommun_code, g.cell FROM hotspot_month g
        WHERE g.kommun_code = k.kommun_code AND g.month >= $2::date AND g.month < $3::date OFFSET 0) g
)
SELECT c.kommun_code, c.cell, date_trunc('month', a.day::timestamp)::date, sum(a.n)::int
FROM c CROSS JOIN LATERAL (
    SELECT a.day, a.n FROM h3_agg a
    WHERE a.res = 8 AND a.cell = c.cell AND a.day + 0 >= $2::date AND a.day + 0 < $3::date AND a.category_group = $4 OFFSET 0) a
GROUP BY 1, 2, 3
