"""Batch predictions into a database table, whole process, file in to table out:
`slipway predict --model NAME@production --input in.csv --id row_id --output-table t --output-url sqlite:F`
against what a Python user writes (pandas `read_csv`, xgboost's `inplace_predict` on all cores, a
frame of id, model, version, prediction, predicted_at, job_run, `to_sql` appending to a table of the
same SQLite file, through a `sqlite3` connection and through a SQLAlchemy engine). The model is logged by the mlflow client to a `slipway server` and promoted first;
both sides' tables are compared before any figure counts."""
import argparse
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import numpy as np
import pandas as pd
import requests
import xgboost as xgb

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "runtime"))
from bench_runtime import FEATURES, data, target  # noqa: E402  the runtime benchmark's rows and target

PANDAS_SIDE = textwrap.dedent("""
    import sqlite3, sys, time, pandas as pd, xgboost as xgb
    model, inp, database, connector, table = sys.argv[1:6]
    frame = pd.read_csv(inp)
    ids = frame.pop("row_id").astype(str)
    predictions = xgb.Booster(model_file=model).inplace_predict(frame)
    out = pd.DataFrame({"id": ids, "model": "bench", "version": 1, "prediction": predictions.astype("float64"),
                        "predicted_at": int(time.time() * 1000), "job_run": None})
    if connector == "sqlite3":
        with sqlite3.connect(database) as connection:
            out.to_sql(table, connection, if_exists="append", index=False)
    else:
        import sqlalchemy
        out.to_sql(table, sqlalchemy.create_engine("sqlite:///" + database), if_exists="append", index=False)
""")


def timed(command, env=None):
    """Wall seconds and max RSS (MiB) of one command."""
    result = subprocess.run(["/usr/bin/time", "-f", "%e %M", *command], capture_output=True, text=True, env=env)
    if result.returncode != 0:
        sys.exit(f"{command[0]} failed: {result.stderr[-2000:]}")
    seconds, kib = result.stderr.strip().splitlines()[-1].split()
    return float(seconds), int(kib) / 1024


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def register(slipway, data_dir, booster_path, names):
    """Logs the model with the mlflow client to a slipway server on `data_dir` and points production at it."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    server = subprocess.Popen([slipway, "server", "--port", str(port), "--data-dir", data_dir],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(600):
            try:
                if requests.get(url + "/health", timeout=1).status_code == 200:
                    break
            except requests.ConnectionError:
                time.sleep(0.05)
        os.environ.update(MLFLOW_DISABLE_TELEMETRY="true", MLFLOW_SUPPRESS_PRINTING_URL_TO_STDOUT="true")
        import mlflow
        mlflow.set_tracking_uri(url)
        mlflow.set_registry_uri(url)
        booster = xgb.Booster(model_file=booster_path)
        booster.feature_names = names
        with mlflow.start_run():
            mlflow.xgboost.log_model(booster, name="model", registered_model_name="bench")
        mlflow.MlflowClient().set_registered_model_alias("bench", "production", "1")
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--slipway", required=True)
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    names = [f"f{i}" for i in range(FEATURES)]
    train = data(rng, 20_000)
    work = Path(tempfile.mkdtemp(prefix="slipway-table-bench-"))
    try:
        booster = xgb.train({"objective": "reg:squarederror", "max_depth": 6, "eta": 0.1, "seed": 1},
                            xgb.DMatrix(train, label=target(train), feature_names=names), num_boost_round=200)
        booster.save_model(str(work / "xgb.json"))
        register(args.slipway, str(work / "data"), str(work / "xgb.json"), names)
        inp = work / "in.csv"
        with open(inp, "w") as out:
            out.write(",".join(["row_id"] + names) + "\n")
            for start in range(0, args.rows, 200_000):
                n = min(200_000, args.rows - start)
                block = pd.DataFrame(data(rng, n), columns=names)
                block.insert(0, "row_id", np.arange(start, start + n))
                block.to_csv(out, index=False, header=False)
        script = work / "pandas_side.py"
        script.write_text(PANDAS_SIDE)
        database = work / "predictions.db"
        print(f"{args.rows} rows x {FEATURES} features ({inp.stat().st_size / 2**20:.0f} MiB CSV) into one SQLite file, "
              "XGBoost 200 trees depth 6, 2 cores, whole process")
        theirs = timed([sys.executable, str(script), str(work / "xgb.json"), str(inp), str(database), "sqlite3", "pandas_predictions"])
        engine = timed([sys.executable, str(script), str(work / "xgb.json"), str(inp), str(database), "sqlalchemy", "engine_predictions"])
        ours = timed([args.slipway, "predict", "--data-dir", str(work / "data"), "--model", "bench@production", "--input", str(inp),
                       "--id", "row_id", "--output-table", "slipway_predictions", "--output-url", f"sqlite:{database}"])
        with sqlite3.connect(database) as connection:
            a = pd.read_sql("SELECT id, prediction FROM pandas_predictions ORDER BY CAST(id AS INTEGER)", connection)
            b = pd.read_sql("SELECT id, prediction FROM slipway_predictions ORDER BY CAST(id AS INTEGER)", connection)
        assert len(a) == len(b) == args.rows and (a.id.astype(str).to_numpy() == b.id.to_numpy()).all()
        np.testing.assert_allclose(b.prediction, a.prediction, rtol=1e-5, atol=1e-6)
        print(f"{'command':44} {'seconds':>8} {'max RSS MiB':>12} {'slipway is':>11}")
        print(f"{'slipway predict --output-table':44} {ours[0]:8.2f} {ours[1]:12.0f}")
        print(f"{'pandas + xgboost + to_sql (sqlite3)':44} {theirs[0]:8.2f} {theirs[1]:12.0f} {theirs[0] / ours[0]:10.2f}x")
        print(f"{'pandas + xgboost + to_sql (SQLAlchemy)':44} {engine[0]:8.2f} {engine[1]:12.0f} {engine[0] / ours[0]:10.2f}x")
    finally:
        shutil.rmtree(work)


if __name__ == "__main__":
    main()
