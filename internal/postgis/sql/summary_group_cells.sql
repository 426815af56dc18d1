-- Incidents per res-8 cell and category group of the whole kommun $1 in the days [$2, $3), for
-- the per-group hot spots of one area's summary (migrations/00016_hotspot_grid.sql): no rows
-- when the caller may see no area of the kommun. Gi*'s input only: the counts are not clipped
-- to the caller's cell scope and must never be published.
SELECT cell, category_group, n FROM hotspot_group_cells($1, $2::date, $3::date)
