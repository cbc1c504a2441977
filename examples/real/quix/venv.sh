#!/usr/bin/env bash
# Makes sure target/quix-venv has Quix Streams (PyPI quixstreams==3.28.1, about 131 MB) and
# prints its Python.
#
#   python="$(bash examples/real/quix/venv.sh)"
set -euo pipefail
cd "$(dirname "$0")/../../.."
venv=target/quix-venv
if ! "$venv/bin/python" -c "import quixstreams" 2>/dev/null; then
    python3 -m venv "$venv" >&2
    "$venv/bin/pip" install --quiet --disable-pip-version-check quixstreams==3.28.1 >&2
fi
echo "$PWD/$venv/bin/python"
