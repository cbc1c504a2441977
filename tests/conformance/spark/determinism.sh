#!/usr/bin/env bash
# Re-run a handful of committed traces through real Spark and check that the outputs and the
# metadata are byte-identical to the committed fixtures: each kind file's run line and every
# line of the traces re-run.
#
#   bash tests/conformance/spark/determinism.sh [N]      # N traces per join kind (default 8)
#
# Uses the venv that record.sh made (JOINCHECK_SPARK_VENV, default target/conformance/spark-venv).
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../../.." && pwd)
cd "$REPO"
N=${1:-8}
VENV=${JOINCHECK_SPARK_VENV:-target/conformance/spark-venv}
FIX=tests/conformance/spark/fixtures
export SPARK_LOCAL_IP=${SPARK_LOCAL_IP:-127.0.0.1}
[[ -x "$VENV/bin/python" ]] || { echo "determinism.sh: no venv at $VENV; run record.sh first" >&2; exit 2; }
OUT=$(mktemp -d "${TMPDIR:-/tmp}/joincheck-spark-determinism.XXXXXX")
trap 'rm -rf "$OUT"' EXIT
# a spread of traces: every k-th one in name order, edge and random alike
mapfile -t ALL < <(python3 tests/conformance/fixtures.py names "$FIX/traces.jsonl")
step=$(( ${#ALL[@]} / N )); (( step >= 1 )) || step=1
PICK=()
for ((i = 0; i < ${#ALL[@]} && ${#PICK[@]} < N; i += step)); do PICK+=("${ALL[$i]}"); done
python3 tests/conformance/fixtures.py unpack "$FIX/traces.jsonl" "$OUT/traces" "${PICK[@]}"
KINDS=()
for k in inner left_outer right_outer full_outer; do [[ -f "$FIX/$k.jsonl" ]] && KINDS+=(--join "$k"); done
echo "determinism.sh: re-running ${#PICK[@]} traces for: ${KINDS[*]}"
"$VENV/bin/python" tests/conformance/spark/driver.py "${KINDS[@]}" --out "$OUT" "$OUT"/traces/*.jsonl 2>"$OUT/driver.log" \
  || { tail -20 "$OUT/driver.log" >&2; exit 1; }
# The lines of one trace (or, for "run", the run line) of a kind file.
lines() { if [[ $2 == run ]]; then head -1 "$1"; else grep -F "{\"trace\":\"$2\"," "$1"; fi; }
same=0; differ=0
for ((j = 1; j < ${#KINDS[@]}; j += 2)); do
  k=${KINDS[$j]}
  for n in run "${PICK[@]}"; do
    if cmp -s <(lines "$FIX/$k.jsonl" "$n") <(lines "$OUT/$k.jsonl" "$n"); then
      same=$((same + 1))
    else
      differ=$((differ + 1)); echo "DIFFERS: $k $n"; diff <(lines "$FIX/$k.jsonl" "$n") <(lines "$OUT/$k.jsonl" "$n") | head -20 || true
    fi
  done
done
echo "determinism.sh: $same run lines and traces identical, $differ differ"
[[ $differ == 0 ]]
