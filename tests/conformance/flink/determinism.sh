#!/usr/bin/env bash
# Re-run committed traces through real Flink in a fresh process and check that the outputs, and
# the step after which each row was emitted, are identical to the committed fixtures.
#
#   bash tests/conformance/flink/determinism.sh [N] [PACE]
#       N     traces per join kind, spread over the sorted list (default 12; "all" for every trace)
#       PACE  seconds between input rows for this re-run (default 0.1; try 0.05 or 0.2 to check
#             that the result does not depend on the pace)
#
# Uses the venv that record.sh made (JOINCHECK_FLINK_VENV, default target/conformance/flink-venv).
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../../.." && pwd)
cd "$REPO"
N=${1:-12}
PACE=${2:-0.1}
VENV=${JOINCHECK_FLINK_VENV:-target/conformance/flink-venv}
FIX=tests/conformance/flink/fixtures
[[ -x "$VENV/bin/python" ]] || { echo "determinism.sh: no venv at $VENV; run record.sh first" >&2; exit 2; }
OUT=$(mktemp -d "${TMPDIR:-/tmp}/joincheck-flink-determinism.XXXXXX")
trap 'rm -rf "$OUT"' EXIT
mapfile -t ALL < <(python3 tests/conformance/fixtures.py names "$FIX/traces.jsonl")
if [[ $N == all ]]; then
  PICK=("${ALL[@]}")
else
  step=$(( ${#ALL[@]} / N )); (( step >= 1 )) || step=1
  PICK=()
  for ((i = 0; i < ${#ALL[@]} && ${#PICK[@]} < N; i += step)); do PICK+=("${ALL[$i]}"); done
fi
python3 tests/conformance/fixtures.py unpack "$FIX/traces.jsonl" "$OUT/traces" "${PICK[@]}"
KINDS=()
for k in inner left_outer; do [[ -f "$FIX/$k.jsonl" ]] && KINDS+=(--join "$k"); done
echo "determinism.sh: re-running ${#PICK[@]} traces at pace $PACE for: ${KINDS[*]}"
t0=$SECONDS
"$VENV/bin/python" tests/conformance/flink/driver.py "${KINDS[@]}" --pace "$PACE" --out "$OUT" "$OUT"/traces/*.jsonl \
  2>"$OUT/driver.log" || { tail -20 "$OUT/driver.log" >&2; exit 1; }
rc=0
"$VENV/bin/python" - "$FIX" "$OUT" "${PICK[@]}" <<'PY' || rc=$?
import json, os, sys
sys.path.insert(0, "tests/conformance")
from fixtures import read_runs
fix, out, picks = sys.argv[1], sys.argv[2], sys.argv[3:]
same = differ = 0
for kind in ("inner", "left_outer"):
    if not os.path.isfile(os.path.join(out, kind + ".jsonl")):
        continue
    _, committed = read_runs(os.path.join(fix, kind + ".jsonl"))
    _, rerun = read_runs(os.path.join(out, kind + ".jsonl"))
    for n in picks:
        (ma, a), (mb, b) = committed[n], rerun[n]
        ea = sorted(json.dumps(e, sort_keys=True) for e in ma["emissions"])
        eb = sorted(json.dumps(e, sort_keys=True) for e in mb["emissions"])
        if a == b and ea == eb and not mb["anomalies"]:
            same += 1
        else:
            differ += 1
            print(f"DIFFERS: {kind}/{n}")
            print(f"  committed: {ea}\n  re-run:    {eb}\n  anomalies: {mb['anomalies']}")
print(f"determinism.sh: {same} (trace, join) outputs identical (rows and emission steps), {differ} differ")
sys.exit(1 if differ else 0)
PY
echo "determinism.sh: $((SECONDS - t0))s"
exit $rc
