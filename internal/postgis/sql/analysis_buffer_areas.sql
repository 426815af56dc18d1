-- Areas of the same list as area $1 (other than it) within $2 metres of it.
SELECT o.id
FROM area a
JOIN area o ON o.set_year = a.set_year AND o.id <> a.id AND ST_DWithin(o.geom, a.geom, $2::float8)
WHERE a.id = $1
