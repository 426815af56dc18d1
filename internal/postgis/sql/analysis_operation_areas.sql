-- Areas of list $1 with an operation other than $4 (by area id or overlapping polygon) whose
-- days overlap [$2, $3].
SELECT DISTINCT a.id
FROM area a
JOIN operation op ON op.area_id = a.id OR (op.geom && a.geom AND ST_Intersects(op.geom, a.geom))
WHERE a.set_year = $1 AND op.id <> $4 AND op.starts_on <= $3::date AND op.ends_on >= $2::date
