-- The hot-spot grid of every kommun with an area of list $1 visible to the caller, whole: the
-- res-8 cells with incidents in the period (whole months $2, $3, partial ones $4, $5) and the
-- list's area cells with 0 (migrations/00016_hotspot_grid.sql). Gi*'s input only: the counts
-- are not clipped to the caller's cell scope and must never be published.
SELECT kommun_code, cell, n FROM hotspot_grid($1, $2, $3, $4, $5)
