#!/usr/bin/env bash
# Runs Slipway's whole test suite on a fresh machine:
#   1. installs the pinned Python test tools (mlflow, scikit-learn, xgboost, pytest) into .venv, and
#      evidently (the drift reference, which needs pandas < 3) into .venv-evidently;
#   2. starts a throwaway PostgreSQL on loopback in a temporary directory (as a non-root user);
#   3. builds and runs the Swift tests (store suite on SQLite in memory and on PostgreSQL);
#   4. runs the end-to-end pytest suite: the real mlflow client against a real `slipway server`,
#      on SQLite and on PostgreSQL, `slipway serve` replicas, promtool (Debian's prometheus
#      package, installed if missing) on /metrics, and the dashboard in Debian's chromium (installed
#      if missing) driven by Playwright; screenshots go to test-output/screenshots.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }

step "Python test tools (.venv)"
if [ ! -x .venv/bin/python ]; then
    python3 -m venv .venv
fi
if ! cmp -s tests/python/requirements.txt .venv/.installed-requirements 2>/dev/null; then
    .venv/bin/pip install --quiet --disable-pip-version-check -r tests/python/requirements.txt
    cp tests/python/requirements.txt .venv/.installed-requirements
fi

step "Evidently, the drift reference (.venv-evidently)"
if [ ! -x .venv-evidently/bin/python ]; then
    python3 -m venv .venv-evidently
fi
if ! cmp -s tests/python/requirements-evidently.txt .venv-evidently/.installed-requirements 2>/dev/null; then
    .venv-evidently/bin/pip install --quiet --disable-pip-version-check -r tests/python/requirements-evidently.txt
    cp tests/python/requirements-evidently.txt .venv-evidently/.installed-requirements
fi

step "PostgreSQL on loopback"
if ! command -v psql >/dev/null || ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
fi
eval "$(scripts/postgres.sh start)"
trap 'scripts/postgres.sh stop "$SLIPWAY_PG_DIR"' EXIT
echo "PostgreSQL at ${SLIPWAY_TEST_POSTGRES_URL}"

step "promtool (checks /metrics)"
if ! command -v promtool >/dev/null; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus >/dev/null
fi

step "nginx (the multi-server deployment test)"
if ! command -v nginx >/dev/null && [ ! -x /usr/sbin/nginx ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nginx-light >/dev/null
fi

step "chromium (the dashboard's browser tests)"
if ! command -v chromium >/dev/null; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null
fi

step "Swift build"
swift build --build-tests

step "Swift tests (SQLite and PostgreSQL)"
swift test --skip-build

step "End-to-end tests with the mlflow client (SQLite and PostgreSQL)"
SLIPWAY_BIN="$(swift build --show-bin-path)/slipway" .venv/bin/python -m pytest tests/python -q -p no:cacheprovider
