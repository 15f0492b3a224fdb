#!/usr/bin/env bash
# Install rhizo with every extra into .venv, start a throw-away PostgreSQL on
# loopback, then run lint, type checks, the layer contract and every test.
# This is the README's test command and exactly what .ci/run runs.
set -euo pipefail
cd "$(dirname "$0")/.."

python3 -m venv .venv
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e ".[web,postgres,dev]"

# PostgreSQL for the `postgres`-marked tests: sets RHIZO_TEST_POSTGRES_URL.
# shellcheck source=scripts/postgres.sh
source scripts/postgres.sh

echo "== ruff";  .venv/bin/ruff check src tests benchmarks examples scripts
echo "== mypy";  .venv/bin/mypy
echo "== layers"; .venv/bin/lint-imports

echo "== pytest (all but browser)"
.venv/bin/python -m pytest -m "not browser"

if [ -d tests/e2e ]; then
  echo "== pytest (browser, own invocation)"
  .venv/bin/python -m pytest -m browser tests/e2e
fi
