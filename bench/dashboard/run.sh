#!/usr/bin/env bash
# Dashboard benchmark: 100,000 runs in an MLflow server and in Slipway; time to the first 100 rows
# of the runs table in the same headless Chromium, and Slipway's server-side render times.
# Needs the test venv and Debian's chromium (scripts/test.sh installs both); builds Slipway in release mode.
set -euo pipefail
cd "$(dirname "$0")/../.."
[ -x .venv/bin/python ] || { python3 -m venv .venv && .venv/bin/pip install -q -r tests/python/requirements.txt; }
command -v chromium >/dev/null || { apt-get update -qq && apt-get install -y -qq chromium; }
swift build -c release --product slipway
exec .venv/bin/python bench/dashboard/bench_dashboard.py --slipway "$(swift build -c release --show-bin-path)/slipway" "$@"
