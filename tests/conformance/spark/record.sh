#!/usr/bin/env bash
# Re-record the real-Spark conformance fixtures from scratch, then compare them with joincheck.
#
#   bash tests/conformance/spark/record.sh              # everything (venv, traces, 4 join kinds, compare)
#
# Environment (all optional):
#   JOINCHECK_SPARK_VENV      virtualenv path, relative to the repo root
#                             (default target/conformance/spark-venv; recreated from scratch)
#   JOINCHECK_SPARK_REUSE_VENV=1  keep an existing venv that already has pyspark==4.3.0
#   JOINCHECK_SPARK_SEED      trace generator seed (default 20240101; the committed fixtures use it)
#   JOINCHECK_SPARK_JOINS     join kinds to record (default "inner left_outer right_outer full_outer")
#   JOINCHECK_SPARK_PARALLEL  driver processes (JVMs) to run side by side (default 2)
#   PYTHON                    the python that creates the venv (default python3)
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../../.." && pwd)
cd "$REPO"

VENV=${JOINCHECK_SPARK_VENV:-target/conformance/spark-venv}
SEED=${JOINCHECK_SPARK_SEED:-20240101}
JOINS=${JOINCHECK_SPARK_JOINS:-"inner left_outer right_outer full_outer"}
PARALLEL=${JOINCHECK_SPARK_PARALLEL:-2}
PY=${PYTHON:-python3}
FIX=tests/conformance/spark/fixtures
LOGS=target/conformance/spark-logs
export SPARK_LOCAL_IP=${SPARK_LOCAL_IP:-127.0.0.1}

t0=$SECONDS
say() { printf 'record.sh: [%4ds] %s\n' "$((SECONDS - t0))" "$*"; }

command -v java >/dev/null || { echo "record.sh: java (17) is needed on PATH" >&2; exit 2; }
say "java: $(java -version 2>&1 | head -1)"

# 1. virtualenv with the pinned pyspark
if [[ "${JOINCHECK_SPARK_REUSE_VENV:-0}" == 1 && -x "$VENV/bin/python" ]] \
    && "$VENV/bin/python" -c 'import pyspark,sys; sys.exit(pyspark.__version__ != "4.3.0")' 2>/dev/null; then
  say "reusing $VENV"
else
  say "creating $VENV from scratch"
  rm -rf "$VENV"
  mkdir -p "$(dirname "$VENV")"
  "$PY" -m venv "$VENV"
  "$VENV/bin/pip" install -q -r tests/conformance/spark/requirements.txt
fi
VPY="$VENV/bin/python"
say "pyspark $("$VPY" -c 'import pyspark; print(pyspark.__version__)')"

# 2. traces: fixtures/traces.jsonl and traces.md (every file of fixtures/ is one per join kind,
# its lines tagged by trace: README.md)
"$VPY" tests/conformance/spark/gen_traces.py --seed "$SEED" --out "$FIX"
say "$(python3 tests/conformance/fixtures.py names "$FIX/traces.jsonl" | wc -l) traces in $FIX/traces.jsonl"

# 3. real Spark, one long-lived JVM per driver process, join kinds spread over the processes
mkdir -p "$LOGS"
read -r -a KINDS <<<"$JOINS"
for k in "${KINDS[@]}"; do
  case $k in inner|left_outer|right_outer|full_outer) ;; *) echo "record.sh: unknown join kind $k" >&2; exit 2 ;; esac
done
declare -a GROUPS_=()
for i in "${!KINDS[@]}"; do
  g=$((i % PARALLEL))
  GROUPS_[$g]="${GROUPS_[$g]:-} --join ${KINDS[$i]}"
  rm -f "${FIX:?}/${KINDS[$i]}.jsonl"
done
pids=()
for g in "${!GROUPS_[@]}"; do
  log="$LOGS/driver-$g.log"
  say "driver $g:${GROUPS_[$g]} (log: $log)"
  # shellcheck disable=SC2086
  "$VPY" tests/conformance/spark/driver.py ${GROUPS_[$g]} --out "$FIX" --traces "$FIX/traces.jsonl" >"$log" 2>&1 &
  pids+=($!)
done
fail=0
for i in "${!pids[@]}"; do
  if ! wait "${pids[$i]}"; then
    echo "record.sh: driver $i failed; see $LOGS/driver-$i.log" >&2
    fail=1
  fi
done
grep -h '^driver.py: [a-z_]*: [0-9]* traces\|^driver.py: total\|ANOMALIES\|failed' "$LOGS"/driver-*.log || true
[[ $fail == 0 ]] || exit 1
for k in "${KINDS[@]}"; do
  say "$k: $(grep -c '^{"trace":"[^"]*","meta":' "$FIX/$k.jsonl") traces recorded"
done
say "recording done"

# 4. agreement with joincheck's spark profile (never fails the recording)
rc=0
python3 tests/conformance/spark/compare.py || rc=$?
case $rc in
  0) say "comparison done" ;;
  1) say "comparison: some traces disagree (see above); the recording itself succeeded" ;;
  *) say "comparison could not run (exit $rc); the recording itself succeeded" ;;
esac
say "total time $((SECONDS - t0))s"
