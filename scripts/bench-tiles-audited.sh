#!/bin/bash
# Cached tile hits with a token and a durable audit row (issue 13), measured with wrk, a client
# outside the Go runtime: starts `lagesbild serve --demo` on 127.0.0.1 (small demo data in its
# own database of the managed cluster under ./var, fsync on), creates a national API token, warms
# one tile and runs wrk with 32 and 4 connections. It reports req/s and latency from wrk, the
# audit rows per commit from /metrics, and the CPU per request of the server, of PostgreSQL (all
# the cluster's processes) and of wrk, from /proc. Loopback only; each run lasts BENCH_DURATION.
#
# Usage: scripts/bench-tiles-audited.sh [SERVE_BIN ...]   (default bin/lagesbild; several binaries
# are measured in turn, round by round, for paired comparisons)
# Environment: BENCH_DURATION (10s), BENCH_ROUNDS (1), BENCH_CONNS ("32 4"), BENCH_DB (bench_tiles),
# BENCH_TILE (/tiles/h3/5/17/9.mvt), BENCH_PORT (18480), BENCH_ADMIN_PORT (18481), BENCH_PROFILE
# (a file: a 5 s CPU profile of the server during the first 32-connection run of the first binary).
set -euo pipefail
command -v wrk >/dev/null || { apt-get update -q >/dev/null && apt-get install -y -q wrk >/dev/null; }
command -v curl >/dev/null || apt-get install -y -q curl >/dev/null
BINS=("$@")
[ ${#BINS[@]} -gt 0 ] || BINS=(bin/lagesbild)
DURATION=${BENCH_DURATION:-10s}
ROUNDS=${BENCH_ROUNDS:-1}
CONNS=${BENCH_CONNS:-32 4}
DB=${BENCH_DB:-bench_tiles}
TILE=${BENCH_TILE:-/tiles/h3/5/17/9.mvt}
PORT=${BENCH_PORT:-18480}
APORT=${BENCH_ADMIN_PORT:-18481}
URL=http://127.0.0.1:$PORT
export LAGESBILD_DB_NAME=$DB LAGESBILD_DEMO_SCALE=0.005 LAGESBILD_LOG_LEVEL=warn
export LAGESBILD_ADDR=127.0.0.1:$PORT LAGESBILD_ADMIN_ADDR=127.0.0.1:$APORT
TICK=$(getconf CLK_TCK)

${BINS[0]} db start >/dev/null
PM=$(head -1 var/pg/postmaster.pid)
ticks() { # the CPU ticks (user + system) of the processes given
  local t=0 p
  for p in "$@"; do
    [ -r /proc/$p/stat ] && t=$((t + $(awk '{print $14 + $15}' /proc/$p/stat)))
  done
  echo $t
}
pgticks() { ticks $PM $(pgrep -P $PM); }
metric() { curl -s http://127.0.0.1:$APORT/metrics | awk -v m="$1" '$1 == m {print $2}'; }

SERVER=
stop() { [ -z "$SERVER" ] || { kill $SERVER 2>/dev/null; wait $SERVER 2>/dev/null || true; SERVER=; }; }
trap stop EXIT

start() {
  "$1" serve --demo >var/bench-tiles-serve.log 2>&1 &
  SERVER=$!
  for _ in $(seq 600); do
    curl -sf $URL/healthz >/dev/null 2>&1 && break
    kill -0 $SERVER 2>/dev/null || { cat var/bench-tiles-serve.log; exit 1; }
    sleep 0.5
  done
  [ -n "${TOKEN:-}" ] || TOKEN=$("$1" token create --role nationell --name bench-tiles-audited 2>/dev/null)
  local st
  st=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $TOKEN" -H 'Accept-Encoding: gzip' $URL$TILE)
  [ "$st" = 200 ] || { echo "warm-up of $TILE: status $st"; exit 1; }
}

echo "load: $(uptime)"
echo "commit latency L (one durable audit row; go test -bench BenchmarkAuditCommit):"
go test ./internal/httpapi -run '^$' -bench 'BenchmarkAuditCommit$' -benchtime 2s -count 2 | awk '/^BenchmarkAuditCommit/ {printf "  %.3f ms\n", $3 / 1e6}'
for round in $(seq "$ROUNDS"); do
  for bin in "${BINS[@]}"; do
    start "$bin"
    for c in $CONNS; do
      c0=$(metric lagesbild_audit_commits_total); r0=$(metric lagesbild_audit_rows_total)
      s0=$(ticks $SERVER); p0=$(pgticks)
      prof=
      if [ -n "${BENCH_PROFILE:-}" ] && [ "$round" = 1 ] && [ "$bin" = "${BINS[0]}" ] && [ "$c" = 32 ]; then
        (sleep 2; curl -s -o "$BENCH_PROFILE" "http://127.0.0.1:$APORT/debug/pprof/profile?seconds=5") & prof=$!
      fi
      out=$(/usr/bin/time -f 'wrkcpu %U %S' wrk -t1 -c"$c" -d"$DURATION" --latency \
        -H "Authorization: Bearer $TOKEN" -H 'Accept-Encoding: gzip' $URL$TILE 2>&1)
      [ -z "$prof" ] || wait $prof
      s1=$(ticks $SERVER); p1=$(pgticks)
      c1=$(metric lagesbild_audit_commits_total); r1=$(metric lagesbild_audit_rows_total)
      reqs=$(echo "$out" | awk '/requests in/ {print $1}')
      rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
      non2xx=$(echo "$out" | awk '/Non-2xx/ {print $NF}')
      lat=$(echo "$out" | awk '$1 == "Latency" && NF > 2 {print $2} / 50%/ {p50=$2} / 99%/ {p99=$2} END {print p50, p99}' | xargs)
      wcpu=$(echo "$out" | awk '/^wrkcpu/ {print $2 + $3}')
      awk -v b="$bin" -v c="$c" -v rps="$rps" -v n="$reqs" -v lat="$lat" -v bad="${non2xx:-0}" \
        -v rows="$((r1 - r0))" -v commits="$((c1 - c0))" -v s="$((s1 - s0))" -v p="$((p1 - p0))" -v w="$wcpu" -v tick="$TICK" \
        'BEGIN { split(lat, l, " ");
          printf "%s conns=%d: %.0f req/s, latency avg %s p50 %s p99 %s, non-2xx %s, %.2f rows/commit, CPU/request: server %.0f µs, PostgreSQL %.0f µs, wrk %.0f µs\n",
            b, c, rps, l[1], l[2], l[3], bad, commits ? rows / commits : 0, s / tick / n * 1e6, p / tick / n * 1e6, w / n * 1e6 }'
    done
    stop
  done
done
echo "load: $(uptime)"
