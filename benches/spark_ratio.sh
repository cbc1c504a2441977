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
# 4. `joincheck diff` checks that the prediction and Spark's rows agree, batch by batch.
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
$B oracle --model $MODEL --trace "$TRACE" >"$WORK/joincheck.jsonl"
end=$(date +%s.%N)
jc_s=$(echo "$end - $start" | bc -l)

echo "real Spark: ${spark_s}s for the query (plus ${session_s}s to start the SparkSession)"
printf 'joincheck oracle: %.3fs (whole process)\n' "$jc_s"
printf 'ratio: %.0fx\n' "$(echo "$spark_s / $jc_s" | bc -l)"
$B diff --model $MODEL --trace "$TRACE" --actual "$WORK/spark/inner/trace-$RECORDS.out.jsonl" | tail -1
