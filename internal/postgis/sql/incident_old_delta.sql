-- The stored versions of changed records, kept before they are overwritten: their aggregate
-- contributions are subtracted below. Their area rows go too (the new version's are added).
CREATE TEMP TABLE old_rows ON COMMIT DROP AS
SELECT o.* FROM incident o JOIN resolved r ON r.existing_id = o.id;

CREATE TEMP TABLE old_area ON COMMIT DROP AS
SELECT ia.area_id, ia.incident_id FROM incident_area ia JOIN old_rows o ON ia.incident_id = o.id;

DELETE FROM incident_area ia USING old_rows o WHERE ia.incident_id = o.id
