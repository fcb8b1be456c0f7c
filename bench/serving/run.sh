#!/usr/bin/env bash
# Serving benchmark: Slipway vs FastAPI + uvicorn (1 worker) vs a Hummingbird hello-world ceiling,
# same model, same wrk settings, one run. Needs the test venv (scripts/test.sh creates it) and wrk.
set -euo pipefail
cd "$(dirname "$0")/../.."
[ -x .venv/bin/python ] || { python3 -m venv .venv && .venv/bin/pip install -q -r tests/python/requirements.txt; }
.venv/bin/pip install -q -r bench/serving/requirements.txt
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk; }
swift build -c release --product slipway
swift build -c release --product slipway-serving-ceiling
bin="$(swift build -c release --show-bin-path)"
exec .venv/bin/python bench/serving/bench_serving.py --slipway "$bin/slipway" --ceiling "$bin/slipway-serving-ceiling" "$@"
