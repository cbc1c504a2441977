#!/usr/bin/env bash
# Re-record the real-Flink (SQL interval join) conformance fixtures from scratch, then compare
# them with joincheck's flink-sql profile.
#
#   bash tests/conformance/flink/record.sh        # venv, traces, inner + left_outer, compare
#
# Environment (all optional):
#   JOINCHECK_FLINK_VENV        virtualenv path, relative to the repo root
#                               (default target/conformance/flink-venv; recreated from scratch)
#   JOINCHECK_FLINK_REUSE_VENV=1  keep an existing venv that already has apache-flink==2.3.0
#   JOINCHECK_FLINK_SEED        trace generator seed (default 20240101; the committed fixtures use it)
#   JOINCHECK_FLINK_RANDOM      number of random traces (default 60)
#   JOINCHECK_FLINK_JOINS       join kinds to record (default "inner left_outer")
#   JOINCHECK_FLINK_PACE        seconds between input rows (default 0.1; real-engines.md 2.5)
#   JOINCHECK_FLINK_REPEAT      runs per (trace, join) inside the driver; any difference is an error
#                               (default 2)
#   PYTHON                      the python that creates the venv (default python3)
#
# Flink's result depends on pacing (real-engines.md 2.3, 2.5): record on a quiet machine.  Only
# one driver process (one JVM) runs, never two side by side.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../../.." && pwd)
cd "$REPO"

VENV=${JOINCHECK_FLINK_VENV:-target/conformance/flink-venv}
SEED=${JOINCHECK_FLINK_SEED:-20240101}
NRANDOM=${JOINCHECK_FLINK_RANDOM:-60}
JOINS=${JOINCHECK_FLINK_JOINS:-"inner left_outer"}
PACE=${JOINCHECK_FLINK_PACE:-0.1}
REPEAT=${JOINCHECK_FLINK_REPEAT:-2}
PY=${PYTHON:-python3}
FIX=tests/conformance/flink/fixtures
LOGS=target/conformance/flink-logs

t0=$SECONDS
say() { printf 'record.sh: [%4ds] %s\n' "$((SECONDS - t0))" "$*"; }

command -v java >/dev/null || { echo "record.sh: java (17) is needed on PATH" >&2; exit 2; }
say "java: $(java -version 2>&1 | head -1)"

# 1. virtualenv with the pinned apache-flink
if [[ "${JOINCHECK_FLINK_REUSE_VENV:-0}" == 1 && -x "$VENV/bin/python" ]] \
    && "$VENV/bin/python" -c 'import importlib.metadata as m, sys; sys.exit(m.version("apache-flink") != "2.3.0")' 2>/dev/null; then
  say "reusing $VENV"
else
  say "creating $VENV from scratch"
  rm -rf "$VENV"
  mkdir -p "$(dirname "$VENV")"
  "$PY" -m venv "$VENV"
  "$VENV/bin/pip" install -q -r tests/conformance/flink/requirements.txt
fi
VPY="$VENV/bin/python"
say "apache-flink $("$VPY" -c 'import importlib.metadata as m; print(m.version("apache-flink"))')"

# 2. traces: fixtures/traces.jsonl and traces.md (every file of fixtures/ is one per join kind,
# its lines tagged by trace: README.md)
"$VPY" tests/conformance/flink/gen_traces.py --seed "$SEED" --random "$NRANDOM" --out "$FIX"
say "$(python3 tests/conformance/fixtures.py names "$FIX/traces.jsonl" | wc -l) traces in $FIX/traces.jsonl"

# 3. real Flink: one long-lived driver process (one MiniCluster JVM) for every join kind
mkdir -p "$LOGS"
read -r -a KINDS <<<"$JOINS"
ARGS=()
for k in "${KINDS[@]}"; do
  case $k in inner|left_outer) ;; *) echo "record.sh: unknown join kind $k" >&2; exit 2 ;; esac
  ARGS+=(--join "$k")
  rm -f "${FIX:?}/$k.jsonl"
done
log="$LOGS/driver.log"
say "driver: ${ARGS[*]} --pace $PACE --repeat $REPEAT (log: $log)"
rc=0
"$VPY" tests/conformance/flink/driver.py "${ARGS[@]}" --pace "$PACE" --repeat "$REPEAT" --out "$FIX" \
  --traces "$FIX/traces.jsonl" >"$log" 2>&1 || rc=$?
grep -h '^driver.py: [a-z_]*: [0-9]* traces\|^driver.py: total\|ANOMALIES\|failed\|error' "$log" || true
if [[ $rc != 0 ]]; then
  echo "record.sh: the driver failed (exit $rc); see $log" >&2
  exit 1
fi
for k in "${KINDS[@]}"; do
  say "$k: $(grep -c '^{"trace":"[^"]*","meta":' "$FIX/$k.jsonl") traces recorded"
done
say "recording done"

# 4. agreement with joincheck's flink-sql profile (a report; never fails the recording)
rc=0
python3 tests/conformance/flink/compare.py || rc=$?
case $rc in
  0) say "comparison done" ;;
  *) say "comparison could not run (exit $rc); the recording itself succeeded" ;;
esac
say "total time $((SECONDS - t0))s"
