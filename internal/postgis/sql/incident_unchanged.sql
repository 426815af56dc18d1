-- Records that repeat a (source, source_id) earlier in the same file, kept before the unchanged
-- records leave the staging table (incident_duplicates reports them, incident_drop_rejects
-- drops them).
CREATE TEMP TABLE stage_dup ON COMMIT DROP AS
SELECT line, source_id, first
FROM (SELECT line, source_id,
             first_value(line) OVER (PARTITION BY source, source_id ORDER BY line) AS first
      FROM stage_incident) d
WHERE line <> first;

-- Records stored before with the same content: nothing of theirs changes, so no later step
-- (cells, kommun and area assignment, aggregates) needs to look at them. A re-import of an
-- unchanged file ends here.
DELETE FROM stage_incident s USING incident i
WHERE i.source = s.source AND i.source_id = s.source_id AND i.content_hash = s.content_hash;

ANALYZE stage_incident
