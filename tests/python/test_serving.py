"""Serving with a real server on loopback: the server follows `served@production`, predictions equal
xgboost's own, alias flips are served within 1 s, a corrupt or incompatible version never replaces
the serving one, /ready, and 400s that name the bad feature."""
import subprocess
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import requests

from conftest import BACKENDS, SlipwayServer, use_mlflow
from serving_support import FEATURES, flip_under_load, log_version, metric_samples, served_version, train, wait_for_version


@pytest.fixture(scope="module", params=BACKENDS)
def serving(request):
    s = SlipwayServer(request.param, ["--model", "served@production", "--model", "other@champion", "--max-batch-rows", "50"]).start()
    yield s
    s.stop()


@pytest.fixture(autouse=True)
def mlflow_on(serving):
    use_mlflow(serving.url, "serving")


def test_ready_predict_flip_and_failed_versions(serving):
    from mlflow import MlflowClient
    client = MlflowClient()
    url = serving.url
    assert requests.get(f"{url}/ready").status_code == 503
    assert requests.post(f"{url}/models/served/predict", json=dict.fromkeys(FEATURES, 0)).status_code == 503
    assert requests.post(f"{url}/models/nope/predict", json={}).status_code == 404

    b1, b2 = train(1), train(2)
    v1, v2 = log_version("served", b1), log_version("served", b2)
    client.set_registered_model_alias("served", "production", v1)
    wait_for_version(url, v1)
    assert requests.get(f"{url}/ready").status_code == 503  # `other` has nothing yet

    rng = np.random.default_rng(9)
    rows = pd.DataFrame(rng.normal(size=(40, 4)), columns=FEATURES)
    rows.iloc[3, 2] = np.nan
    expected = b1.inplace_predict(rows)
    records = [{k: (None if np.isnan(v) else v) for k, v in row.items()} for row in rows.to_dict(orient="records")]
    split = {"columns": FEATURES, "data": [[None if np.isnan(v) else v for v in row] for row in rows.values.tolist()]}
    for path, body in [("predict", {"instances": records}), ("predict", {"instances": split["data"]}),
                       ("invocations", {"dataframe_split": split}), ("invocations", {"dataframe_records": records}),
                       ("invocations", {"inputs": {c: [r[c] for r in records] for c in FEATURES}})]:
        r = requests.post(f"{url}/models/served/{path}", json=body)
        assert r.status_code == 200, r.text
        assert r.json()["version"] == str(v1) and r.headers["X-Slipway-Model-Version"] == str(v1)
        np.testing.assert_allclose(r.json()["predictions"], expected, rtol=1e-5, atol=1e-6)
    one = requests.post(f"{url}/predict", json=records[0]).json()  # the default model is the first --model
    np.testing.assert_allclose(one["predictions"], expected[:1], rtol=1e-5, atol=1e-6)

    info = requests.get(f"{url}/models/served").json()
    assert info["version"] == str(v1) and info["alias"] == "production" and info["digest"].startswith("sha256:")
    assert info["features"] == FEATURES and info["run_id"]
    listing = requests.get(f"{url}/models").json()["models"]
    assert [m["name"] for m in listing] == ["served", "other"] and listing[1]["version"] is None

    client.set_registered_model_alias("served", "production", v2)
    assert wait_for_version(url, v2) < 1.0
    np.testing.assert_allclose(requests.post(f"{url}/models/served/predict", json={"instances": records}).json()["predictions"],
                               b2.inplace_predict(rows), rtol=1e-5, atol=1e-6)

    # A version whose model file was changed on disk after upload: the digest check refuses it.
    v3 = log_version("served", train(3))
    uri = requests.get(f"{url}/api/2.0/mlflow/model-versions/get-download-uri", params={"name": "served", "version": v3}).json()["artifact_uri"]
    model_file = Path(serving.data_dir, "artifacts", uri.removeprefix("mlflow-artifacts:/"), "model.ubj")
    model_file.write_bytes(model_file.read_bytes()[:-10] + b"0123456789")
    client.set_registered_model_alias("served", "production", v3)
    time.sleep(1.2)
    assert served_version(url) == (200, str(v2))
    info = requests.get(f"{url}/models/served").json()
    assert info["version"] == str(v2) and info["last_failure"]["version"] == str(v3)
    assert "digest" in info["last_failure"]["message"], info

    # A version Slipway cannot serve natively (sklearn): refused, v2 stays.
    import mlflow
    from sklearn.linear_model import LinearRegression
    with mlflow.start_run():
        sk = mlflow.sklearn.log_model(LinearRegression().fit(rows.fillna(0), expected), name="model", registered_model_name="served")
    client.set_registered_model_alias("served", "production", int(sk.registered_model_version))
    time.sleep(1.2)
    assert served_version(url) == (200, str(v2))
    assert "flavor" in requests.get(f"{url}/models/served").json()["last_failure"]["message"]

    # Back to a good version: served again, failure cleared.
    client.set_registered_model_alias("served", "production", v1)
    wait_for_version(url, v1)
    assert "last_failure" not in requests.get(f"{url}/models/served").json()

    # Ready once every configured model has a version.
    client.set_registered_model_alias("other", "champion", log_version("other", train(4)))
    deadline = time.time() + 5
    while requests.get(f"{url}/ready").status_code != 200:
        assert time.time() < deadline
        time.sleep(0.05)


