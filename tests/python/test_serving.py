"""Serving with a real server on loopback: the server follows `served@production`, predictions equal
xgboost's own, alias flips are served within 1 s, a corrupt or incompatible version never replaces
the serving one, /ready, and 400s that name the bad feature.

Each test has models of its own: the readiness test a server of its own (it starts from nothing
served), the others one shared server on which `history` and `swap` are served."""
import subprocess

import numpy as np
import pandas as pd
import pytest
import requests

from conftest import BACKENDS, SlipwayServer, use_mlflow, wait_until
from serving_support import (FEATURES, corrupt_model_file, events, flip_under_load, log_sklearn_version, log_version, metric_samples,
                             model_status, served_version, train, wait_for_refusal, wait_for_version)

SERVER_ARGS = ["--max-batch-rows", "50"]


@pytest.fixture(params=BACKENDS)
def fresh_serving(request):
    """A server of its own following `served@production` and `other@champion`, neither of which exists yet."""
    s = SlipwayServer(request.param, ["--model", "served@production", "--model", "other@champion", *SERVER_ARGS]).start()
    use_mlflow(s.url, "serving")
    yield s
    s.stop()


@pytest.fixture(scope="module", params=BACKENDS)
def serving(request):
    """The server the other tests share; each follows a model of its own on it."""
    s = SlipwayServer(request.param, ["--model", "history@production", "--model", "swap@production", *SERVER_ARGS]).start()
    yield s
    s.stop()


@pytest.fixture(scope="module")
def history(serving):
    """`history@production` taken through two good versions, a version whose file was changed after
    upload and an sklearn one (both refused), and back to its first version: what the event log and
    /metrics are checked against. Returns the model's name and versions."""
    from mlflow import MlflowClient
    use_mlflow(serving.url, "serving")
    client, url, name = MlflowClient(), serving.url, "history"
    v1, v2, corrupt = log_version(name, train(1)), log_version(name, train(2)), log_version(name, train(3))
    corrupt_model_file(serving, name, corrupt)
    sklearn = log_sklearn_version(name)
    for version in (v1, v2):
        client.set_registered_model_alias(name, "production", version)
        wait_for_version(url, version, name=name)
    for version in (corrupt, sklearn):
        client.set_registered_model_alias(name, "production", version)
        wait_for_refusal(url, version, name=name)
    client.set_registered_model_alias(name, "production", v1)
    wait_for_version(url, v1, name=name)
    # The host counts each swap or refusal in /metrics and then records its event, one after the
    # other: once the last swap's event is in the log, everything before it is counted and recorded.
    wait_until(lambda: len(events(url, type="ml.serving.swapped.v1", subject=f"models/{name}/")) >= 3, 5, "the last swap's event")
    return {"name": name, "served": v1, "swapped": [v1, v2, v1], "corrupt": corrupt, "sklearn": sklearn}


@pytest.fixture()
def mlflow_on(serving):
    use_mlflow(serving.url, "serving")


