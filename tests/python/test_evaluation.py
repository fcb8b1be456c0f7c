"""Standardized evaluation: datasets stored by content, versions scored natively on them with the
standard metrics (equal to scikit-learn's), stored and logged on the run; and a promotion policy
that compares every version on the same dataset version."""
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import requests
import xgboost as xgb
from sklearn import metrics as skm

from conftest import BACKENDS, SlipwayServer, use_mlflow

FEATURES = ["a", "b", "c", "d"]


@pytest.fixture(scope="module", params=BACKENDS)
def server(request):
    s = SlipwayServer(request.param).start()
    yield s
    s.stop()


@pytest.fixture(autouse=True)
def mlflow_on(server):
    use_mlflow(server.url, "evaluation")


def data(n, seed, task):
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(rng.normal(size=(n, 4)), columns=FEATURES)
    X.iloc[::17, 2] = np.nan
    signal = X.a * 2 - X.b + 0.5 * X.d.fillna(0)
    if task == "regression":
        y = 10 + signal + rng.normal(scale=0.5, size=n)
    elif task == "binary":
        y = (signal + rng.normal(scale=1.0, size=n) > 0).astype(int)
    else:
        y = np.digitize(signal + rng.normal(scale=0.7, size=n), [-1.0, 1.0])
    return X, pd.Series(y, name="label")


def register(name, task, seed, rounds=30):
    import mlflow
    X, y = data(600, seed, task)
    params = {"regression": {"objective": "reg:squarederror"}, "binary": {"objective": "binary:logistic"},
              "multiclass": {"objective": "multi:softprob", "num_class": 3}}[task]
    booster = xgb.train({**params, "max_depth": 3, "seed": seed}, xgb.DMatrix(X, label=y), rounds)
    with mlflow.start_run() as run:
        info = mlflow.xgboost.log_model(booster, name="model", registered_model_name=name)
    return booster, int(info.registered_model_version), run.info.run_id


def write_csv(tmp_path, name, X, y):
    path = Path(tmp_path, name)
    frame = X.copy()
    frame["label"] = y
    frame.to_csv(path, index=False, float_format="%.17g")
    return path


def sklearn_scores(task, y, p):
    if task == "regression":
        return {"mae": skm.mean_absolute_error(y, p), "rmse": skm.root_mean_squared_error(y, p), "r2": skm.r2_score(y, p),
                "mape": skm.mean_absolute_percentage_error(y, p)}
    if task == "binary":
        labels = (p > 0.5).astype(int)
        return {"accuracy": skm.accuracy_score(y, labels), "precision": skm.precision_score(y, labels), "recall": skm.recall_score(y, labels),
                "f1": skm.f1_score(y, labels), "log_loss": skm.log_loss(y, p), "roc_auc": skm.roc_auc_score(y, p)}
    labels = p.argmax(axis=1)
    return {"accuracy": skm.accuracy_score(y, labels), "precision": skm.precision_score(y, labels, average="macro", zero_division=0),
            "recall": skm.recall_score(y, labels, average="macro", zero_division=0), "f1": skm.f1_score(y, labels, average="macro", zero_division=0),
            "log_loss": skm.log_loss(y, p), "roc_auc": skm.roc_auc_score(y, p, multi_class="ovr", average="macro")}


@pytest.mark.parametrize("task", ["regression", "binary", "multiclass"])
def test_metrics_equal_sklearn(server, tmp_path, task):
    name = f"eval-{task}"
    booster, version, run_id = register(name, task, seed=1)
    X, y = data(400, 99, task)
    csv = write_csv(tmp_path, "holdout.csv", X, y)
    out = server.cli("datasets", "add", f"holdout-{task}", str(csv), "--target", "label").stdout
    assert f"holdout-{task}@1 added: 400 rows" in out
    result = json.loads(server.cli("evaluate", "--model", name, "--version", str(version), "--dataset", f"holdout-{task}", "--json").stdout)
    assert result["task"] == task and result["rows"] == 400
    expected = sklearn_scores(task, y.values, booster.predict(xgb.DMatrix(X)))
    assert set(result["metrics"]) == set(expected)
    for metric, value in expected.items():
        assert result["metrics"][metric] == pytest.approx(value, rel=1e-6, abs=1e-9), metric

    # Stored with the version, logged on its run, announced as an event.
    import mlflow
    run_metrics = mlflow.MlflowClient().get_run(run_id).data.metrics
    assert run_metrics[f"holdout-{task}_{next(iter(expected))}"] == pytest.approx(next(iter(expected.values())), rel=1e-6)
    stored = requests.get(f"{server.url}/api/v1/models/{name}/evaluations", params={"version": version}).json()["evaluations"]
    assert stored[0]["dataset"] == f"holdout-{task}" and stored[0]["dataset_version"] == "1" and stored[0]["dataset_digest"].startswith("sha256:")
    event = requests.get(f"{server.url}/api/v1/events", params={"type": "ml.evaluation.completed.v1", "subject": f"models/{name}/"}).json()["events"][0]
    assert event["data"]["dataset"] == f"holdout-{task}" and event["data"]["metrics"] == stored[0]["metrics"]


