-- Records that repeat a (source, source_id) earlier in the same file (stage_dup, from
-- incident_unchanged).
SELECT line, 'source_id', format('%s repeats the record of line %s', source_id, first)
FROM stage_dup
ORDER BY line
