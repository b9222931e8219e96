#!/usr/bin/env bash
# Both suites, the README's test command: typecheck and lint, the engine build, then the unit
# suite and the engine suite side by side. The engine suite is mostly waiting (health checks, a
# daemon restart, request loops) while the unit suite is CPU-bound, so the unit suite runs in the
# background at a lower priority and takes the cores the engine tests leave idle; the engine
# tests, their containers and their request loops keep first call on the CPU. The unit suite uses
# no Docker engine, so it is not disturbed by what the engine suite's alone files do (a daemon
# restart, the runbook's cleanup of unknown containers). Its output is printed whole once it ends.
#
# The engine build (a Go build of many minutes on a cold machine) runs first, alone: beside it the
# niced unit suite starved, and its timed tests (a `go run` with a cold build cache, a poll loop)
# failed in a cold run.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1

npm run -s typecheck || exit 1
npm run -s lint || exit 1

build=0
npm run -s engine || build=$?

logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT
started=$SECONDS
( nice -n 10 npm run -s test:unit >"$logs/unit.log" 2>&1; echo $? >"$logs/unit.rc" ) &
unit_job=$!

engine=$build
if [ "$build" -eq 0 ]; then
  npm run -s test:engine || engine=$?
fi
engine_done=$((SECONDS - started))

wait "$unit_job"
unit=$(cat "$logs/unit.rc")
echo "# ---- the unit suite (npm run test:unit), run beside the engine suite ----"
cat "$logs/unit.log"
echo "# unit suite: exit ${unit}; engine suite: exit ${engine} after ${engine_done} s; both done after $((SECONDS - started)) s"
[ "$unit" -eq 0 ] && [ "$engine" -eq 0 ]
