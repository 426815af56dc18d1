#!/usr/bin/env bash
# Runs every native fuzz target of the module for FUZZTIME (a duration like 30s, or a count
# like 2000x). A failure that only says "context deadline exceeded" is the fuzzing engine
# giving up on a slow worker when the time is up (the machine was busy), not a finding: no
# crashing input is written. Such a run is retried (up to three tries); any other failure fails at once.
set -uo pipefail
FUZZTIME=${FUZZTIME:-30s}
GO=${GO:-go}
status=0
for pkg in $($GO list ./...); do
  for f in $($GO test -list '^Fuzz' "$pkg" | grep '^Fuzz' || true); do
    for attempt in 1 2 3; do
      echo "fuzz $pkg $f ($FUZZTIME)"
      out=$($GO test -run '^$' -fuzz "^$f\$" -fuzztime "$FUZZTIME" -parallel 1 "$pkg" 2>&1)
      rc=$?
      echo "$out" | grep -v '^fuzz: elapsed'
      if [ $rc -eq 0 ]; then break; fi
      if [ $attempt -lt 3 ] && echo "$out" | grep -q 'context deadline exceeded' && ! echo "$out" | grep -q 'Failing input written'; then
        echo "fuzz: $f stopped by the engine's deadline on a busy machine; retrying"
        continue
      fi
      status=1
      break
    done
  done
done
exit $status
