#!/usr/bin/env bash
# The model checker's speed and memory against stateright's own two-phase-commit example, in
# one run on one machine (issue 14, item 3): unique states per second per thread, and peak
# memory per unique state.
#
#   benches/checker_vs_2pc.sh [THREADS] [RMS]
#
# joincheck checks the reference model with three impressions and two clicks (the 3x2 scope,
# about 1.1M states); 2pc is built from the registry copy of the stateright crate that
# joincheck depends on (its `examples/2pc.rs`, run as `2pc check RMS`, 8 resource managers by
# default: about 1.3M unique states). Both run with THREADS threads (default 1). Needs
# /usr/bin/time (Debian's `time` package).
set -euo pipefail
cd "$(dirname "$0")/.."
threads="${1:-1}"
rms="${2:-8}"
work=target/bench-2pc
mkdir -p "$work"

version=$(cargo metadata --format-version 1 --locked |
    python3 -c 'import json,sys; print(next(p["version"] for p in json.load(sys.stdin)["packages"] if p["name"]=="stateright"))')
src=$(ls -d "${CARGO_HOME:-$HOME/.cargo}"/registry/src/*/stateright-"$version" | head -1)
if [ ! -d "$work/stateright" ]; then
    cp -r "$src" "$work/stateright"
fi
# The example calls num_cpus::get() for its thread count: pin it to THREADS. Its reporter
# polls once a second, which would round its time up to whole seconds: join the checker
# first, so that the report is printed at once.
sed -i -e "s/\.threads([a-z_:0-9]*())/.threads($threads)/" -e "s/\.threads([0-9]*)/.threads($threads)/" \
    -e "s/\.spawn_dfs()$/.spawn_dfs().join()/" "$work/stateright/examples/2pc.rs"
(cd "$work/stateright" && cargo build --release --example 2pc --quiet 2>/dev/null ||
    cargo build --release --example 2pc)
cargo build --release --quiet

sed -e 's/^left = 2/left = 3/' -e 's/^name = .*/name = "bench-3x2"/' \
    models/reference-impressions-clicks.toml > "$work/ref3x2.toml"

measure() { # label, then the command; prints "label unique seconds peak_kb"
    local label=$1; shift
    local out
    out=$( { /usr/bin/time -f "TIME %e %M" "$@" 2>&1 >/dev/fd/3 | grep '^TIME'; } 3>"$work/$label.out")
    echo "$label $out"
}
j=$(measure joincheck ./target/release/joincheck check "$work/ref3x2.toml" --threads "$threads" --out "$work/cx")
p=$(measure 2pc "$work/stateright/target/release/examples/2pc" check "$rms")
j_unique=$(grep -o 'states: [0-9]* unique' "$work/joincheck.out" | grep -o '[0-9]*')
p_unique=$(grep -o 'unique=[0-9]*' "$work/2pc.out" | tail -1 | grep -o '[0-9]*')
python3 - "$threads" "$j_unique" "$p_unique" $j $p <<'PY'
import sys
threads, ju, pu = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
_, _, js, jkb, _, _, ps, pkb = sys.argv[4:12]
js, jkb, ps, pkb = float(js), int(jkb), float(ps), int(pkb)
jr, pr = ju / js / threads, pu / ps / threads
print(f"threads {threads}")
print(f"joincheck 3x2: {ju} unique states in {js:.2f} s: {jr:,.0f} states/s per thread; peak {jkb/1024:.0f} MiB, {jkb*1024/ju:.0f} bytes per state")
print(f"2pc:           {pu} unique states in {ps:.2f} s: {pr:,.0f} states/s per thread; peak {pkb/1024:.0f} MiB, {pkb*1024/pu:.0f} bytes per state")
print(f"ratio joincheck / 2pc, states/s per thread: {jr/pr:.2f}")
PY
