-- One operation ($1) or the operations on area $2, newest first.
SELECT op.id, op.name, coalesce(op.area_id, ''), op.agencies, op.starts_on, op.ends_on, op.source = 'synthetic-demo'
FROM operation op
WHERE ($1::bigint IS NULL OR op.id = $1) AND ($2::text IS NULL OR op.area_id = $2)
ORDER BY op.starts_on DESC, op.id
