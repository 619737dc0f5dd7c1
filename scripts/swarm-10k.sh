#!/usr/bin/env bash
# The routine big swarm: every nemesis family over seeds 1..10000 (10 s simulated each) on all the
# machine's cores, one JSONL result per seed in FILE (default swarm-10k.jsonl). Rerun the same
# command after a stop: the seeds already in FILE are skipped. Ends with the summary (violations per
# checker, each failure's reproducing command); exits 1 on any violation.
# Usage: scripts/swarm-10k.sh [FILE] [A..B]
set -u
cd "$(dirname "$0")/.."
file=${1:-swarm-10k.jsonl}
seeds=${2:-1..10000}
exec node bin/ldc.mjs swarm --seeds "$seeds" --nemesis all --duration 10s --resume "$file"
