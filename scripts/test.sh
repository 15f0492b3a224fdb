#!/usr/bin/env bash
# Install rhizo with every extra into .venv, start a throw-away PostgreSQL on
# loopback, then run lint, type checks, the layer contract and every test.
# This is the README's test command and exactly what .ci/run runs.
set -euo pipefail
cd "$(dirname "$0")/.."

python3 -m venv .venv
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e ".[web,postgres,dev,dist]"

# PostgreSQL for the `postgres`-marked tests: sets RHIZO_TEST_POSTGRES_URL.
# shellcheck source=scripts/postgres.sh
source scripts/postgres.sh

# Debian's Chromium for the `browser`-marked tests in tests/e2e: sets RHIZO_CHROMIUM.
# shellcheck source=scripts/chromium.sh
source scripts/chromium.sh

# Debian's Pango for the PDF documents (WeasyPrint): sets RHIZO_PANGO.
# shellcheck source=scripts/pango.sh
source scripts/pango.sh

echo "== ruff";  .venv/bin/ruff check src tests benchmarks examples scripts
echo "== ruff format"; .venv/bin/ruff format --check src tests benchmarks examples scripts
echo "== mypy";  .venv/bin/mypy
echo "== layers"; .venv/bin/lint-imports

echo "== pytest (all but browser)"
.venv/bin/python -m pytest -m "not browser" --ignore=tests/e2e

# Playwright's sync driver runs its own event loop: the browser tests get their own process.
if [ "$RHIZO_CHROMIUM" = "1" ]; then
  echo "== pytest (browser, own invocation)"
  .venv/bin/python -m pytest -m browser tests/e2e
else
  echo "== pytest (browser) SKIPPED: no Chromium at /usr/bin/chromium (see 'chromium:' above)"
fi
