#!/usr/bin/env bash
# Records a KStream-KStream join in Kafka Streams 4.4.0's TopologyTestDriver on joincheck traces
# (README.md), into fixtures/ (or into DIR with --out DIR): two joins, each inner, left and outer.
#
#   bash tests/conformance/kafka-streams/run.sh            # regenerate every fixture (~1 minute)
#   bash tests/conformance/kafka-streams/run.sh --out DIR  # the same runs, written under DIR
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

rm -rf "$out"
mkdir -p "$out/traces"
python3 ../gen_harness_traces.py --set kafka --out "$out/traces" --seed 7 --random 150
# name | lowest ms | highest ms | grace ms
while read -r name lowest highest grace; do
  for kind in inner left_outer full_outer; do
    java -cp "$cp" joincheck.kstreams.Drive --kind "$kind" --lowest "$lowest" --highest "$highest" --grace "$grace" \
      --out "$out/$name/$kind" "$out/traces"/*.jsonl
  done
done <<'JOINS'
within-1h-grace-10m 0 3600000 600000
5m-to-20m-no-grace 300000 1200000 0
JOINS
echo "recorded under $out: $(ls "$out/traces" | wc -l) traces x 2 joins x 3 kinds"
