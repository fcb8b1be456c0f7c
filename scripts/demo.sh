#!/usr/bin/env bash
# The end-to-end demo on the embedded default (SQLite + local artifacts in a temporary directory):
# train two XGBoost models with the unmodified MLflow client, register them, serve `demo@production`
# natively, predict over HTTP, move the alias, and watch the server swap versions.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x .venv/bin/python ] || { python3 -m venv .venv && .venv/bin/pip install -q -r tests/python/requirements.txt; }
swift build --product slipway
data="$(mktemp -d)"; port="${PORT:-5055}"; url="http://127.0.0.1:$port"
.build/debug/slipway server --port "$port" --data-dir "$data" --model demo@production > "$data/server.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null || true' EXIT
until curl -sf "$url/health" >/dev/null; do sleep 0.2; done
echo "== slipway server on $url (data in $data), serving demo@production"
MLFLOW_TRACKING_URI="$url" .venv/bin/python - <<'PY'
import json, time, urllib.error, urllib.request
import mlflow, numpy as np, pandas as pd, xgboost as xgb
rng = np.random.default_rng(0)
X = pd.DataFrame(rng.normal(size=(500, 4)), columns=["rain_mm", "temp_c", "wind_ms", "humidity"])
y = 3 * X.rain_mm + X.humidity + rng.normal(scale=0.1, size=500)
mlflow.set_experiment("demo")
versions = []
for depth in (2, 5):
    with mlflow.start_run():
        booster = xgb.train({"objective": "reg:squarederror", "max_depth": depth}, xgb.DMatrix(X, label=y), 50)
        rmse = float(np.sqrt(np.mean((booster.inplace_predict(X) - y) ** 2)))
        mlflow.log_params({"max_depth": depth}); mlflow.log_metric("rmse", rmse)
        info = mlflow.xgboost.log_model(booster, name="model", registered_model_name="demo", input_example=X.head(2))
        versions.append(info.registered_model_version)
        print(f"logged version {info.registered_model_version}: max_depth={depth} rmse={rmse:.4f}")
client = mlflow.MlflowClient()
url = mlflow.get_tracking_uri()
row = json.dumps({"rain_mm": 1.2, "temp_c": 20.0, "wind_ms": 3.0, "humidity": 0.4}).encode()
def predict():
    request = urllib.request.Request(url + "/models/demo/predict", data=row, headers={"Content-Type": "application/json"})
    try:
        return json.load(urllib.request.urlopen(request))
    except urllib.error.HTTPError as error:  # 503 until the first version is loaded
        return {"version": None, "status": error.code}
for version in versions:
    client.set_registered_model_alias("demo", "production", version)
    start = time.monotonic()
    while predict()["version"] != str(version):
        time.sleep(0.01)
    print(f"production -> v{version}: served after {1000 * (time.monotonic() - start):.0f} ms: {predict()}")
print(json.dumps(json.load(urllib.request.urlopen(url + "/models/demo")), indent=1))
PY
