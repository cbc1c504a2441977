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
source "$(dirname "$0")/../lib.sh"
pathway=("$python" -W ignore "$here/drive_pathway.py" --lower-ms 0 --upper-ms 3600000 --cutoff-ms 600000)

# drive_as HOW KIND: the model with `kind` replaced, driven with `--how`.
drive_as() {
    local how="$1" kind="$2"
    local model="target/joincheck/pathway-interval-0-1h-$how.toml"
    local log="target/joincheck/pathway-drive-$how.log"
    sed "s/^kind = \"inner\"/kind = \"$kind\"/; s/^name = \"pathway-interval-0-1h\"/name = \"pathway-interval-0-1h-$how\"/" \
        "$here/pathway-interval-0-1h.toml" > "$model"
    drive "$log" "$model" --keep-going -- "${pathway[@]}" --how "$how"
    # One finding: its headline names the kind and the shrunk length.
    if [[ $code -eq 1 ]] && grep -q '^no_lost_match: missing match: counterexample (4 steps' "$log" \
        && ! grep -q 'kinds of finding' "$log"; then
        echo "== $how join: the finding docs/REAL-ENGINES.md explains"
        sed -n '/^no_lost_match: missing match/,$p' "$log"
    else
        fail "Pathway, $how join: drive's findings are not the one docs/REAL-ENGINES.md explains" "$log"
    fi
}

drive_as inner inner
drive_as left left_outer

# Where the freeing cannot show, agreement on every trace: per-side lateness, eager null rows
# and their retractions as the profile states them.
log=target/joincheck/pathway-drive-agrees.log
drive "$log" "$here/pathway-agrees.toml" -- "${pathway[@]}" --how outer
expect_agreement "outer join, pathway-agrees.toml" "$log" pathway
exit $status
