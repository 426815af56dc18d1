-- Areas for the analyses: one area ($1), or the areas of list $2 with class $3.
SELECT a.id, a.name, a.class, a.set_year, a.kommun_code, k.name, a.region_code, coalesce(a.lpo_code, '')
FROM area a
JOIN kommun k ON k.code = a.kommun_code
WHERE ($1::text IS NULL OR a.id = $1)
  AND ($2::int IS NULL OR (a.set_year = $2 AND a.class = $3))
ORDER BY a.name, a.id
