#!/bin/sh
# Import benchmark of issue 14: a fresh database, a bare COPY of the CSV into an unlogged table
# (the floor, measured in the same run), the import of the file, the same file again (all
# unchanged), and bytes per incident over incident, its indexes and every aggregate.
# Usage: [BIN=binary] scripts/bench-import.sh CSV [DBNAME]   (the managed cluster of ./var must be running)
set -eu
CSV=$1
DB=${2:-bench_import}
BIN=${BIN:-bin/lagesbild}   # e.g. BIN=/tmp/old-lagesbild for the other half of a paired run
PORT=$($BIN db status | sed -n 's/.*127.0.0.1:\([0-9]*\).*/\1/p')
export PGPASSWORD="$(cat var/pg-password)"
PSQL="psql -X -q -h 127.0.0.1 -p $PORT -U lagesbild"
$PSQL -d postgres -c "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB"
echo "load: $(uptime)"
LAGESBILD_DB_NAME=$DB LAGESBILD_LOG_LEVEL=warn $BIN migrate >/dev/null
LAGESBILD_DB_NAME=$DB LAGESBILD_LOG_LEVEL=warn $BIN import geodata >/dev/null
ROWS=$(($(wc -l <"$CSV") - 1))
COLS=$(head -1 "$CSV" | sed 's/,/ text, /g; s/$/ text/')
T0=$(date +%s.%N)
$PSQL -d $DB -c "CREATE UNLOGGED TABLE bench_copy ($COLS)" -c "\\copy bench_copy FROM '$CSV' CSV HEADER"
T1=$(date +%s.%N)
$PSQL -d $DB -c "DROP TABLE bench_copy"
COPY_S=$(echo "$T1 - $T0" | bc)
echo "bare COPY of $ROWS rows: ${COPY_S} s"
run() {
  T0=$(date +%s.%N)
  LAGESBILD_DB_NAME=$DB LAGESBILD_LOG_LEVEL=warn /usr/bin/time -f "peak RSS %M KB" $BIN import incidents --format csv --source bench "$CSV" >/dev/null
  T1=$(date +%s.%N)
  S=$(echo "$T1 - $T0" | bc)
  echo "$1: $S s, $(echo "$ROWS / $S" | bc) rows/s, $(echo "scale=1; $S / $COPY_S" | bc)x the bare COPY"
}
run "import (all new)"
run "import again (all unchanged)"
echo "load: $(uptime)"
$PSQL -d $DB -At -F ' ' -c "
SELECT rel, pg_size_pretty(b), round(b::numeric / greatest((SELECT count(*) FROM incident), 1)) AS bytes_per_incident
FROM (SELECT c.relname AS rel, pg_total_relation_size(c.oid) AS b
      FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND c.relispartition = false
        AND (c.relname LIKE '%agg%' OR c.relname LIKE 'h3_%' OR c.relname LIKE 'incident%' OR c.relname LIKE 'hotspot%'
             OR c.relname LIKE '%month%' OR c.relname = 'cell_class')
      UNION ALL SELECT 'ALL', 0) s
WHERE b > 0 OR rel = 'ALL'
ORDER BY b DESC" | head -30
$PSQL -d $DB -At -c "
SELECT 'total bytes per incident: ' || round(sum(pg_total_relation_size(c.oid))::numeric / (SELECT count(*) FROM incident))
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = 'public' AND c.relkind = 'r'
  AND (c.relname LIKE '%agg%' OR c.relname LIKE 'h3_%' OR c.relname LIKE 'incident%' OR c.relname LIKE 'hotspot%'
       OR c.relname LIKE '%month%' OR c.relname = 'cell_class')"
