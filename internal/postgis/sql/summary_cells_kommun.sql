-- The hot-spot grid of one kommun $6 of list $1, whole: the rows summary_cells.sql returns for
-- that kommun, for the summary of one of its areas (migrations/00030_hotspot_grid_kommun.sql).
-- Gi*'s input only: the counts are not clipped to the caller's cell scope and must never be
-- published.
SELECT $6::text, cell, n FROM hotspot_grid_kommun($1, $6, $2, $3, $4, $5)
