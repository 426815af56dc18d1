-- Incidents per res-8 cell and category group of one kommun ($1) in the days [$2, $3), for the
-- per-group hot spots of one area's summary. The kommun's cells are those of hotspot_month in
-- the months the period touches (an index range of its primary key: h3_cell_kommun has no index
-- on the kommun), a superset of the cells with incidents in the period; each cell's days and
-- groups are then one index range scan of h3_agg's primary key (res, cell, day, …; LATERAL …
-- OFFSET 0: see summary_area_counts.sql). There is no monthly res-8 table per group, so a
-- period reads its daily rows: about one per incident of the kommun. Cells with no incident in
-- the period return no row.
WITH c AS (
    SELECT DISTINCT cell FROM hotspot_month
    WHERE kommun_code = $1 AND month >= date_trunc('month', $2::date::timestamp)::date AND month < $3::date
)
SELECT c.cell, g.category_group, sum(g.n)::int
FROM c CROSS JOIN LATERAL (
    SELECT g.category_group, g.n FROM h3_agg g
    WHERE g.res = 8 AND g.cell = c.cell AND g.day >= $2::date AND g.day < $3::date OFFSET 0) g
GROUP BY c.cell, g.category_group
