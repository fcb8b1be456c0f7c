"""Training, as seed 001's 2 AM DAG: the last 30 days of features (never the held-out week),
an XGBoost model logged through the MLflow client to the server that runs this job
(MLFLOW_TRACKING_URI), registered as `bikes`. The promotion policy decides whether it ships."""
from pathlib import Path

import mlflow
import pandas as pd
import xgboost as xgb

from bikes import FEATURES

here = Path.cwd()
frame = pd.read_csv(here / "features.csv").dropna(subset=["rides"])
frame = frame[frame.rides >= 0]
# The held-out week (days 53 to 60 of the first 60) is what the policy scores on: never trained on.
cut = pd.Timestamp(frame.time.iloc[0]) + pd.Timedelta(days=53)
frame = frame[(pd.to_datetime(frame.time) < cut) | (pd.to_datetime(frame.time) >= cut + pd.Timedelta(days=7))].tail(30 * 24)
train, check = frame.iloc[:-48], frame.iloc[-48:]
mlflow.set_experiment("bikes")
with mlflow.start_run(run_name="daily-train"):
    params = {"objective": "reg:squarederror", "max_depth": 5, "eta": 0.1}
    booster = xgb.train(params, xgb.DMatrix(train[FEATURES], label=train.rides), 300)
    rmse = float(((booster.predict(xgb.DMatrix(check[FEATURES])) - check.rides) ** 2).mean() ** 0.5)
    mlflow.log_params({**params, "rounds": 300, "rows": len(train)})
    mlflow.log_metric("val_rmse", rmse)
    info = mlflow.xgboost.log_model(booster, name="model", registered_model_name="bikes", input_example=train[FEATURES].head(2),
                                    pip_requirements=[f"xgboost=={xgb.__version__}"])
print(f"trained bikes v{info.registered_model_version} on {len(train)} hours: validation rmse {rmse:.2f}")
