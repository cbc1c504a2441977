#!/usr/bin/env bash
# Record a real engine on the joins users write: every join listed in ENGINE/joins.txt (or the
# ones named), every join kind the engine has, traces placed at each join's own constants.
#
#   bash tests/conformance/record_joins.sh spark                 # every join in spark/joins.txt
#   bash tests/conformance/record_joins.sh flink zero-delay      # one join of flink/joins.txt
#
# For each join NAME: ENGINE/fixtures/joins/NAME/traces.jsonl and traces.md (gen_join_traces.py:
# edge cases and JOINCHECK_RANDOM seeded random traces, default 3), then what the engine emitted
# for each kind in ENGINE/fixtures/joins/NAME/KIND.jsonl (ENGINE/driver.py with --bounds,
# --left-delay, --right-delay), every line tagged by trace (fixtures.py). tests/conformance/mod.rs
# checks every file there in `cargo test`; its list of joins must be joins.txt's (it says so), so
# a join added here is added there too.
#
# Environment:
#   JOINCHECK_SPARK_VENV / JOINCHECK_FLINK_VENV   virtualenv (default target/conformance/ENGINE-venv)
#   JOINCHECK_REUSE_VENV=1    keep an existing venv with the pinned version
#   JOINCHECK_PARALLEL        joins recorded side by side, one JVM each (default: 2 for Spark;
#                             1 for Flink, whose recordings depend on timing: record it alone)
#   JOINCHECK_SEED            trace seed (default 20261203, the committed fixtures' seed)
#   JOINCHECK_RANDOM          random traces per join (default 3 for Spark, 1 for Flink)
#   JOINCHECK_FLINK_PACE / JOINCHECK_FLINK_REPEAT   Flink's pacing (default 0.1 s) and repeats (2)
#   PYTHON                    the python that creates the venv (default python3)
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
cd "$REPO"

ENGINE=${1:-}
case $ENGINE in
  spark)
    VENV=${JOINCHECK_SPARK_VENV:-target/conformance/spark-venv}
    CHECK='import pyspark,sys; sys.exit(pyspark.__version__ != "4.3.0")'
    KINDS=(inner left_outer right_outer full_outer left_semi)
    PARALLEL=${JOINCHECK_PARALLEL:-2}
    RANDOM_TRACES=${JOINCHECK_RANDOM:-3}
    EXTRA=()
    export SPARK_LOCAL_IP=${SPARK_LOCAL_IP:-127.0.0.1}
    ;;
  flink)
    VENV=${JOINCHECK_FLINK_VENV:-target/conformance/flink-venv}
    CHECK='import importlib.metadata as m,sys; sys.exit(m.version("apache-flink") != "2.3.0")'
    KINDS=(inner left_outer right_outer full_outer)
    PARALLEL=${JOINCHECK_PARALLEL:-1}
    RANDOM_TRACES=${JOINCHECK_RANDOM:-1}
    EXTRA=(--pace "${JOINCHECK_FLINK_PACE:-0.1}" --repeat "${JOINCHECK_FLINK_REPEAT:-2}")
    ;;
  *) echo "usage: record_joins.sh spark|flink [JOIN-NAME...]" >&2; exit 2 ;;
esac
shift
SEED=${JOINCHECK_SEED:-20261203}
PY=${PYTHON:-python3}
FIX=tests/conformance/$ENGINE/fixtures/joins
LOGS=target/conformance/$ENGINE-logs

t0=$SECONDS
say() { printf 'record_joins.sh: [%4ds] %s\n' "$((SECONDS - t0))" "$*"; }
command -v java >/dev/null || { echo "record_joins.sh: java (17) is needed on PATH" >&2; exit 2; }

if [[ "${JOINCHECK_REUSE_VENV:-0}" == 1 && -x "$VENV/bin/python" ]] && "$VENV/bin/python" -c "$CHECK" 2>/dev/null; then
  say "reusing $VENV"
else
  say "creating $VENV from scratch"
  rm -rf "$VENV"
  mkdir -p "$(dirname "$VENV")"
  "$PY" -m venv "$VENV"
  "$VENV/bin/pip" install -q -r "tests/conformance/$ENGINE/requirements.txt"
fi
VPY="$VENV/bin/python"

# name|bounds|left delay|right delay, one per join to record
mapfile -t LINES < <(grep -v '^\s*#' "$HERE/$ENGINE/joins.txt" | grep -v '^\s*$' | sed 's/\s*|\s*/|/g; s/^\s*//; s/\s*$//')
if (($#)); then
  wanted=" $* "
  mapfile -t LINES < <(printf '%s\n' "${LINES[@]}" | while IFS='|' read -r n rest; do
    if [[ $wanted == *" $n "* ]]; then echo "$n|$rest"; fi
  done)
  ((${#LINES[@]} == $#)) || { echo "record_joins.sh: unknown join among: $* (see $ENGINE/joins.txt)" >&2; exit 2; }
fi

mkdir -p "$LOGS"
run_join() {  # one JVM per join: its traces, then every kind
  local name=$1 bounds=$2 ld=$3 rd=$4 dir="$FIX/$1"
  rm -rf "$dir"
  "$VPY" tests/conformance/gen_join_traces.py --engine "$ENGINE" --bounds "$bounds" --left-delay "$ld" \
    --right-delay "$rd" --seed "$SEED" --random "$RANDOM_TRACES" --out "$dir"
  local args=()
  for k in "${KINDS[@]}"; do args+=(--join "$k"); done
  "$VPY" "tests/conformance/$ENGINE/driver.py" "${args[@]}" "${EXTRA[@]}" --bounds "$bounds" \
    --left-delay "$ld" --right-delay "$rd" --out "$dir" --traces "$dir/traces.jsonl"
}
pids=() names=()
for line in "${LINES[@]}"; do
  IFS='|' read -r name bounds ld rd <<<"$line"
  while (($(jobs -rp | wc -l) >= PARALLEL)); do wait -n || true; done
  say "$name: $bounds, delays $ld / $rd (log: $LOGS/joins-$name.log)"
  run_join "$name" "$bounds" "$ld" "$rd" >"$LOGS/joins-$name.log" 2>&1 &
  pids+=($!) names+=("$name")
done
fail=0
for i in "${!pids[@]}"; do
  if ! wait "${pids[$i]}"; then
    echo "record_joins.sh: ${names[$i]} failed; see $LOGS/joins-${names[$i]}.log" >&2
    fail=1
  fi
done
grep -h 'ANOMALIES\|failed\|differed' "$LOGS"/joins-*.log || true
say "$(cat "$FIX"/*/*.jsonl | grep -c '^{"trace":"[^"]*","meta":') recorded runs under $FIX"
exit $fail
