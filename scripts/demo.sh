#!/usr/bin/env bash
# The end-to-end demo on the embedded default (SQLite + local artifacts in a temporary directory):
# train XGBoost models with the unmodified MLflow client, store a held-out dataset, let a promotion
# policy pick production by RMSE on those rows, serve `demo@production` natively while the policy
# promotes a better model and a rollback brings the old one back, and show the audit log, the
# events and the metrics.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x .venv/bin/python ] || { python3 -m venv .venv && .venv/bin/pip install -q -r tests/python/requirements.txt; }
swift build --product slipway
slipway=.build/debug/slipway
data="$(mktemp -d)"; port="${PORT:-5055}"; url="http://127.0.0.1:$port"
$slipway server --port "$port" --data-dir "$data" --model demo@production > "$data/server.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null || true' EXIT
until curl -sf "$url/health" >/dev/null; do sleep 0.2; done
step() { printf '\n== %s\n' "$*"; }
train() {  # train ROUNDS DEPTH: logs a run with a model registered as `demo`
    MLFLOW_TRACKING_URI="$url" DATA="$data" .venv/bin/python - "$@" <<'PY'
import os, sys
import mlflow, numpy as np, pandas as pd, xgboost as xgb
rounds, depth = int(sys.argv[1]), int(sys.argv[2])
rng = np.random.default_rng(0)
X = pd.DataFrame(rng.normal(size=(2000, 4)), columns=["rain_mm", "temp_c", "wind_ms", "humidity"])
y = 3 * X.rain_mm + X.humidity * X.temp_c + rng.normal(scale=0.3, size=2000)
train, holdout = slice(0, 1500), slice(1500, 2000)
X.iloc[holdout].assign(y=y.iloc[holdout]).to_csv(os.path.join(os.environ["DATA"], "holdout.csv"), index=False)
mlflow.set_experiment("demo")
with mlflow.start_run():
    booster = xgb.train({"objective": "reg:squarederror", "max_depth": depth}, xgb.DMatrix(X.iloc[train], label=y.iloc[train]), rounds)
    mlflow.log_params({"rounds": rounds, "max_depth": depth})
    info = mlflow.xgboost.log_model(booster, name="model", registered_model_name="demo", input_example=X.head(2))
print(f"logged demo v{info.registered_model_version}: {rounds} rounds, max_depth {depth}")
PY
}
served() {  # served VERSION: waits until /models/demo/predict answers with that version
    local start answer
    start=$(date +%s%N)
    while :; do
        answer=$(curl -s "$url/models/demo/predict" -d '{"rain_mm": 1.2, "temp_c": 20, "wind_ms": 3, "humidity": 0.4}')
        [[ "$answer" == *"\"version\":\"$1\""* ]] && break
        sleep 0.01
    done
    echo "serving v$1, $(( ($(date +%s%N) - start) / 1000000 )) ms after the command returned: $answer"
}

step "slipway server on $url (data in $data), serving demo@production"
train 5 2
train 15 2
step "A held-out dataset, and a policy: RMSE on those rows, lower is better, at least 5% better than production"
$slipway datasets add holdout "$data/holdout.csv" --target y --data-dir "$data"
$slipway policy set demo --metric rmse --dataset holdout --data-dir "$data"
step "slipway promote demo: no production yet, so the best version wins"
$slipway promote demo --data-dir "$data"
served 2
step "A better model arrives; the policy compares it with production on the same rows"
train 200 4
$slipway promote demo --data-dir "$data"
served 3
step "Another one, about as good: not better by 5%, so it is staged and production stays"
train 220 4
$slipway promote demo --data-dir "$data"
step "Something is wrong with v3? One command puts v2 back"
$slipway rollback demo --data-dir "$data"
served 2
step "The audit log"
$slipway models history demo --data-dir "$data"
step "Events (CloudEvents; register a webhook at /api/v1/webhooks to receive them, signed)"
curl -s "$url/api/v1/events?subject=models/demo/" | .venv/bin/python -c 'import json,sys; [print(e["time"], e["type"], e["subject"]) for e in json.load(sys.stdin)["events"]]'
step "Serving status and metrics"
curl -s "$url/models/demo" | .venv/bin/python -m json.tool
curl -s "$url/metrics" | grep -E '^slipway_(served_model_info|predictions_total|model_reloads_total)'
