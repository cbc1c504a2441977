#!/usr/bin/env bash
# Makes sure target/duckdb-venv has DuckDB (PyPI duckdb==2.0.1, about 70 MB) and prints its
# Python: what tests/export_sql (JOINCHECK_DUCKDB_PYTHON) and benches/oracle_vs_duckdb.sh run.
#
#   export JOINCHECK_DUCKDB_PYTHON="$(bash tests/export_sql/duckdb-venv.sh)"
set -euo pipefail
cd "$(dirname "$0")/../.."
venv=target/duckdb-venv
if ! "$venv/bin/python" -c "import duckdb" 2>/dev/null; then
    python3 -m venv "$venv" >&2
    "$venv/bin/pip" install --quiet --disable-pip-version-check duckdb==2.0.1 >&2
fi
echo "$PWD/$venv/bin/python"
