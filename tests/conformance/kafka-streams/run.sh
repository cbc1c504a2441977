#!/usr/bin/env bash
# Records a KStream-KStream join in Kafka Streams 4.4.0's TopologyTestDriver on joincheck traces
# (README.md), into fixtures/ (or into DIR with --out DIR): three joins, each inner, left and outer.
#
#   bash tests/conformance/kafka-streams/run.sh            # regenerate every fixture (~1 minute)
#   bash tests/conformance/kafka-streams/run.sh --out DIR  # the same runs, written under DIR
#
# DIR gets traces.jsonl and one file per join and kind, JOIN-KIND.jsonl, every line tagged by
# trace (README.md).
#
# Needs Java 17 and Maven (Maven Central).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="$here/fixtures"
if [[ "${1:-}" == "--out" ]]; then out="$2"; fi

cd "$here"
mvn -q -B compile dependency:build-classpath -Dmdep.outputFile=target/classpath.txt > target-mvn.log 2>&1 \
  || { cat target-mvn.log; exit 1; }
rm -f target-mvn.log
cp="$here/target/classes:$(cat target/classpath.txt)"

# The checker writes its counterexamples one file each; they go into the traces file with the
# generated ones, and nothing else is left behind.
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/add"

rm -rf "$out"
mkdir -p "$out"
# The checker's counterexamples on the bundled Kafka Streams models, to see each on the real
# engine: cx-<model>-<property>.
repo="$(cd "$here/../../.." && pwd)"
for model in kafka-streams-impressions-clicks kafka-streams-clicks-5m-to-20m-left-outer \
             kafka-streams-clicks-within-5m-left-outer; do
  (cd "$repo" && cargo run --release -q -- check "models/$model.toml" --out "$work/cx" > /dev/null || true)
  for f in "$work/cx/$model"/*.jsonl; do
    cp "$f" "$work/add/cx-${model#kafka-streams-}-$(basename "$f")"
  done
done
# KAFKA-19536 in full: the impression within the grace is null-padded at once, then a click
# inside its window joins it.
cat > "$work/add/kafka-19536-null-row-then-match.jsonl" <<'TRACE'
{"type":"record","side":"right","key":"a","ts":600000,"id":"c0"}
{"type":"record","side":"left","key":"a","ts":0,"id":"i1"}
{"type":"record","side":"right","key":"a","ts":300000,"id":"c1"}
{"type":"end"}
TRACE
python3 ../gen_harness_traces.py --set kafka --seed 7 --random 150 --add "$work/add"/*.jsonl --out "$out"
# name | lowest ms | highest ms | grace ms
while read -r name lowest highest grace; do
  for kind in inner left_outer full_outer; do
    java -cp "$cp" joincheck.kstreams.Drive --kind "$kind" --lowest "$lowest" --highest "$highest" --grace "$grace" \
      --out "$out/$name-$kind.jsonl" "$out/traces.jsonl"
  done
done <<'JOINS'
within-1h-grace-10m 0 3600000 600000
5m-to-20m-no-grace 300000 1200000 0
within-5m-grace-10m 0 300000 600000
JOINS
echo "recorded under $out: $(python3 ../fixtures.py names "$out/traces.jsonl" | wc -l) traces x 3 joins x 3 kinds"
