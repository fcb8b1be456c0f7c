#!/usr/bin/env bash
# Runtime benchmark: Slipway's native XGBoost/LightGBM evaluation vs xgboost inplace_predict and
# lightgbm predict, in one run. Needs the test venv (scripts/test.sh creates it).
set -euo pipefail
cd "$(dirname "$0")/../.."
[ -x .venv/bin/python ] || { python3 -m venv .venv && .venv/bin/pip install -q -r tests/python/requirements.txt; }
.venv/bin/pip install -q -r bench/runtime/requirements.txt
swift build -c release --product slipway-runtime-bench
exec .venv/bin/python bench/runtime/bench_runtime.py --slipway-bench "$(swift build -c release --show-bin-path)/slipway-runtime-bench" "$@"
