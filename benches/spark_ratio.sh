#!/usr/bin/env bash
# joincheck's `oracle` against real Spark (pyspark 4.3.0) on the same trace, in one run.
#
#   bash benches/spark_ratio.sh [RECORDS] [SEED]        # default 100000 records, seed 1
#
# 1. `joincheck simulate` writes a seeded trace for models/spark-impressions-clicks.toml
#    (micro-batches of 10,000 records);
# 2. real Spark runs it through tests/conformance/spark/driver.py (the seed's query, inner
#    join, one addData + processAllAvailable per trace batch); the time counted is the query's
#    own, from the driver's log, without starting the JVM (that favours Spark);
# 3. `joincheck oracle` predicts Spark's rows for the trace, timed as a whole process;
# 4. the prediction and Spark's rows must agree, batch by batch (late rows as counts).
#
# Needs the conformance venv (tests/conformance/spark/record.sh creates it, or
# JOINCHECK_SPARK_VENV), Java 17, and about 2.5 GB of memory for the JVM.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/.." && pwd)
cd "$REPO"
RECORDS=${1:-100000}
SEED=${2:-1}
VENV=${JOINCHECK_SPARK_VENV:-target/conformance/spark-venv}
MODEL=models/spark-impressions-clicks.toml
WORK=target/spark-ratio
[[ -x "$VENV/bin/python" ]] || { echo "spark_ratio.sh: no venv at $VENV (run tests/conformance/spark/record.sh once)" >&2; exit 2; }
export SPARK_LOCAL_IP=${SPARK_LOCAL_IP:-127.0.0.1}

cargo build --release --quiet
B=target/release/joincheck
rm -rf "$WORK" && mkdir -p "$WORK"
TRACE=$WORK/trace-$RECORDS.jsonl
$B simulate --model $MODEL --seed "$SEED" --records "$RECORDS" --out "$TRACE" >/dev/null
echo "trace: $TRACE ($(wc -l <"$TRACE") lines, $(grep -c '"batch"' "$TRACE") batch markers)"

"$VENV/bin/python" tests/conformance/spark/driver.py --join inner --out "$WORK/spark" "$TRACE" 2>"$WORK/driver.log"
spark_s=$(sed -n 's/.*inner trace-[0-9]*: .* rows, \([0-9.]*\)s.*/\1/p' "$WORK/driver.log")
session_s=$(sed -n 's/.*SparkSession up in \([0-9.]*\)s.*/\1/p' "$WORK/driver.log")

start=$(date +%s.%N)
$B oracle --model $MODEL --trace "$TRACE" --stream >"$WORK/joincheck.jsonl"
end=$(date +%s.%N)
jc_s=$(echo "$end - $start" | bc -l)

echo "real Spark: ${spark_s}s for the query (plus ${session_s}s to start the SparkSession)"
printf 'joincheck oracle: %.3fs (whole process)\n' "$jc_s"
printf 'ratio: %.0fx\n' "$(echo "$spark_s / $jc_s" | bc -l)"
# Spark emits no late rows; it counts them (numRowsDroppedByWatermark per batch). So: every
# other row must agree, batch by batch, and the late rows joincheck predicts per batch must
# equal Spark's counts (what tests/conformance/spark/compare.py checks for the fixtures).
"$VENV/bin/python" - "$WORK/joincheck.jsonl" "$WORK/spark/inner.jsonl" "trace-$RECORDS" <<'PY'
import collections, json, sys
sys.path.insert(0, "tests/conformance")
from fixtures import read_runs
ours = [json.loads(l) for l in open(sys.argv[1])]
meta, spark = read_runs(sys.argv[2])[1][sys.argv[3]]
dropped = meta["dropped_by_watermark_per_trace_batch"]
row = lambda o: json.dumps({k: v for k, v in o.items() if k != "key"}, sort_keys=True)
a = collections.Counter(row(o) for o in ours if o["type"] != "late")
b = collections.Counter(row(o) for o in spark)
late = collections.Counter(o["batch"] for o in ours if o["type"] == "late")
late_ok = all(late.get(i, 0) == n for i, n in enumerate(dropped)) and sum(late.values()) == sum(dropped)
print(f"rows: joincheck {sum(a.values())}, Spark {sum(b.values())}, "
      f"{'identical' if a == b else 'DIFFERENT'} batch by batch; "
      f"late: joincheck {sum(late.values())}, Spark dropped {sum(dropped)}, {'same' if late_ok else 'DIFFERENT'} per batch")
sys.exit(0 if a == b and late_ok else 1)
PY
