#!/usr/bin/env bash
# Makes sure target/quix-venv has Quix Streams (PyPI quixstreams==3.28.1, about 131 MB) and
# prints its Python.
#
#   python="$(bash examples/real/quix/venv.sh)"
set -euo pipefail
exec bash "$(dirname "$0")/../../../tests/support/pyvenv.sh" target/quix-venv quixstreams quixstreams==3.28.1
