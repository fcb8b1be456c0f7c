#!/usr/bin/env bash
# Tracking ingest on PostgreSQL: one `slipway server`, two behind nginx, and `mlflow server` (the
# peer), each on a database of its own in one throwaway PostgreSQL, loaded by the same wrk script.
# Needs the test venv (scripts/test.sh creates it), wrk and nginx.
set -euo pipefail
cd "$(dirname "$0")/../.."
[ -x .venv/bin/python ] || { python3 -m venv .venv && .venv/bin/pip install -q -r tests/python/requirements.txt; }
.venv/bin/pip install -q -r bench/deploy/requirements.txt
swift build -c release --product slipway
eval "$(scripts/postgres.sh start)"
trap 'scripts/postgres.sh stop "$SLIPWAY_PG_DIR"' EXIT
.venv/bin/python bench/deploy/bench_ingest.py --slipway "$(swift build -c release --show-bin-path)/slipway" --postgres "$SLIPWAY_TEST_POSTGRES_URL" "$@"
