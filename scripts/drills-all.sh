#!/usr/bin/env bash
# Every built-in drill on seeds A..B (default 1..20): prints one line per run and a summary; exits 1
# if any run did not SUCCEED, printing its reproducing command. Usage: scripts/drills-all.sh [A] [B] [drill...]
set -u
cd "$(dirname "$0")/.."
first=${1:-1}
last=${2:-20}
shift $(( $# >= 2 ? 2 : $# ))
drills=("$@")
if [ ${#drills[@]} -eq 0 ]; then
  mapfile -t drills < <(node bin/ldc.mjs drill list --json | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{for(const d of JSON.parse(s).drills)console.log(d.name)})')
fi
failed=0
runs=0
# Seed-major, so a run cut short has still covered every drill.
for seed in $(seq "$first" "$last"); do
  for drill in "${drills[@]}"; do
    runs=$((runs + 1))
    line=$(node bin/ldc.mjs drill run "$drill" --seed "$seed" --json 2>/dev/null)
    code=$?
    summary=$(printf '%s' "$line" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{try{const r=JSON.parse(s);const rto=Object.values(r.rtoMs).filter(v=>v!==null);console.log(`${r.outcome} lost=${r.lostAckedTransfers} rtoMaxMs=${rto.length?Math.max(...rto):"-"} checkers=${Object.entries(r.checkers).filter(([,v])=>v.valid!==true).map(([k])=>k).join(",")||"all-valid"} ${r.reasons.join(" | ")}`)}catch{console.log("NO-RESULT")}})')
    echo "$drill seed $seed exit $code: $summary"
    if [ "$code" -ne 0 ]; then
      failed=$((failed + 1))
      echo "  reproduce: ldc drill run $drill --seed $seed"
    fi
  done
done
echo "runs $runs, not succeeded $failed"
[ "$failed" -eq 0 ]
