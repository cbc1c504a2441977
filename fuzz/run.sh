#!/usr/bin/env bash
# One fuzzing campaign: fuzz/run.sh TARGET [SECONDS] [LIBFUZZER_FLAGS...]
#
# Toolchain: stable Rust. cargo-fuzz runs libFuzzer on stable with `--sanitizer none`
# (AddressSanitizer needs nightly; the fuzzed code is safe Rust, so ASan would add little
# besides halving the speed). The build has overflow checks and debug assertions on
# (`--debug-assertions`, and fuzz/Cargo.toml's release profile), so an integer overflow or a
# broken engine invariant is a crash. cargo-fuzz is installed when missing
# (`cargo install --locked cargo-fuzz`, about a minute); the first build instruments every
# dependency (3-4 minutes on 2 cores).
#
# Inputs: fuzz/corpus/TARGET (committed seeds) and fuzz/regressions/TARGET (every crash ever
# found, minimized; they must all pass). New inputs go to fuzz/corpus-work/TARGET (not
# committed); crashes to fuzz/artifacts/TARGET/. For a crash:
#   cargo fuzz tmin --sanitizer none --debug-assertions TARGET fuzz/artifacts/TARGET/crash-...
# then copy the minimized file to fuzz/regressions/TARGET/, fix the bug, and add a test to
# tests/fuzz_replay that names the file. `cargo test --release --test tests fuzz_replay`
# replays every committed file.
set -euo pipefail
usage="usage: fuzz/run.sh TARGET [SECONDS] [LIBFUZZER_FLAGS...]; targets: eviction_vs_oracle kafka_vs_oracle quix_vs_oracle pathway_vs_oracle parse_trace parse_model protocol_lines"
target=${1:?$usage}
seconds=${2:-60}
shift $(( $# >= 2 ? 2 : 1 ))
cd "$(dirname "$0")/.."

# The structured target runs without comparison tracing: its choices are small integers that
# coverage alone steers well, and tracing every comparison of the monitor's loops cost half of
# its speed (docs/BENCHMARKS.md). Its build gets a target directory of its own, so that
# switching targets does not rebuild every dependency. The parsers keep comparison tracing,
# which finds keywords and magic numbers (their dictionaries in fuzz/dicts help too).
case "$target" in
    eviction_vs_oracle | kafka_vs_oracle | quix_vs_oracle | pathway_vs_oracle)  # joincheck::fuzzing::MAX_CASE_BYTES
        max_len=1024
        build=(--no-trace-compares --target-dir "$PWD/fuzz/target/no-trace-compares") ;;
    parse_trace | parse_model | protocol_lines)  # MAX_TEXT_BYTES
        max_len=8192
        build=() ;;
    *) echo "$usage" >&2; exit 2 ;;
esac

if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "run.sh: cargo-fuzz is missing; installing it (cargo install --locked cargo-fuzz)" >&2
    cargo install --locked cargo-fuzz
fi

mkdir -p "fuzz/corpus-work/$target" "fuzz/corpus/$target" "fuzz/regressions/$target"
flags=(-max_total_time="$seconds" -max_len="$max_len" -timeout=10 -print_final_stats=1)
if [ -f "fuzz/dicts/$target.dict" ]; then
    flags+=(-dict="fuzz/dicts/$target.dict")
fi
echo "run.sh: $(rustc --version), $(cargo fuzz --version), $(nproc) cores; $target for ${seconds}s" >&2
exec cargo fuzz run --sanitizer none --debug-assertions "${build[@]}" "$target" \
    "fuzz/corpus-work/$target" "fuzz/corpus/$target" "fuzz/regressions/$target" \
    -- "${flags[@]}" "$@"
