-- Areas of a list (or one area) with their population and their kommun's population.
-- $1: list year or NULL; $2: area id or NULL.
SELECT a.id, a.area_key, a.set_year, a.name, a.class, a.kommun_code, k.name, a.region_code,
       coalesce(p.population, 0), p.population IS NOT NULL, coalesce(p.estimated, false),
       coalesce(k.population, 0)
FROM area a
JOIN kommun k ON k.code = a.kommun_code
LEFT JOIN area_population p ON p.area_id = a.id
WHERE ($1::int IS NULL OR a.set_year = $1) AND ($2::text IS NULL OR a.id = $2)
ORDER BY a.set_year, a.name, a.id
