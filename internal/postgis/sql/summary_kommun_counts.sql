-- Exactly located incidents per kommun and group in [$2, $3], for the kommuner of list $1,
-- from the daily aggregate. Only exact points can fall in an area, so the reference is the same
-- kind of record.
SELECT g.code, g.category_group, sum(g.n)::int
FROM admin_agg g
WHERE g.level = 'kommun' AND g.precision = 'exact' AND g.day BETWEEN $2 AND $3
  AND g.code IN (SELECT DISTINCT kommun_code FROM area WHERE set_year = $1)
GROUP BY g.code, g.category_group
