#!/usr/bin/env bash
# Makes sure target/duckdb-venv has DuckDB (PyPI duckdb==2.0.1, about 70 MB) and prints its
# Python: what tests/export_sql (JOINCHECK_DUCKDB_PYTHON) and benches/oracle_vs_duckdb.sh run.
#
#   export JOINCHECK_DUCKDB_PYTHON="$(bash tests/export_sql/duckdb-venv.sh)"
set -euo pipefail
exec bash "$(dirname "$0")/../support/pyvenv.sh" target/duckdb-venv duckdb duckdb==2.0.1
