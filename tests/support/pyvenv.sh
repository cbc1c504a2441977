#!/usr/bin/env bash
# Makes sure the Python venv at VENV (relative to the repository) can import MODULE, installing
# REQUIREMENT (pip's form, pinned) into a new venv if not, and prints the venv's Python. What
# the scripts that need a Python package call (DuckDB for export-sql, Quix Streams for drive).
#
#   bash tests/support/pyvenv.sh target/duckdb-venv duckdb duckdb==2.0.1
set -euo pipefail
venv="${1:?usage: pyvenv.sh VENV MODULE REQUIREMENT}"
module="${2:?usage: pyvenv.sh VENV MODULE REQUIREMENT}"
requirement="${3:?usage: pyvenv.sh VENV MODULE REQUIREMENT}"
cd "$(dirname "$0")/../.."
if ! "$venv/bin/python" -c "import $module" 2>/dev/null; then
    python3 -m venv "$venv" >&2
    "$venv/bin/pip" install --quiet --disable-pip-version-check "$requirement" >&2
fi
echo "$PWD/$venv/bin/python"
