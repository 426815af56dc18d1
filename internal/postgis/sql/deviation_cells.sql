-- Exactly located incidents per res-8 cell in the latest window [$1, $2] and its baseline
-- [$3, $4], for the cells with at least $5 incidents in the window, of kommun $6 (NULL: every
-- cell the caller may see), with the cell's kommun. The partial index h3_agg_res8_day_idx
-- makes this an index-only range scan of the days.
WITH c AS (
    SELECT g.cell, coalesce(sum(g.n) FILTER (WHERE g.day >= $1), 0)::int AS latest,
           coalesce(sum(g.n) FILTER (WHERE g.day <= $4), 0)::int AS baseline
    FROM h3_agg g
    WHERE g.res = 8 AND g.day >= $3 AND g.day <= $2
      AND ($6::text IS NULL OR g.cell IN (SELECT k.cell FROM h3_cell_kommun k WHERE k.kommun_code = $6))
    GROUP BY g.cell
    HAVING coalesce(sum(g.n) FILTER (WHERE g.day >= $1), 0) >= $5
)
SELECT c.cell, coalesce((SELECT min(k.kommun_code) FROM h3_cell_kommun k WHERE k.cell = c.cell), ''), c.latest, c.baseline
FROM c
ORDER BY c.cell