def test_events_record_swaps_and_failed_loads(serving):
    """After the test above: each swap and each refused version is in the event log as a CloudEvent."""
    url = serving.url
    failed = requests.get(f"{url}/api/v1/events", params={"type": "serving.load_failed", "subject": "models/served/"}).json()["events"]
    assert len(failed) >= 2  # the corrupt version and the sklearn one
    for event in failed:
        assert event["specversion"] == "1.0" and event["source"] == f"/slipway/server/127.0.0.1:{serving.port}"
        assert event["subject"] == f"models/served/versions/{event['data']['version']}" and event["time"].endswith("Z")
        assert event["data"]["model"] == "served" and event["data"]["serving_version"] is not None and event["data"]["error"]
    assert any("digest" in e["data"]["error"] for e in failed) and any("flavor" in e["data"]["error"] for e in failed)
    swapped = requests.get(f"{url}/api/v1/events", params={"type": "serving.swapped", "max_results": 2}).json()
    assert len(swapped["events"]) == 2 and swapped["next_page_token"]
    assert swapped["events"][0]["time"] >= swapped["events"][1]["time"]

    # Posting: serving.* CloudEvents only; anything malformed is a 400 that says why.
    good = {"specversion": "1.0", "id": "e-1", "source": "/test", "type": "serving.note", "subject": "models/x", "data": {"k": 1}}
    assert requests.post(f"{url}/api/v1/events", json=good).status_code == 201
    for body, message in [({**good, "type": "model.promoted"}, "serving.*"), ({**good, "specversion": "0.3"}, "specversion"),
                          ({**good, "data": [1]}, "data"), ({k: v for k, v in good.items() if k != "id"}, "'id'"),
                          ({**good, "time": "yesterday"}, "RFC 3339")]:
        r = requests.post(f"{url}/api/v1/events", json=body)
        assert r.status_code == 400 and message in r.json()["message"], (body, r.text)
    assert requests.get(f"{url}/api/v1/events", params={"max_results": "0"}).status_code == 400


