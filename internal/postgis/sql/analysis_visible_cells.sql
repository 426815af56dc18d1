-- The cells of $1 that the caller may see (h3_cell under row-level security): where emerging
-- hot-spot results are published.
SELECT cell FROM h3_cell WHERE cell = ANY ($1::bigint[])
