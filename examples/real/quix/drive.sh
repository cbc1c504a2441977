#!/usr/bin/env bash
# Quix Streams' interval join through `joincheck drive` (docs/REAL-ENGINES.md): installs
# quixstreams 3.28.1 into target/quix-venv (venv.sh, about 131 MB), runs every trace of two
# scopes through drive_quix.py (join_interval with backward_ms=0, forward_ms=1h,
# grace_ms=10m), and requires exactly the findings the document explains:
#   quix-interval-0-1h.toml (inner; the window as promised, no retention): the backward-only
#     lookup (a missing match) and the left store expired by its own side's progress
#     (a premature eviction), each shrunk to two steps;
#   quix-streams-left.toml (left; the quix-streams profile, retention included): the
#     backward-only lookup again, and a match the documented retention would not make (the
#     per-key retention threshold forgotten at every checkpoint), in two and three steps.
# Exit 0 when joincheck finds exactly those, 1 otherwise (the drive reports are printed).
# About 25 s after the install.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../../.." && pwd)"
python="$(bash "$here/venv.sh")"
cd "$repo"
cargo build --release --quiet
mkdir -p target/joincheck
status=0

# drive_scope MODEL HOW EXPECTED_SUMMARY EXPECTED_SHORTEST
drive_scope() {
    local model="$1" how="$2" expected="$3" shortest_expected="$4"
    local log="target/joincheck/quix-drive-$(basename "$model" .toml).log"
    set +e
    target/release/joincheck drive --model "$here/$model" --keep-going -- \
        "$python" -W ignore "$here/drive_quix.py" --how "$how" --backward-ms 0 --forward-ms 3600000 \
        --grace-ms 600000 > "$log" 2> "$log.stderr"
    local code=$?
    set -e
    # The summary table: kind, verdict, traces, shortest.
    local summary shortest
    summary="$(sed -n '/kinds\? of finding:/,$p' "$log" | awk 'NR > 2 { sub(/ +[0-9]+ +[0-9]+ steps?$/, ""); print }' | sed 's/  */ /g')"
    shortest="$(sed -n '/kinds\? of finding:/,$p' "$log" | awk 'NR > 2 { print $(NF-1) }' | tr '\n' ' ')"
    if [[ $code -eq 1 && "$summary" == "$expected" && "$shortest" == "$shortest_expected" ]]; then
        echo "== $model: the findings docs/REAL-ENGINES.md explains"
        sed -n '/kinds\? of finding:/,$p' "$log"
    else
        echo "Quix Streams, $model: drive's findings are not the ones docs/REAL-ENGINES.md explains (exit $code):" >&2
        cat "$log" "$log.stderr" >&2
        status=1
    fi
}

drive_scope quix-interval-0-1h.toml inner "no_lost_match: missing match fails
no_premature_eviction: premature eviction fails" "2 2 "
drive_scope quix-streams-left.toml left "no_lost_match: missing match fails
profile: extra match fails" "2 3 "
if [[ $status -eq 0 ]]; then
    echo "Quix Streams 3.28.1: joincheck drive finds the three defects docs/REAL-ENGINES.md explains"
fi
exit $status
