#!/usr/bin/env bash
# Pathway's interval join through `joincheck drive` (docs/REAL-ENGINES.md). Opt-in, not in
# .ci/run: it installs pathway 0.33.0 into target/pathway-venv (venv.sh, about 1.6 GB) and runs
# every trace of pathway-interval-0-1h.toml through drive_pathway.py, as an inner join and as a
# left join (interval(0, 1h), common_behavior(cutoff=10m)), and of pathway-agrees.toml as an
# outer join: 12 minutes 39 seconds in all on two cores. It requires exactly
# the finding the document explains: a row freed by its own side's cutoff while a partner may
# still come (a missing match), shrunk to four steps; the eager null rows and their
# retractions are what the pathway profile states (outer_rows = "eager_retract"), not
# findings, and where the freeing cannot show, the adapter agrees with the profile on every
# trace. Exit 0 when joincheck finds exactly that.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../../.." && pwd)"
python="$(bash "$here/venv.sh")"
cd "$repo"
cargo build --release --quiet
mkdir -p target/joincheck
status=0

# drive_as HOW KIND: the model with `kind` replaced, driven with `--how`.
drive_as() {
    local how="$1" kind="$2"
    local model="target/joincheck/pathway-interval-0-1h-$how.toml"
    local log="target/joincheck/pathway-drive-$how.log"
    sed "s/^kind = \"inner\"/kind = \"$kind\"/; s/^name = \"pathway-interval-0-1h\"/name = \"pathway-interval-0-1h-$how\"/" \
        "$here/pathway-interval-0-1h.toml" > "$model"
    set +e
    target/release/joincheck drive --model "$model" --keep-going -- \
        "$python" -W ignore "$here/drive_pathway.py" --how "$how" --lower-ms 0 --upper-ms 3600000 \
        --cutoff-ms 600000 > "$log" 2> "$log.stderr"
    local code=$?
    set -e
    # One finding: its headline names the kind and the shrunk length.
    if [[ $code -eq 1 ]] && grep -q '^no_lost_match: missing match: counterexample (4 steps' "$log" \
        && ! grep -q 'kinds of finding' "$log"; then
        echo "== $how join: the finding docs/REAL-ENGINES.md explains"
        sed -n '/^no_lost_match: missing match/,$p' "$log"
    else
        echo "Pathway, $how join: drive's findings are not the one docs/REAL-ENGINES.md explains (exit $code):" >&2
        cat "$log" >&2
        grep -v ':INFO:' "$log.stderr" >&2 || true
        status=1
    fi
}

drive_as inner inner
drive_as left left_outer

# Where the freeing cannot show, agreement on every trace: per-side lateness, eager null rows
# and their retractions as the profile states them.
log=target/joincheck/pathway-drive-agrees.log
set +e
target/release/joincheck drive --model "$here/pathway-agrees.toml" -- \
    "$python" -W ignore "$here/drive_pathway.py" --how outer --lower-ms 0 --upper-ms 3600000 \
    --cutoff-ms 600000 > "$log" 2> "$log.stderr"
code=$?
set -e
if [[ $code -eq 0 ]] && grep -q "agrees with the pathway profile on every trace" "$log"; then
    echo "== outer join, pathway-agrees.toml: agrees with the pathway profile on every trace"
else
    echo "Pathway, pathway-agrees.toml: expected agreement on every trace (exit $code):" >&2
    cat "$log" >&2
    grep -v ':INFO:' "$log.stderr" >&2 || true
    status=1
fi
exit $status
