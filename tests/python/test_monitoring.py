"""Monitoring on the prediction record: actuals posted later (by request id or batch row id, the
latest value winning, unknown ids counted) and realized performance per window and version, equal
to scikit-learn's metrics on the joined rows."""
import csv

import numpy as np
import pandas as pd
import pytest
import requests
import xgboost as xgb
from sklearn import metrics

from conftest import BACKENDS, SlipwayServer, use_mlflow, wait_until
from serving_support import FEATURES, metric_samples, wait_for_version

REGRESSOR, CLASSIFIER = "perf", "perf-clf"
ALL_TIME = {"window": "3650d", "since": "1d"}  # one window around now


@pytest.fixture(scope="module", params=BACKENDS)
def server(request):
    s = SlipwayServer(request.param, ["--model", f"{REGRESSOR}@production", "--model", f"{CLASSIFIER}@production", "--model", "drifting@production"]).start()
    yield s
    s.stop()


def rows(n, seed):
    return pd.DataFrame(np.random.default_rng(seed).normal(size=(n, 4)), columns=FEATURES)


def log_and_promote(server, name, params, label):
    import mlflow
    use_mlflow(server.url, "monitoring")
    X = rows(400, 1)
    booster = xgb.train({**params, "max_depth": 3, "seed": 1}, xgb.DMatrix(X, label=label(X)), 15)
    with mlflow.start_run():
        info = mlflow.xgboost.log_model(booster, name="model", registered_model_name=name)
    version = int(info.registered_model_version)
    mlflow.MlflowClient().set_registered_model_alias(name, "production", str(version))
    wait_for_version(server.url, version, name, limit=30)
    return booster, version


def serve(server, name, frame, prefix, per_request=1):
    """Posts `frame` in requests of `per_request` rows with ids `<prefix>-<i>`; returns {row id: outputs}."""
    answered = {}
    with requests.Session() as session:
        for i, start in enumerate(range(0, len(frame), per_request)):
            part = frame.iloc[start:start + per_request]
            rid = f"{prefix}-{i}"
            records = part.astype(object).where(part.notna(), None).to_dict("records")  # missing values as null
            r = session.post(f"{server.url}/models/{name}/predict", json=records, headers={"X-Request-Id": rid}, timeout=10)
            assert r.status_code == 200, r.text
            for k, prediction in enumerate(r.json()["predictions"]):
                answered[rid if per_request == 1 else f"{rid}:{k + 1}"] = prediction
    return answered


def logged(server, name, count, prefix):
    """Waits until `count` requests of `name` whose ids start with `prefix` are in the log (the writer
    flushes in the background; the requests that waited for the version do not count)."""
    def enough():
        r = requests.get(f"{server.url}/api/v1/models/{name}/predictions", params={"kind": "served", "limit": 10_000}, timeout=10)
        return sum(p["id"].startswith(prefix) for p in r.json()["predictions"]) >= count
    wait_until(enough, timeout=30, message=f"{count} logged requests")


def post_actuals(server, name, actuals):
    r = requests.post(f"{server.url}/api/v1/models/{name}/actuals", json={"actuals": [{"id": k, "value": v} for k, v in actuals.items()]}, timeout=30)
    assert r.status_code == 200, r.text
    return r.json()


def performance(server, name, **params):
    r = requests.get(f"{server.url}/api/v1/models/{name}/performance", params={**ALL_TIME, **params}, timeout=30)
    assert r.status_code == 200, r.text
    return r.json()


