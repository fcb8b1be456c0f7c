#!/usr/bin/env bash
# Batch predictions into a SQLite table: `slipway predict --model NAME@production --output-table`
# against pandas `read_csv` + xgboost + `to_sql` into the same SQLite file, one run.
# Arguments go to bench_table.py (--rows).
set -euo pipefail
cd "$(dirname "$0")/../.."
[ -x .venv/bin/python ] || { python3 -m venv .venv && .venv/bin/pip install -q -r tests/python/requirements.txt; }
swift build -c release --product slipway
exec .venv/bin/python bench/predictions/bench_table.py --slipway "$(swift build -c release --show-bin-path)/slipway" "$@"
