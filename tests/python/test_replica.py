"""`slipway serve`: a serving-only replica following a registry server over HTTP. It serves the
version behind the alias (files downloaded and checked against their SHA-256), follows flips within
2 s under load, refuses a corrupt version, and keeps serving while the registry is down."""
import subprocess

import numpy as np
import pandas as pd
import pytest
import requests

from conftest import BINARY, SlipwayReplica, SlipwayServer, use_mlflow, wait_until
from serving_support import (FEATURES, XGBOOST_REQUIREMENTS, corrupt_model_file, events, flip_under_load, log_version, metric_samples, model_status,
                             served_version, train, wait_for_refusal, wait_for_version)


@pytest.fixture(scope="module")
def registry():
    s = SlipwayServer("sqlite").start()
    yield s
    s.stop()


@pytest.fixture()
def replica_of(registry):
    """Starts a replica of the registry that follows `name@production` (a model of the test's own);
    stopped after the test."""
    replicas = []

    def start(name):
        r = SlipwayReplica(registry.url, [f"{name}@production"], ["--max-batch-rows", "100"]).start()
        replicas.append(r)
        return r

    yield start
    for r in replicas:
        r.stop()


@pytest.fixture(autouse=True)
def mlflow_on(registry):
    use_mlflow(registry.url, "replica")


def test_hot_swap_under_load_on_a_replica(registry, replica_of):
    """Load on the replica while the alias flips 50 times on the registry: no non-2xx, every
    version one of the two, each flip served by the replica within 2 s."""
    from mlflow import MlflowClient
    client = MlflowClient()
    name = "flipped"
    replica = replica_of(name)
    a, b = log_version(name, train(11)), log_version(name, train(12))
    client.set_registered_model_alias(name, "production", a)
    wait_for_version(replica.url, a, name=name)
    results, latencies = flip_under_load(client, replica.url, name, a, b, flips=50, limit=3.0)
    bad = [r for r in results if r[0] != 200]
    assert not bad, bad[:5]
    assert {v for _, v in results} <= {str(a), str(b)}
    print(f"\nreplica: {len(results)} requests during 50 flips; flip-to-serve ms: median {np.median(latencies) * 1000:.1f}, "
          f"p90 {np.percentile(latencies, 90) * 1000:.1f}, max {max(latencies) * 1000:.1f}")
    assert max(latencies) < 2.0


