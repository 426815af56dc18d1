-- The estimated residents of every area that the staged DeSO polygons (stage_deso_geom) cover:
-- each DeSO's population (SCB folkmängd 2023-12-31, bundled in deso) spread evenly over its
-- polygon and summed over the parts of the area it covers. covered is the share of the area's
-- own surface inside the staged DeSO polygons (they do not overlap), so an area at the edge of
-- a partial file can be told apart from one that is covered whole.
WITH parts AS (
    SELECT a.id, d.population_2023 AS pop, g.area_m2 AS deso_m2,
           ST_Area(ST_Intersection(a.geom, g.geom)) AS inter_m2, ST_Area(a.geom) AS area_m2
    FROM area a
    JOIN stage_deso_geom g ON ST_Intersects(a.geom, g.geom)
    JOIN deso d ON d.code = g.code
)
SELECT id, round(sum(pop * inter_m2 / deso_m2))::int AS population,
       least(1, sum(inter_m2) / max(area_m2)) AS covered
FROM parts
GROUP BY id
ORDER BY id