def test_regression_served_and_batch_rows_joined_to_actuals(server, tmp_path):
    booster, version = log_and_promote(server, REGRESSOR, {"objective": "reg:squarederror"}, lambda X: X.f0 * 2 - X.f1)
    single = rows(300, 2)
    answered = serve(server, REGRESSOR, single, "one")
    answered |= serve(server, REGRESSOR, rows(40, 3), "two", per_request=2)
    logged(server, REGRESSOR, 300, "one-")
    logged(server, REGRESSOR, 20, "two-")

    rng = np.random.default_rng(4)
    truth = {rid: float(p) + rng.normal() for rid, p in answered.items()}
    labeled = {k: v for i, (k, v) in enumerate(truth.items()) if i % 5 != 0}  # 80% of them, rows of two-row requests among them
    assert any(":" in k for k in labeled)
    receipt = post_actuals(server, REGRESSOR, {**labeled, "nobody-1": 1.0, "nobody-2": 2.0})
    assert receipt["received"] == len(labeled) + 2
    assert receipt["unknown"] == 2 and set(receipt["unknown_ids"]) == {"nobody-1", "nobody-2"}
    assert receipt["matched"] == len(labeled)
    # A later value for the same id replaces the earlier one.
    first = next(iter(labeled))
    labeled[first] += 10
    assert post_actuals(server, REGRESSOR, {first: labeled[first]})["matched"] == 1

    # Batch predictions into Slipway's table, and their actuals from a CSV file through the CLI.
    batch = rows(200, 5)
    batch.insert(0, "row_id", [f"b{i:04d}" for i in range(200)])
    batch.to_csv(tmp_path / "batch.csv", index=False, float_format="%.17g")
    server.cli("predict", "--model", f"{REGRESSOR}@production", "--input", str(tmp_path / "batch.csv"), "--id", "row_id", "--output-table", "scored")
    batch_predictions = booster.predict(xgb.DMatrix(batch[FEATURES]))
    batch_truth = {f"b{i:04d}": float(p) - 0.5 + i % 3 for i, p in enumerate(batch_predictions) if i % 4 != 0}
    with open(tmp_path / "actuals.csv", "w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["row_id", "y"])
        writer.writerows(batch_truth.items())
    out = server.cli("actuals", "add", REGRESSOR, str(tmp_path / "actuals.csv"), "--id", "row_id", "--target", "y").stdout
    assert f"{len(batch_truth)} actuals, {len(batch_truth)} matched" in out

    predicted = {**answered, **{f"b{i:04d}": float(p) for i, p in enumerate(batch_predictions)}}
    joined = {**labeled, **batch_truth}
    y_true = np.array(list(joined.values()))
    y_pred = np.array([predicted[k] for k in joined])
    expected = {"rmse": metrics.root_mean_squared_error(y_true, y_pred), "mae": metrics.mean_absolute_error(y_true, y_pred),
                "r2": metrics.r2_score(y_true, y_pred), "mape": metrics.mean_absolute_percentage_error(y_true, y_pred)}
    for metric, value in expected.items():
        report = performance(server, REGRESSOR, metric=metric)
        [point] = report["points"]
        assert point["version"] == str(version) and point["labeled"] == len(joined)
        assert point["predictions"] >= len(predicted)  # and the requests that waited for the version
        assert point["value"] == pytest.approx(value, rel=1e-9), metric

    # The latest figures are gauges for alert rules.
    samples = metric_samples(requests.get(f"{server.url}/metrics", timeout=10).text)
    realized = {s[1]["metric"]: s[2] for s in samples if s[0] == "slipway_realized_metric" and s[1]["model"] == REGRESSOR}
    assert realized["mape"] == pytest.approx(expected["mape"], rel=1e-9) and realized["rmse"] == pytest.approx(expected["rmse"], rel=1e-9)
    [coverage] = [s[2] for s in samples if s[0] == "slipway_actuals_coverage" and s[1]["model"] == REGRESSOR]
    assert coverage == pytest.approx(len(joined) / [p for p in performance(server, REGRESSOR, metric="rmse")["points"]][0]["predictions"])

    out = server.cli("monitor", "performance", REGRESSOR, "--metric", "rmse", "--window", "3650d").stdout
    assert f"{expected['rmse']:.6g}" in out and str(len(joined)) in out
    assert performance(server, REGRESSOR, metric="rmse", since="2000-01-01", until="2000-01-02")["points"] == []


def test_binary_classification_metrics_equal_sklearn(server):
    _, version = log_and_promote(server, CLASSIFIER, {"objective": "binary:logistic"}, lambda X: (X.f0 + X.f2 > 0).astype(int))
    frame = rows(250, 7)
    answered = serve(server, CLASSIFIER, frame, "clf")
    logged(server, CLASSIFIER, 250, "clf-")
    labels = {rid: int(frame.f0.iloc[i] + frame.f2.iloc[i] + 0.3 * np.sin(i) > 0) for i, rid in enumerate(answered)}
    post_actuals(server, CLASSIFIER, labels)
    y = np.array(list(labels.values()))
    p = np.array([answered[k] for k in labels])
    expected = {"accuracy": metrics.accuracy_score(y, p > 0.5), "precision": metrics.precision_score(y, p > 0.5),
                "recall": metrics.recall_score(y, p > 0.5), "f1": metrics.f1_score(y, p > 0.5),
                "log_loss": metrics.log_loss(y, p), "roc_auc": metrics.roc_auc_score(y, p)}
    for metric, value in expected.items():
        [point] = performance(server, CLASSIFIER, metric=metric)["points"]
        assert point["version"] == str(version) and point["labeled"] == 250
        assert point["value"] == pytest.approx(value, rel=1e-9), metric
    # A label that is not a class index cannot be scored as one.
    post_actuals(server, CLASSIFIER, {"clf-0": 0.5})
    r = requests.get(f"{server.url}/api/v1/models/{CLASSIFIER}/performance", params={**ALL_TIME, "metric": "accuracy"}, timeout=10)
    assert r.status_code == 400 and "class indices" in r.json()["message"]


def test_bad_input_is_a_clear_error(server, tmp_path):
    url = f"{server.url}/api/v1/models/{REGRESSOR}"
    for body, message in [({}, "'actuals'"), ({"actuals": [{"id": "a"}]}, "'value' must be a number"),
                          ({"actuals": [{"id": "a", "value": "high"}]}, "'value' must be a number"),
                          ({"actuals": [{"value": 1}]}, "'id'")]:
        r = requests.post(f"{url}/actuals", json=body, timeout=10)
        assert r.status_code == 400 and r.json()["error_code"] == "INVALID_PARAMETER_VALUE" and message in r.json()["message"], r.text
    for params, message in [({"metric": "wrongness"}, "Unknown metric"), ({"metric": "rmse", "window": "soon"}, "'window'"),
                            ({}, "'metric' is required"), ({"metric": "rmse", "since": "yesterday-ish"}, "'since'")]:
        r = requests.get(f"{url}/performance", params=params, timeout=10)
        assert r.status_code == 400 and message in r.json()["message"], r.text

    (tmp_path / "a.csv").write_text("row_id,y\nx1,1.5\nx2,high\n")
    result = server.cli("actuals", "add", REGRESSOR, str(tmp_path / "a.csv"), "--id", "row_id", "--target", "y", check=False)
    assert result.returncode == 1 and "row 3" in result.stderr, result.stderr
    result = server.cli("actuals", "add", REGRESSOR, str(tmp_path / "a.csv"), "--id", "row_id", "--target", "truth", check=False)
    assert result.returncode == 1 and "truth" in result.stderr, result.stderr
    result = server.cli("monitor", "performance", REGRESSOR, "--metric", "nope", check=False)
    assert result.returncode == 1 and "Unknown metric" in result.stderr, result.stderr


def test_served_rows_drift_against_a_dataset_like_evidently(server, tmp_path):
    """The rows a model served in a window against a stored dataset, plus its predictions as one
    more column: the same tests, verdicts and scores as Evidently on the same rows."""
    import json
    import subprocess
    from conftest import ROOT
    evidently = ROOT / ".venv-evidently" / "bin" / "python"
    if not evidently.exists():
        pytest.skip("scripts/test.sh installs Evidently into .venv-evidently")
    name = "drifting"
    booster, version = log_and_promote(server, name, {"objective": "reg:squarederror"}, lambda X: X.f0 * 2 - X.f1)
    holdout = rows(1500, 8)
    holdout["y"] = holdout.f0 * 2 - holdout.f1
    holdout.to_csv(tmp_path / "holdout.csv", index=False)
    server.cli("datasets", "add", "drift-holdout", str(tmp_path / "holdout.csv"), "--target", "y")

    served = rows(400, 9)
    served["f0"] += 0.8  # moved
    served.loc[::7, "f2"] = np.nan  # missing in some requests
    import time
    start = int(time.time() * 1000)  # after the request that waited for the version
    answered = serve(server, name, served, "drift")
    logged(server, name, 400, "drift-")

    r = requests.get(f"{server.url}/api/v1/models/{name}/drift", params={"reference": "drift-holdout@1", "since": str(start)}, timeout=60)
    assert r.status_code == 200, r.text
    report = r.json()
    assert report["version"] == str(version) and report["reference"] == "drift-holdout@1" and report["current_rows"] == 400
    ours = {c["column"]: c for c in report["columns"]}
    assert list(ours) == FEATURES + ["prediction"]

    reference = holdout[FEATURES].copy()
    reference["prediction"] = booster.predict(xgb.DMatrix(holdout[FEATURES]))
    current = served[FEATURES].copy()
    current["prediction"] = [answered[f"drift-{i}"] for i in range(400)]
    reference.to_csv(tmp_path / "reference.csv", index=False)
    current.to_csv(tmp_path / "current.csv", index=False)
    theirs = json.loads(subprocess.run([str(evidently), str(ROOT / "tests/python/evidently_drift.py"), str(tmp_path / "reference.csv"),
                                        str(tmp_path / "current.csv")], capture_output=True, text=True, check=True).stdout)
    for column, expected in theirs["columns"].items():
        got = ours[column]
        assert (got["method"], got["drifted"]) == (expected["method"], expected["drifted"]), (column, got, expected)
        assert got["score"] == pytest.approx(expected["score"], rel=1e-5, abs=1e-12), (column, got, expected)  # served predictions are float32
    assert ours["f0"]["drifted"] and report["drifted_columns"] == theirs["count"]

    samples = metric_samples(requests.get(f"{server.url}/metrics", timeout=10).text)
    assert [s[2] for s in samples if s[0] == "slipway_drift_share" and s[1]["model"] == name] == [pytest.approx(report["share"])]
    flags = {s[1]["feature"]: s[2] for s in samples if s[0] == "slipway_feature_drift" and s[1]["model"] == name}
    assert flags == {c: float(ours[c]["drifted"]) for c in ours}

    stored = requests.get(f"{server.url}/api/v1/models/{name}/drift/reports", timeout=10).json()["reports"]
    assert stored[0]["id"] == report["id"] and stored[0]["share"] == report["share"]
    out = server.cli("drift", name, "--reference", "drift-holdout@1", "--window", "1h").stdout
    assert "served rows in the last 1h against drift-holdout@1" in out and "f0" in out

    r = requests.get(f"{server.url}/api/v1/models/{name}/drift", params={"reference": "drift-holdout@1", "since": "2000-01-01", "until": "2000-01-02"}, timeout=10)
    assert r.status_code == 400 and "served no rows" in r.json()["message"]
    r = requests.get(f"{server.url}/api/v1/models/{name}/drift", params={"reference": "no-such-dataset@1"}, timeout=10)
    assert r.status_code in (400, 404) and "no-such-dataset" in r.json()["message"], r.text
    r = requests.get(f"{server.url}/api/v1/models/{name}/drift", params={"reference": "drift-holdout@1", "method": "vibes"}, timeout=10)
    assert r.status_code == 400 and "'method'" in r.json()["message"]
    # A reference dataset without one of the model's features: the error names it.
    holdout.drop(columns=["f3"]).to_csv(tmp_path / "partial.csv", index=False)
    server.cli("datasets", "add", "drift-partial", str(tmp_path / "partial.csv"), "--target", "y")
    r = requests.get(f"{server.url}/api/v1/models/{name}/drift", params={"reference": "drift-partial@1", "since": str(start)}, timeout=10)
    assert r.status_code == 400 and "f3" in r.json()["message"], r.text

    # A past window of the log as the reference: the shifted rows against unshifted ones served after them.
    middle = int(time.time() * 1000)
    serve(server, name, rows(400, 10), "after")
    logged(server, name, 400, "after-")
    window = {"reference": f"log:{start}..{middle}", "since": str(middle)}
    report = requests.get(f"{server.url}/api/v1/models/{name}/drift", params=window, timeout=60).json()
    assert report["reference"].startswith("log:") and report["reference_rows"] == 400 and report["current_rows"] >= 400, report
    by_column = {c["column"]: c for c in report["columns"]}
    assert by_column["f0"]["drifted"] and not by_column["f1"]["drifted"], by_column
    same = requests.get(f"{server.url}/api/v1/models/{name}/drift", params={"reference": f"log:{start}..{middle}", "since": str(start), "until": str(middle)},
                        timeout=60).json()
    assert same["drifted_columns"] == 0 and all(c["score"] == pytest.approx(1.0) for c in same["columns"] if c["method"] == "ks"), same
    for reference, message in [("log:", "log:SINCE..UNTIL"), (f"log:{middle}..{start}", "ends before it starts"), ("log:2000-01-01..2000-01-02", "no served rows"),
                               ("log:99999999999999999d..", "before 1970")]:
        r = requests.get(f"{server.url}/api/v1/models/{name}/drift", params={"reference": reference}, timeout=10)
        assert r.status_code == 400 and message in r.json()["message"], (reference, r.text)


def test_documented_alert_rules_are_valid():
    import shutil
    import subprocess
    from conftest import ROOT
    if not shutil.which("promtool"):
        pytest.skip("scripts/test.sh installs promtool")
    check = subprocess.run(["promtool", "check", "rules", str(ROOT / "docs/prometheus/alerts.yml")], capture_output=True, text=True)
    assert check.returncode == 0 and "SUCCESS: 8 rules found" in check.stdout, check.stdout + check.stderr
