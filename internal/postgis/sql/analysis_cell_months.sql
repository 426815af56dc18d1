-- Exact incidents per res-8 cell and month of the kommuner $1 in the months [$2, $3), all
-- groups: hotspot_month, one index range of its primary key per kommun. A cell belongs to the
-- kommun its centre lies in (h3_cell_kommun, as for the summaries' hot spots).
WITH k AS (SELECT unnest($1::text[]) AS kommun_code)
SELECT g.kommun_code, g.cell, g.month, g.n
FROM k CROSS JOIN LATERAL (
    SELECT g.kommun_code, g.cell, g.month, g.n FROM hotspot_month g
    WHERE g.kommun_code = k.kommun_code AND g.month >= $2::date AND g.month < $3::date OFFSET 0) g
