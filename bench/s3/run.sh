#!/usr/bin/env bash
# Artifact throughput on S3: the MLflow client uploading and downloading through `mlflow server
# --artifacts-destination s3://...` and through `slipway server --artifacts-destination s3://...`,
# both on the same moto S3 server, in one run. Needs the test venv (scripts/test.sh creates it).
set -euo pipefail
cd "$(dirname "$0")/../.."
[ -x .venv/bin/python ] || { python3 -m venv .venv && .venv/bin/pip install -q -r tests/python/requirements.txt; }
swift build -c release --product slipway
exec .venv/bin/python bench/s3/bench_s3.py --slipway "$(swift build -c release --show-bin-path)/slipway" "$@"
