-- The areas with key $1 or one of its predecessors (through area_lineage, transitively) on
-- every list.
WITH RECURSIVE k(key) AS (
    SELECT $1::text
    UNION
    SELECT l.predecessor_key FROM area_lineage l JOIN k ON l.area_key = k.key
)
SELECT a.set_year, a.id, a.area_key, a.name, a.class, a.class_polisen
FROM area a
WHERE a.area_key IN (SELECT key FROM k)
ORDER BY a.set_year, a.id
