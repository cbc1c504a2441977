#!/usr/bin/env bash
# Makes sure target/pathway-venv has Pathway (PyPI pathway==0.33.0, about 1.6 GB: opt-in, not
# in .ci/run) and prints its Python.
#
#   python="$(bash examples/real/pathway/venv.sh)"
set -euo pipefail
exec bash "$(dirname "$0")/../../../tests/support/pyvenv.sh" target/pathway-venv pathway pathway==0.33.0
