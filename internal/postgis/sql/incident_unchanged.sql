-- Records that repeat a (source, source_id) earlier in the same file, kept before the unchanged
-- records leave the staging table (incident_duplicates reports them, incident_drop_rejects
-- drops them). The repeated keys are found by hashing first: sorting a million text keys for
-- the window costs three times as much, and only the repeated ones need it.
CREATE TEMP TABLE stage_dup ON COMMIT DROP AS
SELECT line, source_id, first
FROM (SELECT s.line, s.source_id,
             first_value(s.line) OVER (PARTITION BY s.source, s.source_id ORDER BY s.line) AS first
      FROM stage_incident s
      WHERE (s.source, s.source_id) IN (SELECT source, source_id FROM stage_incident
                                        GROUP BY source, source_id HAVING count(*) > 1)) d
WHERE line <> first;

-- The lines of records stored before with the same content: nothing of theirs changes, so no
-- later step (cells, kommun and area assignment, aggregates) needs to look at them; the store
-- then takes them out of stage_incident (incidents.go, dropUnchanged). A re-import of an
-- unchanged file ends there.
CREATE TEMP TABLE stage_same ON COMMIT DROP AS
SELECT s.line FROM stage_incident s
JOIN incident i ON i.source = s.source AND i.source_id = s.source_id AND i.content_hash = s.content_hash
