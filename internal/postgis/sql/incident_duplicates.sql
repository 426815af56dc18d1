-- Records that repeat a (source, source_id) earlier in the same file.
SELECT line, 'source_id', format('%s repeats the record of line %s', source_id, first)
FROM (SELECT line, source_id,
             first_value(line) OVER (PARTITION BY source, source_id ORDER BY line) AS first
      FROM stage_incident) d
WHERE line <> first
ORDER BY line