def test_replica_serves_checks_and_outlives_the_registry(registry, replica_of):
    import mlflow
    from mlflow import MlflowClient
    client = MlflowClient()
    name = "followed"
    replica = replica_of(name)
    booster = train(21)
    with mlflow.start_run():
        mlflow.log_metric("test_mae", 0.125)
        info = mlflow.xgboost.log_model(booster, name="model", registered_model_name=name,
                                        input_example=pd.DataFrame(np.zeros((2, 4)), columns=FEATURES), pip_requirements=XGBOOST_REQUIREMENTS)
    v1 = int(info.registered_model_version)
    client.set_registered_model_alias(name, "production", v1)
    wait_for_version(replica.url, v1, name=name, limit=2.0)

    rows = pd.DataFrame(np.random.default_rng(3).normal(size=(30, 4)), columns=FEATURES)
    r = requests.post(f"{replica.url}/models/{name}/invocations",
                      json={"dataframe_split": {"columns": FEATURES, "data": rows.values.tolist()}})
    assert r.status_code == 200 and r.json()["version"] == str(v1)
    np.testing.assert_allclose(r.json()["predictions"], booster.inplace_predict(rows), rtol=1e-5, atol=1e-6)
    assert requests.get(f"{replica.url}/ready").status_code == 200

    described = model_status(replica.url, name)
    files = requests.get(f"{registry.url}/api/v1/models/{name}/versions/{v1}/files").json()
    assert described["digest"] == files["digest"] and described["metrics"] == {"test_mae": 0.125}
    assert {f["path"] for f in files["files"]} >= {"MLmodel", "model.ubj"}
    metrics = requests.get(f"{replica.url}/metrics").text
    info_series = [l for n, l, _ in metric_samples(metrics) if n == "slipway_served_model_info"]
    assert [s["version"] for s in info_series] == [str(v1)]
    check = subprocess.run(["promtool", "check", "metrics"], input=metrics, capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr

    # A version whose file changed on the registry's disk after upload: refused, v1 stays. (The file
    # stays changed, so v2 is refused however often the replica tries it.)
    v2 = log_version(name, train(22))
    corrupt_model_file(registry, name, v2, tail=b"XXXX")
    client.set_registered_model_alias(name, "production", v2)
    described = wait_for_refusal(replica.url, v2, name=name)  # the replica has tried v2 and refused it
    assert described["version"] == str(v1) and "digest" in described["last_failure"]["message"], described
    assert served_version(replica.url, name) == (200, str(v1))
    # The replica reports the refusal to the registry's event log just after refusing.
    reported = wait_until(lambda: events(registry.url, type="ml.serving.load_failed.v1", subject=f"models/{name}/versions/{v2}"), 5,
                          "the replica's refusal in the registry's event log")
    assert reported[0]["source"] == f"/slipway/serve/127.0.0.1:{replica.port}", reported[:1]
    assert reported[0]["data"]["version"] == str(v2) and reported[0]["data"]["serving_version"] == str(v1)

    # The registry goes away: the replica keeps serving v1 and stays ready, also once it has found
    # the registry unreachable (a failure to resolve the alias, with no version).
    registry.stop()
    try:
        for _ in range(20):
            assert served_version(replica.url, name) == (200, str(v1))

        def unreachable():
            failure = model_status(replica.url, name).get("last_failure") or {}
            return failure.get("version") is None and "Cannot resolve" in failure.get("message", "") and failure
        wait_until(unreachable, 5, "the replica to find the registry unreachable")
        assert served_version(replica.url, name) == (200, str(v1))
        assert requests.get(f"{replica.url}/ready").status_code == 200
    finally:
        registry.start()  # on the same port and data, for whatever runs next

    # Back on the same port (its change counter starts again from zero): flips are followed again.
    v3 = log_version(name, train(23))
    client.set_registered_model_alias(name, "production", v3)
    assert wait_for_version(replica.url, v3, name=name, limit=3.0) < 3.0


def test_serve_command_errors():
    cases = [
        (["serve", "--registry", "ftp://x", "--model", "a@b"], "http:// or https://"),
        (["serve", "--registry", "http://127.0.0.1:9"], "--model"),
        (["serve", "--registry", "http://127.0.0.1:9", "--model", "a@"], "NAME@ALIAS"),
    ]
    for args, message in cases:
        result = subprocess.run([str(BINARY), *args, "--port", "0"], capture_output=True, text=True, timeout=30)
        assert result.returncode != 0 and message in result.stderr, (args, result.returncode, result.stderr)


def test_replica_ships_its_prediction_log_to_the_registry(registry, replica_of):
    """Requests answered by a replica reach the registry's log with their ids; while the registry is
    down the replica keeps answering and holds what it could not ship, then ships it."""
    from mlflow import MlflowClient
    name = "shipped"
    replica = replica_of(name)
    version = log_version(name, train(31))
    MlflowClient().set_registered_model_alias(name, "production", version)
    wait_for_version(replica.url, version, name=name)

    def send(prefix, count):
        with requests.Session() as session:
            for i in range(count):
                r = session.post(f"{replica.url}/models/{name}/predict", json=[dict.fromkeys(FEATURES, 0.25)], headers={"X-Request-Id": f"{prefix}-{i}"})
                assert r.status_code == 200 and r.headers["X-Request-Id"] == f"{prefix}-{i}"

    def logged(prefix):
        r = requests.get(f"{registry.url}/api/v1/models/{name}/predictions", params={"kind": "served", "limit": 10000}, timeout=10)
        assert r.status_code == 200, r.text
        return [p for p in r.json()["predictions"] if p["id"].startswith(prefix + "-")]

    send("early", 200)
    entries = wait_until(lambda: (lambda found: found if len(found) == 200 else None)(logged("early")), 10, "the replica's 200 requests at the registry")
    assert {p["version"] for p in entries} == {str(version)} and entries[0]["inputs"] == [[0.25] * 4]

    registry.stop()
    try:
        send("offline", 100)  # answered while the registry is away
    finally:
        registry.start()
    wait_until(lambda: len(logged("offline")) == 100, 15, "what the replica held to reach the registry once it is back")
    bad = requests.post(f"{registry.url}/api/v1/prediction-log", json={"entries": [{"request_id": "x"}]})
    assert bad.status_code == 400 and bad.json()["error_code"] == "INVALID_PARAMETER_VALUE"
