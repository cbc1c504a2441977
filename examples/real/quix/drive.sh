#!/usr/bin/env bash
# Quix Streams' interval join through `joincheck drive` (docs/REAL-ENGINES.md): installs
# quixstreams 3.28.1 into target/quix-venv (venv.sh, about 131 MB), runs every trace of three
# scopes through drive_quix.py (join_interval with backward_ms=0, grace_ms=10m), and requires
# exactly what the document explains:
#   quix-interval-0-1h.toml (inner, forward_ms=1h; the window as promised, no retention): the backward-only
#     lookup (a missing match) and the left store expired by its own side's progress
#     (a premature eviction), each shrunk to two steps;
#   quix-streams-left.toml (left, forward_ms=1h; the quix-streams profile, retention included): the
#     backward-only lookup again, and a match the documented retention would not make (the
#     per-key retention threshold forgotten at every checkpoint), in two and three steps;
#   quix-streams-same-time.toml (left, forward_ms = 0, times within the grace): where none of
#     the three can show, agreement with the profile on every trace (385), with drive's varied
#     traces off: their times spread wider than the grace, and finding 3 shows;
#   the same scope with the varied traces, against Quix with finding 3's one-line fix
#     (drive_quix.py --fix-retention): agreement on every trace, the varied ones included
#     (keys differing by case or normalisation, shared ids, times up to 2^63 - 1).
# Exit 0 when joincheck finds exactly those, 1 otherwise (the drive reports are printed).
# 47 s here after the install.
set -euo pipefail
source "$(dirname "$0")/../lib.sh"

# drive_scope MODEL HOW FORWARD_MS EXPECTED_SUMMARY EXPECTED_SHORTEST [JOINCHECK_OPTION [PROGRAM_OPTION]]
# (no findings: both expectations empty)
drive_scope() {
    local model="$1" how="$2" forward="$3" expected="$4" shortest_expected="$5"
    local ours=(${6:-}) theirs=(${7:-})
    local log="target/joincheck/quix-drive-$(basename "$model" .toml)${7:-}.log"
    drive "$log" "$here/$model" --keep-going "${ours[@]}" -- "$python" -W ignore "$here/drive_quix.py" --how "$how" \
        --backward-ms 0 --forward-ms "$forward" --grace-ms 600000 "${theirs[@]}"
    if [[ -z "$expected" ]]; then
        expect_agreement "$model${7:+ with $7}${6:+ with $6}" "$log" quix-streams
        return
    fi
    # The summary table: kind, verdict, traces, shortest.
    local summary shortest
    summary="$(sed -n '/kinds\? of finding:/,$p' "$log" | awk 'NR > 2 { sub(/ +[0-9]+ +[0-9]+ steps?$/, ""); print }' | sed 's/  */ /g')"
    shortest="$(sed -n '/kinds\? of finding:/,$p' "$log" | awk 'NR > 2 { print $(NF-1) }' | tr '\n' ' ')"
    if [[ $code -eq 1 && "$summary" == "$expected" && "$shortest" == "$shortest_expected" ]]; then
        echo "== $model: the findings docs/REAL-ENGINES.md explains"
        sed -n '/kinds\? of finding:/,$p' "$log"
    else
        fail "Quix Streams, $model: drive's findings are not the ones docs/REAL-ENGINES.md explains" "$log"
    fi
}

drive_scope quix-interval-0-1h.toml inner 3600000 "no_lost_match: missing match fails
no_premature_eviction: premature eviction fails" "2 2 "
drive_scope quix-streams-left.toml left 3600000 "no_lost_match: missing match fails
profile: extra match fails" "2 3 "
drive_scope quix-streams-same-time.toml left 0 "" "" "--varied 0"
drive_scope quix-streams-same-time.toml left 0 "" "" "" "--fix-retention"
if [[ $status -eq 0 ]]; then
    echo "Quix Streams 3.28.1: joincheck drive finds the three defects docs/REAL-ENGINES.md explains"
fi
exit $status