def test_datasets_are_versioned_by_content(server, tmp_path):
    X, y = data(50, 5, "regression")
    first = write_csv(tmp_path, "d.csv", X, y)
    assert "ds@1 added" in server.cli("datasets", "add", "ds", str(first), "--target", "label").stdout
    assert "ds@1 already stored" in server.cli("datasets", "add", "ds", str(first), "--target", "label").stdout
    second = write_csv(tmp_path, "d2.csv", X.iloc[:40], y.iloc[:40])
    r = requests.put(f"{server.url}/api/v1/datasets/ds", params={"target": "label"}, data=second.read_bytes())
    assert r.status_code == 201 and r.json()["dataset"]["version"] == "2" and r.json()["dataset"]["rows"] == 40
    listing = [d for d in requests.get(f"{server.url}/api/v1/datasets").json()["datasets"] if d["name"] == "ds"]
    assert [d["version"] for d in listing] == ["2", "1"] and listing[0]["columns"] == FEATURES
    bad = Path(tmp_path, "bad.csv")
    bad.write_text("a,label\n1,x\n")
    for args, message in [(["ds", str(first), "--target", "nope"], "no target column 'nope'"), (["ds", str(bad), "--target", "label"], "not a number"),
                          (["../x", str(first), "--target", "label"], "Dataset names")]:
        r = server.cli("datasets", "add", *args, check=False)
        assert r.returncode == 1 and message in r.stderr, (args, r.stderr)
    r = server.cli("evaluate", "--model", "nope", "--version", "1", "--dataset", "ds", check=False)
    assert r.returncode == 1 and "not found" in r.stderr.lower()
    r = server.cli("evaluate", "--model", "nope", "--version", "1", "--dataset", "ds@x", check=False)
    assert r.returncode == 1 and "NAME@VERSION" in r.stderr
    assert requests.put(f"{server.url}/api/v1/datasets/ds", data=b"a,b\n").status_code == 400


def test_policy_on_an_evaluation_dataset(server, tmp_path):
    """Neither version was evaluated: the promotion scores both on the same dataset version, and the
    better one (by RMSE on those rows) wins, whatever their runs logged."""
    import mlflow
    name = "eval-policy"
    weak, v1, _ = register(name, "regression", seed=2, rounds=2)
    strong, v2, _ = register(name, "regression", seed=3, rounds=40)
    X, y = data(300, 7, "regression")
    server.cli("datasets", "add", "policy-holdout", str(write_csv(tmp_path, "h.csv", X, y)), "--target", "label")
    out = server.cli("policy", "set", name, "--metric", "rmse", "--dataset", "policy-holdout").stdout
    assert "rmse on policy-holdout (newest), lower is better" in out
    decision = json.loads(server.cli("promote", name, "--json").stdout)["decision"]
    assert decision["action"] == "promote" and decision["challenger"] == str(v2), decision
    assert "policy-holdout@1 (300 rows" in decision["reasons"][0]
    expected = skm.root_mean_squared_error(y, strong.predict(xgb.DMatrix(X)))
    assert decision["challenger_value"] == pytest.approx(expected, rel=1e-6)
    evaluated = {e["version"] for e in requests.get(f"{server.url}/api/v1/models/{name}/evaluations").json()["evaluations"]}
    assert evaluated == {str(v1), str(v2)}
    assert mlflow.MlflowClient().get_model_version_by_alias(name, "production").version == str(v2)
    r = requests.put(f"{server.url}/api/v1/models/{name}/policy", json={"metric": "test_mae", "source": "evaluation", "dataset": "policy-holdout"})
    assert r.status_code == 400 and "standard metric" in r.json()["message"]
