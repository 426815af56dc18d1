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

-- Records stored before with the same content: nothing of theirs changes, so no later step
-- (cells, kommun and area assignment, aggregates) needs to look at them. A re-import of an
-- unchanged file ends here. The others are copied to a new staging table (cheaper than deleting
-- most rows of the old one), which takes the old one's name.
CREATE TEMP TABLE stage_changed ON COMMIT DROP AS
SELECT s.* FROM stage_incident s
WHERE NOT EXISTS (SELECT 1 FROM incident i
                  WHERE i.source = s.source AND i.source_id = s.source_id AND i.content_hash = s.content_hash);

DROP TABLE stage_incident;

ALTER TABLE stage_changed RENAME TO stage_incident;

ANALYZE stage_incident