def test_ready_predict_flip_and_failed_versions(fresh_serving):
    from mlflow import MlflowClient
    client = MlflowClient()
    serving = fresh_serving
    url = serving.url
    r = requests.get(f"{url}/ready")
    assert r.status_code == 503 and r.json() == {"ready": False, "waiting_for": ["served@production", "other@champion"]}
    assert requests.post(f"{url}/models/served/predict", json=dict.fromkeys(FEATURES, 0)).status_code == 503
    assert requests.post(f"{url}/models/nope/predict", json={}).status_code == 404

    b1, b2 = train(1), train(2)
    v1, v2 = log_version("served", b1), log_version("served", b2)
    client.set_registered_model_alias("served", "production", v1)
    wait_for_version(url, v1)
    r = requests.get(f"{url}/ready")
    assert r.status_code == 503 and r.json()["waiting_for"] == ["other@champion"]  # `other` has nothing yet

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
    corrupt_model_file(serving, "served", v3)
    client.set_registered_model_alias("served", "production", v3)
    info = wait_for_refusal(url, v3)  # the host has tried v3 and refused it
    assert info["version"] == str(v2) and "digest" in info["last_failure"]["message"], info
    assert served_version(url) == (200, str(v2))

    # A version Slipway cannot serve natively (a pickled sklearn model): refused, v2 stays.
    sk = log_sklearn_version("served")
    client.set_registered_model_alias("served", "production", sk)
    info = wait_for_refusal(url, sk)
    assert info["version"] == str(v2) and "only Python can read" in info["last_failure"]["message"], info
    assert served_version(url) == (200, str(v2))

    # Back to a good version: served again, failure cleared.
    client.set_registered_model_alias("served", "production", v1)
    wait_for_version(url, v1)
    assert "last_failure" not in requests.get(f"{url}/models/served").json()

    # Ready once every configured model has a version.
    client.set_registered_model_alias("other", "champion", log_version("other", train(4)))
    ready = wait_until(lambda: (r := requests.get(f"{url}/ready", timeout=5)).status_code == 200 and r.json(), 5, "/ready to answer 200")
    assert ready == {"ready": True, "waiting_for": []}


def test_events_record_swaps_and_failed_loads(serving, history):
    """Each swap and each refused version of `history` is in the event log as a CloudEvent."""
    url, name = serving.url, history["name"]
    failed = events(url, type="ml.serving.load_failed.v1", subject=f"models/{name}/")
    assert {e["data"]["version"] for e in failed} == {str(history["corrupt"]), str(history["sklearn"])}, failed
    for event in failed:
        assert event["specversion"] == "1.0" and event["source"] == f"/slipway/server/127.0.0.1:{serving.port}"
        assert event["subject"] == f"models/{name}/versions/{event['data']['version']}" and event["time"].endswith("Z")
        assert event["data"]["model_name"] == name and event["data"]["serving_version"] is not None and event["data"]["error"]
    assert any("digest" in e["data"]["error"] for e in failed if e["data"]["version"] == str(history["corrupt"]))
    assert any("only Python can read" in e["data"]["error"] for e in failed if e["data"]["version"] == str(history["sklearn"]))
    swaps = events(url, type="ml.serving.swapped.v1", subject=f"models/{name}/")
    assert [e["data"]["version"] for e in swaps] == [str(v) for v in reversed(history["swapped"])], swaps
    swapped = requests.get(f"{url}/api/v1/events", params={"type": "ml.serving.swapped.v1", "subject": f"models/{name}/", "max_results": 2}).json()
    assert len(swapped["events"]) == 2 and swapped["next_page_token"]
    assert swapped["events"][0]["time"] >= swapped["events"][1]["time"]

    # Posting: serving CloudEvents only (an older replica's `serving.*` names are taken and renamed);
    # anything malformed is a 400 that says why.
    good = {"specversion": "1.0", "id": "e-1", "source": "/test", "type": "ml.serving.swapped.v1", "subject": "models/x", "data": {"k": 1}}
    assert requests.post(f"{url}/api/v1/events", json=good).status_code == 201
    legacy = requests.post(f"{url}/api/v1/events", json={**good, "id": "e-2", "type": "serving.load_failed"})
    assert legacy.status_code == 201 and legacy.json()["type"] == "ml.serving.load_failed.v1"
    for body, message in [({**good, "type": "ml.model.promoted.v1"}, "serving events"), ({**good, "type": "serving.note"}, "serving events"),
                          ({**good, "specversion": "0.3"}, "specversion"),
                          ({**good, "data": [1]}, "data"), ({k: v for k, v in good.items() if k != "id"}, "'id'"),
                          ({**good, "time": "yesterday"}, "RFC 3339")]:
        r = requests.post(f"{url}/api/v1/events", json=body)
        assert r.status_code == 400 and message in r.json()["message"], (body, r.text)
    assert requests.get(f"{url}/api/v1/events", params={"max_results": "0"}).status_code == 400


