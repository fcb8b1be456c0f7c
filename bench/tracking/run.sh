#!/usr/bin/env bash
# Tracking benchmark: MLflow server vs Slipway server, same client script, one run.
# Needs the test venv (scripts/test.sh creates it) and builds Slipway in release mode.
set -euo pipefail
cd "$(dirname "$0")/../.."
[ -x .venv/bin/python ] || { python3 -m venv .venv && .venv/bin/pip install -q -r tests/python/requirements.txt; }
swift build -c release --product slipway
exec .venv/bin/python bench/tracking/bench_tracking.py --slipway "$(swift build -c release --show-bin-path)/slipway" "$@"
