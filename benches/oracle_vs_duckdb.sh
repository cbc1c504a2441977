#!/usr/bin/env bash
# joincheck's `oracle` and `diff` against DuckDB computing the same rows from the same JSON-lines
# file, and against Python's json.loads merely parsing it (issue 19, item 2), in one run.
#
#   bash benches/oracle_vs_duckdb.sh [RECORDS] [RUNS]     # default 1000000 records, 5 runs
#
# 1. `joincheck simulate` writes a seeded trace for models/reference-impressions-clicks.toml;
# 2. `joincheck export-sql` writes the model's oracle as DuckDB SQL (docs/EXPORT-SQL.md) over that
#    file, once plain and once with the oracle's own rows as the actual output (an audit, as
#    `diff` does); the DuckDB rows are checked to be exactly `joincheck oracle`'s;
# 3. each command runs RUNS times, interleaved (A B C ... A B C ...), as a whole process under
#    /usr/bin/time; the medians and the ratios of medians are printed.
#
# DuckDB comes from tests/export_sql/duckdb-venv.sh, as in .ci/run.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/.." && pwd)
cd "$REPO"
RECORDS=${1:-1000000}
RUNS=${2:-5}
MODEL=models/reference-impressions-clicks.toml
WORK=target/bench-duckdb
PY=$(bash tests/export_sql/duckdb-venv.sh)
cargo build --release --quiet
B=target/release/joincheck
mkdir -p "$WORK"
TRACE="$WORK/sim-$RECORDS.jsonl"
[[ -s "$TRACE" ]] || "$B" simulate --model "$MODEL" --records "$RECORDS" --out "$TRACE" > /dev/null
echo "trace: $TRACE, $(wc -l < "$TRACE") lines, $(du -h "$TRACE" | cut -f1)"

# The rows, once: DuckDB's must be exactly joincheck's.
"$B" oracle --model "$MODEL" --trace "$TRACE" --stream > "$WORK/oracle.jsonl"
"$B" export-sql --model "$MODEL" --dialect duckdb --trace "$TRACE" > "$WORK/oracle.sql"
"$B" export-sql --model "$MODEL" --dialect duckdb --trace "$TRACE" --actual "$WORK/oracle.jsonl" > "$WORK/audit.sql"
"$PY" tests/export_sql/run_sql.py duckdb "$WORK/oracle.sql"
if ! cmp -s <(sort "$WORK/oracle.jsonl") <(sort "$WORK/oracle.sql.out"); then
    echo "DuckDB's rows differ from joincheck oracle's" >&2
    exit 1
fi
echo "rows: $(wc -l < "$WORK/oracle.jsonl"), the same from both"

# What each command does, timed: write every expected row (oracle), or compare (diff).
cat > "$WORK/duckdb_rows.py" <<'PY'
import sys, duckdb
sql, out = sys.argv[1], sys.argv[2]
body = "\n".join(l for l in open(sql).read().splitlines() if not l.startswith("--"))
stmts = [s.strip() for s in body.split(";\n") if s.strip()]
con = duckdb.connect()
for s in stmts[:-1]:
    con.execute(s)
if out == "audit":
    print(con.execute("SELECT count(*) FROM jc_audit").fetchone()[0])
else:
    con.execute(f"COPY (SELECT * FROM jc_expected) TO '{out}' (FORMAT JSON)")
PY
cat > "$WORK/json_loads.py" <<'PY'
import json, sys
n = 0
with open(sys.argv[1]) as f:
    for line in f:
        json.loads(line)
        n += 1
print(n)
PY
declare -a NAMES=(
    "joincheck oracle"
    "duckdb oracle"
    "joincheck diff"
    "duckdb audit"
    "python json.loads"
)
declare -a CMDS=(
    "$B oracle --model $MODEL --trace $TRACE --stream"
    "$PY $WORK/duckdb_rows.py $WORK/oracle.sql $WORK/duckdb.jsonl"
    "$B diff --model $MODEL --trace $TRACE --actual $WORK/oracle.jsonl --stream"
    "$PY $WORK/duckdb_rows.py $WORK/audit.sql audit"
    "python3 $WORK/json_loads.py $TRACE"
)
: > "$WORK/times.txt"
for run in $(seq "$RUNS"); do
    for i in "${!CMDS[@]}"; do
        # shellcheck disable=SC2086
        /usr/bin/time -f "$i %e %M" -a -o "$WORK/times.txt" ${CMDS[$i]} > /dev/null
    done
done
python3 - "$WORK/times.txt" "${NAMES[@]}" <<'PY'
import statistics, sys
path, names = sys.argv[1], sys.argv[2:]
runs = {i: [] for i in range(len(names))}
for line in open(path):
    parts = line.split()
    if len(parts) == 3 and parts[0].isdigit():
        runs[int(parts[0])].append((float(parts[1]), int(parts[2])))
med = {i: statistics.median(w for w, _ in r) for i, r in runs.items()}
mem = {i: max(m for _, m in r) // 1024 for i, r in runs.items()}
print(f"{'command':20} {'runs':>4} {'median wall':>12} {'max RSS':>9}")
for i, name in enumerate(names):
    print(f"{name:20} {len(runs[i]):4} {med[i]:11.2f}s {mem[i]:8}MB")
print(f"oracle vs DuckDB: {med[1] / med[0]:.2f}x (DuckDB time / joincheck time; >= 1 means joincheck is faster)")
print(f"diff vs DuckDB audit: {med[3] / med[2]:.2f}x")
print(f"oracle vs json.loads: {med[4] / med[0]:.2f}x")
PY
