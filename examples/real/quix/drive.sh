#!/usr/bin/env bash
# Quix Streams' interval join through `joincheck drive` (docs/REAL-ENGINES.md): installs
# quixstreams 3.28.1 into target/quix-venv (venv.sh, about 131 MB), runs every trace of the
# scope of quix-interval-0-1h.toml through drive_quix.py (join_interval with how=inner,
# backward_ms=0, forward_ms=1h, grace_ms=10m), and requires exactly the findings the document
# explains: the two defects, each shrunk to two steps, and the known difference (no end of
# input) allowed. Exit 0 when joincheck finds exactly those, 1 otherwise (the drive report is
# printed). About 25 s after the install.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../../.." && pwd)"
python="$(bash "$here/venv.sh")"
cd "$repo"
cargo build --release --quiet
log=target/joincheck/quix-drive.log
mkdir -p target/joincheck
set +e
target/release/joincheck drive --model "$here/quix-interval-0-1h.toml" --keep-going \
    --allow "$here/known-differences.txt" -- \
    "$python" -W ignore "$here/drive_quix.py" --how inner --backward-ms 0 --forward-ms 3600000 --grace-ms 600000 \
    > "$log" 2> "$log.stderr"
status=$?
set -e
# The summary table: kind, verdict, traces, shortest.
summary="$(sed -n '/kinds\? of finding:/,$p' "$log" | awk 'NR > 2 { sub(/ +[0-9]+ +[0-9]+ steps?$/, ""); print }' | sed 's/  */ /g')"
expected="no_lost_match: missing match fails
no_premature_eviction: premature eviction fails
no_state_leak: leak at end allowed"
shortest="$(sed -n '/kinds\? of finding:/,$p' "$log" | awk 'NR > 2 { print $(NF-1) }' | tr '\n' ' ')"
if [[ $status -eq 1 && "$summary" == "$expected" && "$shortest" == "2 2 1 " ]]; then
    echo "Quix Streams 3.28.1: joincheck drive finds both known defects (a pair whose second record is"
    echo "the left one, lost; a left record evicted by its own side's progress while a right record"
    echo "within forward_ms could still match it), each in two steps; no end of input, allowed."
    sed -n '/kinds\? of finding:/,$p' "$log"
else
    echo "Quix Streams: drive's findings are not the ones docs/REAL-ENGINES.md explains (exit $status):" >&2
    cat "$log" "$log.stderr" >&2
    exit 1
fi
