-- Exactly located incidents per res-8 cell in the latest window [$1, $2] and its baseline
-- [$3, $4], for the cells with at least $5 incidents in the window, of kommun $6 (NULL: every
-- cell the caller may see), with the cell's kommun. h3_res8_days counts them from incident
-- through its (occurred_day) index, scoped by cell as h3_agg's res-8 rows were (migration 00024).
WITH c AS (
    SELECT g.cell, coalesce(sum(g.n) FILTER (WHERE g.day >= $1), 0)::int AS latest,
           coalesce(sum(g.n) FILTER (WHERE g.day <= $4), 0)::int AS baseline
    FROM h3_res8_days($3::date, $2::date) g
    WHERE ($6::text IS NULL OR g.cell IN (SELECT k.cell FROM h3_cell_kommun k WHERE k.kommun_code = $6))
    GROUP BY g.cell
    HAVING coalesce(sum(g.n) FILTER (WHERE g.day >= $1), 0) >= $5
)
SELECT c.cell, coalesce((SELECT min(k.kommun_code) FROM h3_cell_kommun k WHERE k.cell = c.cell), ''), c.latest, c.baseline
FROM c
ORDER BY c.cell
