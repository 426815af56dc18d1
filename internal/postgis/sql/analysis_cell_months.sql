-- Exact incidents per res-8 cell and month of the kommuner $1 in the months [$2, $3), all
-- groups when $4 is NULL, else one category group: the whole grid of each kommun in which the
-- caller may see an area, not clipped to the caller's cell scope, nothing for the other
-- kommuner (emerging_cell_months of migrations/00018_emerging_grid.sql). Gi*'s input only: the
-- counts are never published. A cell belongs to the kommun its centre lies in (h3_cell_kommun,
-- as for the summaries' hot spots).
SELECT k.kommun_code, g.cell, g.month, g.n
FROM unnest($1::text[]) AS k(kommun_code)
CROSS JOIN LATERAL emerging_cell_months(k.kommun_code, $2::date, $3::date, $4::text) g
