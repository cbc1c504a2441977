#!/usr/bin/env bash
# Records Flink's operator harness on joincheck traces (README.md): the seed's function
# (flink-keyed-ttl), the corrected function (flink-keyed-fixed, four join kinds) and
# IntervalJoinOperator (flink-interval), into fixtures/ (or into DIR with --out DIR).
#
#   bash tests/conformance/flink-harness/run.sh            # regenerate every fixture (~1 minute)
#   bash tests/conformance/flink-harness/run.sh --out DIR  # the same runs, written under DIR
#
# Needs Java 17 and Maven (Maven Central); the checker's counterexamples come from the release
# binary (cargo build --release).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../../.." && pwd)"
out="$here/fixtures"
if [[ "${1:-}" == "--out" ]]; then out="$2"; fi

cd "$here"
mvn -q -B compile dependency:build-classpath -Dmdep.outputFile=target/classpath.txt > target-mvn.log 2>&1 \
  || { cat target-mvn.log; exit 1; }
rm -f target-mvn.log
cp="$here/target/classes:$(cat target/classpath.txt)"
drive() { java -cp "$cp" joincheck.harness.Drive "$@"; }

# The keyed functions: every trace of a small scope, seeded random ones, and the checker's
# counterexamples for the seed's six defects.
rm -rf "$out/keyed" "$out/interval"
mkdir -p "$out/keyed/traces" "$out/interval/traces"
python3 ../gen_harness_traces.py --set keyed-ttl --out "$out/keyed/traces" --seed 7 --random 120
(cd "$repo" && cargo run --release -q -- check models/flink-keyed-ttl.toml --out "$out/keyed/cx" > /dev/null || true)
for f in "$out/keyed/cx"/flink-keyed-ttl/defect-*.jsonl; do cp "$f" "$out/keyed/traces/"; done
rm -rf "$out/keyed/cx"
drive --operator seed --out "$out/keyed/seed" "$out/keyed/traces"/*.jsonl
for kind in inner left_outer right_outer full_outer; do
  drive --operator fixed --kind "$kind" --lowest 0 --highest 86400000 --out "$out/keyed/fixed-$kind" "$out/keyed/traces"/*.jsonl
done

# IntervalJoinOperator: [0, 1h], BoundedOutOfOrderness 10m on both inputs (the bundled model).
python3 ../gen_harness_traces.py --set interval --out "$out/interval/traces" --seed 7 --random 120
drive --operator interval --lowest 0 --highest 3600000 --left-delay 600000 --right-delay 600000 \
  --out "$out/interval/inner" "$out/interval/traces"/*.jsonl
# Another window and other delays over the same traces: [-5m, 20m], 2m / 20m.
drive --operator interval --lowest -300000 --highest 1200000 --left-delay 120000 --right-delay 1200000 \
  --out "$out/interval/inner-5m-20m" "$out/interval/traces"/*.jsonl
echo "recorded under $out: $(ls "$out"/keyed/traces | wc -l) keyed traces, $(ls "$out"/interval/traces | wc -l) interval traces"
