#!/usr/bin/env bash
# Whole-process CSV scoring: `slipway predict` against pandas + xgboost / lightgbm / lleaves, one run.
# Arguments go to bench_scoring.py (--rows, --memory-rows, --digits).
set -euo pipefail
cd "$(dirname "$0")/../.."
[ -x .venv/bin/python ] || { python3 -m venv .venv && .venv/bin/pip install -q -r tests/python/requirements.txt; }
.venv/bin/pip install -q -r bench/runtime/requirements.txt
swift build -c release --product slipway
exec .venv/bin/python bench/runtime/bench_scoring.py --slipway "$(swift build -c release --show-bin-path)/slipway" "$@"
