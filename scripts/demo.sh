#!/usr/bin/env bash
# Seed 001's bike-demand workflow on the embedded default (SQLite and local artifacts in a
# temporary directory), fast-forwarded: a pipeline file declares ingestion, validation, training,
# promotion, predictions and retraining (demo/bikes/pipeline.yaml); the demo runs the steps that
# would wait for the clock, and Slipway's scheduler does the rest: validation after ingestion,
# promotion after training, a broken feed stopping training, a drifted week detected in what the
# server served and the retraining it starts. It ends with the dashboard's URL.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x .venv/bin/python ] || { python3 -m venv .venv && .venv/bin/pip install -q -r tests/python/requirements.txt; }
swift build --product slipway
slipway="$PWD/.build/debug/slipway"
export PATH="$PWD/.venv/bin:$PATH"   # the jobs' `python`
data="$(mktemp -d)"; port="${PORT:-5055}"; url="http://127.0.0.1:$port"
cp -r demo/bikes "$data/bikes"
$slipway server --port "$port" --data-dir "$data" --model bikes@production --job-heartbeat-ms 500 > "$data/server.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null || true' EXIT
until curl -sf "$url/health" >/dev/null; do sleep 0.2; done
s() { "$slipway" "$@" --data-dir "$data"; }
run() { "$slipway" jobs run "$1" --server "$url"; }   # the server runs it, as its scheduler would
step() { printf '\n== %s\n' "$*"; }
runs() { curl -s "$url/api/v1/jobs/$1/runs" | python -c 'import json,sys; print(len([r for r in json.load(sys.stdin)["runs"] if r["status"] != "running"]))'; }
cat > "$data/last-run.py" <<'PY'
import json, sys
run = json.load(sys.stdin)["runs"][0]
print(f"{run['job']}: {run['status']} ({run['trigger']}, {run['duration_ms']} ms)")
print("  " + run["output"].strip().replace("\n", "\n  ")[:1500])
PY
# waits until JOB has N finished runs (the scheduler starts it), then prints its last one
waitfor() {
    local job=$1 count=$2
    for _ in $(seq 600); do [ "$(runs "$job")" -ge "$count" ] && break; sleep 0.1; done
    curl -s "$url/api/v1/jobs/$job/runs?max_results=1" | python "$data/last-run.py"
}

step "slipway server on $url, data in $data; the pipeline file"
s pipelines apply "$data/bikes/pipeline.yaml"

step "Ingestion (every 15 minutes; run now): 60 days of hourly rides and weather; validation runs after it"
run ingest
waitfor validate 1

step "The held-out week, the model's name, and its policy: RMSE on those rows, at least 5% better than production"
s datasets add holdout "$data/bikes/holdout.csv" --target rides
curl -sf "$url/api/2.0/mlflow/registered-models/create" -d '{"name": "bikes", "description": "Hourly bike demand"}' >/dev/null
s policy set bikes --metric rmse --dataset holdout

step "2 AM New York time (run now): training through the MLflow client; promotion runs after it"
run train
waitfor promote 1
s models list

step "Predictions (every 15 minutes; run now): tomorrow's demand from the weather forecast, into the table 'forecasts'"
run predict
s predictions list bikes --kind batch --limit 5

step "A broken feed: validation fails, and training, which requires it, refuses to run"
touch "$data/bikes/broken-feed"
run ingest
waitfor validate 2
run train || true

step "A heat wave with storms: a good feed again, then a week of serving far from the held-out weather"
touch "$data/bikes/heat-wave"
run ingest
waitfor validate 3
python - "$url" "$data/bikes/batch.csv" <<'PY'
import sys, pandas as pd, requests
url, batch = sys.argv[1], pd.read_csv(sys.argv[2])
rows = batch[["hour", "weekday", "temp_c", "rain_mm", "wind_ms", "humidity"]].to_dict(orient="records")
answer = requests.post(f"{url}/models/bikes/predict", json={"instances": rows}, timeout=30).json()
print(f"served {len(rows)} hours of the heat wave with v{answer['version']}")
PY
s monitor set bikes --rule bikes-drift --reference holdout --drift-share 0.5 --window 1d --min-rows 50

step "The monitoring check (a monitor job would run it on a schedule): drift, so the retraining job starts on its own"
s monitor check bikes-drift || true
waitfor retrain 1
waitfor promote-retrained 1

step "The pipeline, each step with its last run"
s pipelines show bikes
step "The audit log"
s models history bikes

step "Dashboard: $url/   (jobs: $url/ui/jobs)"
if [ -t 0 ]; then read -r -p "Press Enter to stop the server. " _; fi
