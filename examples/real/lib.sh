# Sourced by the drive scripts of examples/real/<engine>/ (after `set -euo pipefail`): sets
# $here (the script's directory), $repo (the working directory from here on), $python (the
# engine's venv, made by $here/venv.sh), builds joincheck and starts with status=0; then
# gives them the drive run and its two checks.
here="$(cd "$(dirname "${BASH_SOURCE[1]}")" && pwd)"
repo="$(cd "$here/../../.." && pwd)"
python="$(bash "$here/venv.sh")"
cd "$repo"
cargo build --release --quiet
mkdir -p target/joincheck
status=0

# drive LOG MODEL [DRIVE_OPTIONS...] -- PROGRAM...: joincheck drive, its report in LOG and its
# standard error in LOG.stderr; its exit status in $code.
drive() {
    local log="$1" model="$2"
    shift 2
    set +e
    target/release/joincheck drive --model "$model" "$@" > "$log" 2> "$log.stderr"
    code=$?
    set -e
}

# fail WHAT LOG: says that WHAT is not what docs/REAL-ENGINES.md explains, prints the report
# and the program's errors (without Pathway's INFO lines), and makes the script fail.
fail() {
    echo "$1 (exit $code):" >&2
    cat "$2" >&2
    grep -v ':INFO:' "$2.stderr" >&2 || true
    status=1
}

# expect_agreement LABEL LOG PROFILE: the drive in LOG agreed with PROFILE on every trace.
expect_agreement() {
    if [[ $code -eq 0 ]] && grep -q "agrees with the $3 profile on every trace" "$2"; then
        echo "== $1: agrees with the $3 profile on every trace"
    else
        fail "$1: expected agreement with the $3 profile on every trace" "$2"
    fi
}
