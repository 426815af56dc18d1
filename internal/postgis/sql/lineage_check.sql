-- Lineage rows whose 2025 polygon lies mostly outside the predecessor's polygon in the list
-- before would mean a wrong row in crosswalk/area_lineage.csv. Splits also moved borders (Lina
-- keeps 35 % of its area inside Ronna / Geneta / Lina of 2023), so the bar is a fifth of the area.
SELECT l.area_key || ' <- ' || l.predecessor_key
FROM area_lineage l
JOIN area c ON c.area_key = l.area_key AND c.set_year = l.year
JOIN area p ON p.area_key = l.predecessor_key AND p.set_year = (
    SELECT max(set_year) FROM area WHERE area_key = l.predecessor_key AND set_year < l.year)
WHERE ST_Area(ST_Intersection(c.geom, p.geom)) < 0.2 * ST_Area(c.geom)
