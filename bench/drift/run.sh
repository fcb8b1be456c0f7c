#!/usr/bin/env bash
# Data drift: `slipway drift` against Evidently's data drift preset (its own venv) on the same CSV
# files, one run: a 100k-row reference against current windows of 100 columns (80 numerical, 20
# categorical). Arguments go to bench_drift.py (--rows, --evidently-rows).
set -euo pipefail
cd "$(dirname "$0")/../.."
[ -x .venv/bin/python ] || { python3 -m venv .venv && .venv/bin/pip install -q -r tests/python/requirements.txt; }
[ -x .venv-evidently/bin/python ] || { python3 -m venv .venv-evidently && .venv-evidently/bin/pip install -q -r tests/python/requirements-evidently.txt; }
swift build -c release --product slipway
exec .venv/bin/python bench/drift/bench_drift.py --slipway "$(swift build -c release --show-bin-path)/slipway" "$@"
