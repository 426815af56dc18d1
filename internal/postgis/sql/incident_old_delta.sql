-- The stored versions of changed records, kept before they are overwritten: their aggregate
-- contributions are subtracted below.
CREATE TEMP TABLE old_rows ON COMMIT DROP AS
SELECT o.* FROM incident o JOIN resolved r ON r.existing_id = o.id