def test_bad_inputs_are_400s_naming_the_problem(serving):
    url = serving.url
    from mlflow import MlflowClient
    if requests.get(f"{url}/models/served").json()["version"] is None:
        MlflowClient().set_registered_model_alias("served", "production", log_version("served", train(1)))
    deadline = time.time() + 5
    while served_version(url)[0] != 200:
        assert time.time() < deadline
        time.sleep(0.05)
    good = dict.fromkeys(FEATURES, 0.1)
    cases = [
        ({k: v for k, v in good.items() if k != "f2"}, "missing feature 'f2'"),
        ({**good, "f1": "abc"}, "feature 'f1': expected a number, got a str"),
        ({"instances": [[1, 2, 3]]}, "has 3 values"),
        ({"instances": [good] * 51}, "limit is 50"),
        ({"instances": "x"}, "must be a list"),
        ({"dataframe_split": {"columns": FEATURES, "data": [[1, 2]]}}, "one per column"),
        ({"instances": []}, "no rows"),
        ([1, 2], "Row 0 is a number"),
    ]
    for body, message in cases:
        r = requests.post(f"{url}/models/served/predict", json=body)
        assert r.status_code == 400 and message in r.json()["message"], (body, r.status_code, r.text)
        assert r.json()["error_code"] == "BAD_REQUEST"
    r = requests.post(f"{url}/models/served/predict", data=b"{not json", headers={"content-type": "application/json"})
    assert r.status_code == 400 and r.json()["error_code"] == "BAD_REQUEST"

    # Hostile values in every shape the endpoint reads: a JSON error, never a 5xx.
    import random
    rng = random.Random(3)
    values = [None, True, -1, 2**63, 1e308, "", "x", "\u0000", [], [None], [1, 2], {}, {"a": [1]}, "NaN", [[1, 2, 3, 4]], [[None] * 4]]
    keys = FEATURES + ["instances", "inputs", "dataframe_split", "dataframe_records", "columns", "data", "index"]
    for _ in range(300):
        body = {k: rng.choice(values) for k in rng.sample(keys, rng.randint(1, 6))}
        if "dataframe_split" in body and rng.random() < 0.5:
            body["dataframe_split"] = {k: rng.choice(values) for k in rng.sample(["columns", "data", "index"], 2)}
        r = requests.post(f"{url}/models/served/invocations", json=body)
        assert r.status_code in (200, 400), (body, r.status_code, r.text[:200])


def test_hot_swap_under_load(serving):
    """Load on loopback while the alias flips 50 times: no non-2xx, every version one of the two,
    each flip served within 1 s."""
    from mlflow import MlflowClient
    client = MlflowClient()
    url = serving.url
    a, b = log_version("served", train(5)), log_version("served", train(6))
    client.set_registered_model_alias("served", "production", a)
    wait_for_version(url, a)
    results, latencies = flip_under_load(client, url, "served", a, b, flips=50, limit=2.0)
    bad = [r for r in results if r[0] != 200]
    assert not bad, bad[:5]
    assert {v for _, v in results} <= {str(a), str(b)}
    print(f"\n{len(results)} requests during 50 flips; flip-to-serve ms: median {np.median(latencies) * 1000:.1f}, "
          f"max {max(latencies) * 1000:.1f}")
    assert max(latencies) < 1.0


def test_metrics_count_predictions_reloads_and_requests(serving):
    """After the tests above: /metrics names the served version, counts rows and failed reloads by
    model, and HTTP requests by route pattern and status; promtool accepts it."""
    url = serving.url
    served = requests.get(f"{url}/models/served").json()["version"]
    before = metric_samples(requests.get(f"{url}/metrics").text)
    rows_before = sum(v for n, l, v in before if n == "slipway_predictions_total" and l == {"model": "served", "version": served})
    r = requests.post(f"{url}/models/served/predict", json={"instances": [dict.fromkeys(FEATURES, 0.2)] * 7})
    assert r.status_code == 200
    requests.post(f"{url}/models/served/predict", json={"instances": "x"})

    response = requests.get(f"{url}/metrics")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/plain; version=0.0.4")
    samples = metric_samples(response.text)
    def value(name, **labels):
        found = [v for n, l, v in samples if n == name and all(l.get(k) == str(x) for k, x in labels.items())]
        assert found, (name, labels)
        return sum(found)
    assert value("slipway_predictions_total", model="served", version=served) == rows_before + 7
    assert value("slipway_prediction_duration_seconds_count", model="served", version=served) >= 1
    info = [l for n, l, v in samples if n == "slipway_served_model_info" and l["model"] == "served"]
    assert len(info) == 1 and info[0]["version"] == served and info[0]["alias"] == "production"
    assert info[0]["digest"] == requests.get(f"{url}/models/served").json()["digest"]
    assert value("slipway_model_reloads_total", model="served", result="failure") >= 2  # the corrupt and the sklearn versions
    assert value("slipway_model_reloads_total", model="served", result="success") >= 3
    assert value("slipway_model_reload_failing", model="served") == 0
    assert value("slipway_http_requests_total", route="/models/{name}/predict", method="POST", status=400) >= 1
    assert value("slipway_http_requests_total", route="/models/{name}/predict", method="POST", status=200) >= 1
    assert value("slipway_http_request_duration_seconds_count", route="/models/{name}/predict", method="POST") >= 2

    check = subprocess.run(["promtool", "check", "metrics"], input=response.text, capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
