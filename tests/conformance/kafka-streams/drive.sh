#!/usr/bin/env bash
# `joincheck drive` on Kafka Streams 4.4.0 itself: DriveProtocol.java answers joincheck's
# protocol with the KStream-KStream join in TopologyTestDriver, for one of the bundled
# kafka-streams models (its join is set here, as the recorded fixtures set it):
#
#   bash tests/conformance/kafka-streams/drive.sh MODEL [joincheck drive options]
#   bash tests/conformance/kafka-streams/drive.sh kafka-streams-clicks-within-5m-left-outer --max-traces 300 --random 100
#
# Every trace of the model's scope takes a new driver (a new task): about 60 ms each, so the
# whole scope of a bundled model (about 9,000 traces) takes about 9 minutes. Needs Java 17 and
# Maven.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../../.." && pwd)"
usage="usage: drive.sh kafka-streams-impressions-clicks|kafka-streams-clicks-5m-to-20m-left-outer|kafka-streams-clicks-within-5m-left-outer [drive options]"
model="${1:?$usage}"
shift
case "$model" in
    kafka-streams-impressions-clicks) join=(--kind inner --lowest 0 --highest 3600000 --grace 600000) ;;
    kafka-streams-clicks-5m-to-20m-left-outer) join=(--kind left_outer --lowest 300000 --highest 1200000 --grace 0) ;;
    kafka-streams-clicks-within-5m-left-outer) join=(--kind left_outer --lowest 0 --highest 300000 --grace 600000) ;;
    *) echo "$usage" >&2; exit 2 ;;
esac
(cd "$here" && mvn -q -B compile dependency:build-classpath -Dmdep.outputFile=target/classpath.txt > target-mvn.log 2>&1) \
    || { cat "$here/target-mvn.log"; exit 1; }
rm -f "$here/target-mvn.log"
# The class path in a java @argfile, so that drive's report names a short command.
printf -- '-cp %s\n' "$here/target/classes:$(cat "$here/target/classpath.txt")" > "$here/target/drive.args"
cd "$repo"
cargo run --release -q -- drive --model "models/$model.toml" "$@" -- \
    java "@$here/target/drive.args" joincheck.kstreams.DriveProtocol "${join[@]}"
