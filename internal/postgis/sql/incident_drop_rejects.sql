-- Drops the records incident_duplicates and incident_rejects reported (skip_invalid), by the
-- same conditions, so the report need not hold every rejected line.
DELETE FROM resolved r
WHERE r.region_res IS NULL
   OR r.line IN (SELECT line FROM stage_dup)
