#!/usr/bin/env bash
# Install paperfeed into ./.venv and serve it on its embedded default (SQLite under $PAPERFEED_HOME,
# default ~/.local/share/paperfeed) with the bundled sample of real arXiv papers, at http://127.0.0.1:8000.
# Extra arguments go to `paperfeed demo`, e.g. scripts/demo.sh --port 8080
set -euo pipefail
cd "$(dirname "$0")/.."
export PIP_DISABLE_PIP_VERSION_CHECK=1 OPENBLAS_NUM_THREADS=1
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/pip install -q -e .
exec .venv/bin/paperfeed demo "$@"