def test_bad_inputs_are_400s_naming_the_problem(serving, history):
    url, name = serving.url, history["name"]
    assert served_version(url, name) == (200, str(history["served"]))
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
        r = requests.post(f"{url}/models/{name}/predict", json=body)
        assert r.status_code == 400 and message in r.json()["message"], (body, r.status_code, r.text)
        assert r.json()["error_code"] == "BAD_REQUEST"
    r = requests.post(f"{url}/models/{name}/predict", data=b"{not json", headers={"content-type": "application/json"})
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
        r = requests.post(f"{url}/models/{name}/invocations", json=body)
        assert r.status_code in (200, 400), (body, r.status_code, r.text[:200])


def test_hot_swap_under_load(serving, mlflow_on):
    """Load on loopback while the alias flips 50 times: no non-2xx, every version one of the two,
    each flip served within 1 s."""
    from mlflow import MlflowClient
    client = MlflowClient()
    url, name = serving.url, "swap"
    a, b = log_version(name, train(5)), log_version(name, train(6))
    client.set_registered_model_alias(name, "production", a)
    wait_for_version(url, a, name=name)
    results, latencies = flip_under_load(client, url, name, a, b, flips=50, limit=2.0)
    bad = [r for r in results if r[0] != 200]
    assert not bad, bad[:5]
    assert {v for _, v in results} <= {str(a), str(b)}
    print(f"\n{len(results)} requests during 50 flips; flip-to-serve ms: median {np.median(latencies) * 1000:.1f}, "
          f"max {max(latencies) * 1000:.1f}")
    assert max(latencies) < 1.0


def test_metrics_count_predictions_reloads_and_requests(serving, history):
    """/metrics names the served version, counts rows and failed reloads by model, and HTTP requests
    by route pattern and status; promtool accepts it."""
    url, name = serving.url, history["name"]
    served = model_status(url, name)["version"]
    assert served == str(history["served"])
    before = metric_samples(requests.get(f"{url}/metrics").text)
    rows_before = sum(v for n, l, v in before if n == "slipway_predictions_total" and l == {"model": name, "version": served})
    r = requests.post(f"{url}/models/{name}/predict", json={"instances": [dict.fromkeys(FEATURES, 0.2)] * 7})
    assert r.status_code == 200
    requests.post(f"{url}/models/{name}/predict", json={"instances": "x"})

    response = requests.get(f"{url}/metrics")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/plain; version=0.0.4")
    samples = metric_samples(response.text)
    def value(name, **labels):
        found = [v for n, l, v in samples if n == name and all(l.get(k) == str(x) for k, x in labels.items())]
        assert found, (name, labels)
        return sum(found)
    assert value("slipway_predictions_total", model=name, version=served) == rows_before + 7
    assert value("slipway_prediction_duration_seconds_count", model=name, version=served) >= 1
    info = [l for n, l, v in samples if n == "slipway_served_model_info" and l["model"] == name]
    assert len(info) == 1 and info[0]["version"] == served and info[0]["alias"] == "production"
    assert info[0]["digest"] == model_status(url, name)["digest"]
    assert value("slipway_model_reloads_total", model=name, result="failure") >= 2  # the corrupt and the sklearn versions
    assert value("slipway_model_reloads_total", model=name, result="success") >= len(history["swapped"])
    assert value("slipway_model_reload_failing", model=name) == 0
    assert value("slipway_http_requests_total", route="/models/{name}/predict", method="POST", status=400) >= 1
    assert value("slipway_http_requests_total", route="/models/{name}/predict", method="POST", status=200) >= 1
    assert value("slipway_http_request_duration_seconds_count", route="/models/{name}/predict", method="POST") >= 2

    check = subprocess.run(["promtool", "check", "metrics"], input=response.text, capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
