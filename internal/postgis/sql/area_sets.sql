SELECT s.year, s.label, s.published, s.geometry_official, s.note,
       count(a.id)::int AS area_count,
       count(a.id) FILTER (WHERE a.class = 'utsatt')::int,
       count(a.id) FILTER (WHERE a.class = 'risk')::int,
       count(a.id) FILTER (WHERE a.class = 'sarskilt_utsatt')::int
FROM area_set s
LEFT JOIN area a ON a.set_year = s.year
GROUP BY s.year
ORDER BY s.year
