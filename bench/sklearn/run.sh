#!/usr/bin/env bash
# scikit-learn benchmark: `mlflow models serve` vs Slipway native (skops) vs Slipway's Python worker
# pool vs the Hummingbird ceiling, same RandomForest and wrk settings; then batch prediction against
# scikit-learn and onnxruntime. Needs the test venv (scripts/test.sh creates it) and wrk.
set -euo pipefail
cd "$(dirname "$0")/../.."
[ -x .venv/bin/python ] || { python3 -m venv .venv && .venv/bin/pip install -q -r tests/python/requirements.txt; }
.venv/bin/pip install -q -r bench/sklearn/requirements.txt
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk; }
swift build -c release --product slipway
swift build -c release --product slipway-serving-ceiling
bin="$(swift build -c release --show-bin-path)"
exec .venv/bin/python bench/sklearn/bench_sklearn.py --slipway "$bin/slipway" --ceiling "$bin/slipway-serving-ceiling" "$@"
