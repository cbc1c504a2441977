#!/usr/bin/env bash
# Records Flink's operator harness on joincheck traces (README.md): the seed's function
# (flink-keyed-ttl), the corrected function (flink-keyed-fixed, four join kinds) and
# IntervalJoinOperator (flink-interval), into fixtures/ (or into DIR with --out DIR).
#
#   bash tests/conformance/flink-harness/run.sh            # regenerate every fixture (~1 minute)
#   bash tests/conformance/flink-harness/run.sh --out DIR  # the same runs, written under DIR
#
# Each directory (keyed/, interval/) gets traces.jsonl and one file per run over it, every line
# tagged by trace (README.md).
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

# The checker writes its counterexamples one file each; they go into the traces file with the
# generated ones, and nothing else is left behind.
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# The keyed functions: every trace of a small scope, seeded random ones, and the checker's
# counterexamples for the seed's six defects.
rm -rf "$out/keyed" "$out/interval"
mkdir -p "$out/keyed" "$out/interval"
(cd "$repo" && cargo run --release -q -- check models/flink-keyed-ttl.toml --out "$work/cx" > /dev/null || true)
python3 ../gen_harness_traces.py --set keyed-ttl --seed 7 --random 120 --add "$work"/cx/flink-keyed-ttl/defect-*.jsonl \
  --out "$out/keyed"
drive --operator seed --out "$out/keyed/seed.jsonl" "$out/keyed/traces.jsonl"
for kind in inner left_outer right_outer full_outer; do
  drive --operator fixed --kind "$kind" --lowest 0 --highest 86400000 --out "$out/keyed/fixed-$kind.jsonl" \
    "$out/keyed/traces.jsonl"
done

# IntervalJoinOperator: [0, 1h], BoundedOutOfOrderness 10m on both inputs (the bundled model).
python3 ../gen_harness_traces.py --set interval --seed 7 --random 120 --out "$out/interval"
drive --operator interval --lowest 0 --highest 3600000 --left-delay 600000 --right-delay 600000 \
  --out "$out/interval/inner.jsonl" "$out/interval/traces.jsonl"
# Another window and other delays over the same traces: [-5m, 20m], 2m / 20m.
drive --operator interval --lowest -300000 --highest 1200000 --left-delay 120000 --right-delay 1200000 \
  --out "$out/interval/inner-5m-20m.jsonl" "$out/interval/traces.jsonl"
traces() { python3 ../fixtures.py names "$1" | wc -l; }
echo "recorded under $out: $(traces "$out/keyed/traces.jsonl") keyed traces, $(traces "$out/interval/traces.jsonl") interval traces"
