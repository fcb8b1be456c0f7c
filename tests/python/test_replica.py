"""`slipway serve`: a serving-only replica following a registry server over HTTP. It serves the
version behind the alias (files downloaded and checked against their SHA-256), follows flips within
2 s under load, refuses a corrupt version, and keeps serving while the registry is down."""
import subprocess
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import requests

from conftest import BINARY, SlipwayReplica, SlipwayServer, use_mlflow
from serving_support import FEATURES, flip_under_load, log_version, metric_samples, served_version, train, wait_for_version


@pytest.fixture(scope="module")
def registry():
    s = SlipwayServer("sqlite").start()
    yield s
    s.stop()


@pytest.fixture(scope="module")
def replica(registry):
    r = SlipwayReplica(registry.url, ["served@production"], ["--max-batch-rows", "100"]).start()
    yield r
    r.stop()


@pytest.fixture(autouse=True)
def mlflow_on(registry):
    use_mlflow(registry.url, "replica")


def test_hot_swap_under_load_on_a_replica(registry, replica):
    """Load on the replica while the alias flips 50 times on the registry: no non-2xx, every
    version one of the two, each flip served by the replica within 2 s."""
    from mlflow import MlflowClient
    client = MlflowClient()
    a, b = log_version("served", train(11)), log_version("served", train(12))
    client.set_registered_model_alias("served", "production", a)
    wait_for_version(replica.url, a)
    results, latencies = flip_under_load(client, replica.url, "served", a, b, flips=50, limit=3.0)
    bad = [r for r in results if r[0] != 200]
    assert not bad, bad[:5]
    assert {v for _, v in results} <= {str(a), str(b)}
    print(f"\nreplica: {len(results)} requests during 50 flips; flip-to-serve ms: median {np.median(latencies) * 1000:.1f}, "
          f"p90 {np.percentile(latencies, 90) * 1000:.1f}, max {max(latencies) * 1000:.1f}")
    assert max(latencies) < 2.0


def test_replica_serves_checks_and_outlives_the_registry(registry, replica):
    import mlflow
    from mlflow import MlflowClient
    client = MlflowClient()
    booster = train(21)
    with mlflow.start_run():
        mlflow.log_metric("test_mae", 0.125)
        info = mlflow.xgboost.log_model(booster, name="model", registered_model_name="served",
                                        input_example=pd.DataFrame(np.zeros((2, 4)), columns=FEATURES))
    v1 = int(info.registered_model_version)
    client.set_registered_model_alias("served", "production", v1)
    wait_for_version(replica.url, v1, limit=2.0)

    rows = pd.DataFrame(np.random.default_rng(3).normal(size=(30, 4)), columns=FEATURES)
    r = requests.post(f"{replica.url}/models/served/invocations",
                      json={"dataframe_split": {"columns": FEATURES, "data": rows.values.tolist()}})
    assert r.status_code == 200 and r.json()["version"] == str(v1)
    np.testing.assert_allclose(r.json()["predictions"], booster.inplace_predict(rows), rtol=1e-5, atol=1e-6)
    assert requests.get(f"{replica.url}/ready").status_code == 200

    described = requests.get(f"{replica.url}/models/served").json()
    files = requests.get(f"{registry.url}/api/v1/models/served/versions/{v1}/files").json()
    assert described["digest"] == files["digest"] and described["metrics"] == {"test_mae": 0.125}
    assert {f["path"] for f in files["files"]} >= {"MLmodel", "model.ubj"}
    metrics = requests.get(f"{replica.url}/metrics").text
    info_series = [l for n, l, _ in metric_samples(metrics) if n == "slipway_served_model_info"]
    assert [s["version"] for s in info_series] == [str(v1)]
    check = subprocess.run(["promtool", "check", "metrics"], input=metrics, capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr

    # A version whose file changed on the registry's disk after upload: refused, v1 stays.
    v2 = log_version("served", train(22))
    uri = requests.get(f"{registry.url}/api/2.0/mlflow/model-versions/get-download-uri", params={"name": "served", "version": v2}).json()["artifact_uri"]
    model_file = Path(registry.data_dir, "artifacts", uri.removeprefix("mlflow-artifacts:/"), "model.ubj")
    original = model_file.read_bytes()
    model_file.write_bytes(original[:-4] + b"XXXX")
    client.set_registered_model_alias("served", "production", v2)
    time.sleep(2.0)
    assert served_version(replica.url) == (200, str(v1))
    failure = requests.get(f"{replica.url}/models/served").json()["last_failure"]
    assert failure["version"] == str(v2) and "digest" in failure["message"], failure
    reported = requests.get(f"{registry.url}/api/v1/events", params={"type": "serving.load_failed"}).json()["events"]
    assert reported[0]["source"] == f"/slipway/serve/127.0.0.1:{replica.port}", reported[:1]
    assert reported[0]["data"]["version"] == str(v2) and reported[0]["data"]["serving_version"] == str(v1)
    model_file.write_bytes(original)

    # The registry goes away: the replica keeps serving v1 and stays ready.
    registry.stop()
    for _ in range(20):
        assert served_version(replica.url) == (200, str(v1))
    time.sleep(1.5)
    assert served_version(replica.url) == (200, str(v1))
    assert requests.get(f"{replica.url}/ready").status_code == 200

    # Back on the same port (its change counter starts again from zero): flips are followed again.
    registry.start()
    v3 = log_version("served", train(23))
    client.set_registered_model_alias("served", "production", v3)
    assert wait_for_version(replica.url, v3, limit=3.0) < 3.0


def test_serve_command_errors():
    cases = [
        (["serve", "--registry", "ftp://x", "--model", "a@b"], "http:// or https://"),
        (["serve", "--registry", "http://127.0.0.1:9"], "--model"),
        (["serve", "--registry", "http://127.0.0.1:9", "--model", "a@"], "NAME@ALIAS"),
    ]
    for args, message in cases:
        result = subprocess.run([str(BINARY), *args, "--port", "0"], capture_output=True, text=True, timeout=30)
        assert result.returncode != 0 and message in result.stderr, (args, result.returncode, result.stderr)
