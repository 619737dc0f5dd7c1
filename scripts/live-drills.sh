#!/usr/bin/env bash
# The live drills of issue 8, each in a fresh live world (30 replica processes, 210 Toxiproxy
# proxies): region-outage, disk-corruption-one-replica, rolling-restart. Each must SUCCEED with
# no lost acknowledged transfer and every checker valid.
#   scripts/live-drills.sh [TIME_SCALE] [OUT_DIR]     (TIME_SCALE 1: the drills' own lengths)
set -u
cd "$(dirname "$0")/.."
scale="${1:-1}"
out="${2:-out/live-drills}"
mkdir -p "$out"
status=0
for drill in region-outage disk-corruption-one-replica rolling-restart; do
  start=$(date +%s)
  node bin/ldc.mjs drill run "$drill" --runtime live --seed 1 --time-scale "$scale" --out "$out/$drill" > "$out/$drill.txt" 2>&1
  code=$?
  echo "== $drill (time scale $scale): exit $code in $(( $(date +%s) - start )) s"
  grep -v '^\[live' "$out/$drill.txt"
  [ "$code" -eq 0 ] || status=1
done
exit $status
