"""What the serving tests share: a small xgboost model, logging it as a registered version (a good
one, one whose file was changed after upload, one Slipway cannot serve), asking a server which
version it serves or last refused, the event log, and reading /metrics."""
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd
import requests
import xgboost as xgb

from conftest import wait_until

FEATURES = ["f0", "f1", "f2", "f3"]
# Named rather than inferred: mlflow infers a model's requirements in a subprocess that takes some
# 3.5 s per logged model, and serving never reads them.
XGBOOST_REQUIREMENTS = [f"xgboost=={xgb.__version__}"]


def train(seed):
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(rng.normal(size=(300, 4)), columns=FEATURES)
    y = X.f0 * (1 + seed) - X.f1 + rng.normal(scale=0.1, size=300)
    return xgb.train({"objective": "reg:squarederror", "max_depth": 3, "seed": seed}, xgb.DMatrix(X, label=y), 20 + seed)


def log_version(name, booster):
    import mlflow
    with mlflow.start_run():
        example = pd.DataFrame(np.zeros((2, 4)), columns=FEATURES)
        info = mlflow.xgboost.log_model(booster, name="model", registered_model_name=name, input_example=example,
                                        pip_requirements=XGBOOST_REQUIREMENTS)
    return int(info.registered_model_version)


def corrupt_model_file(server, name, version, tail=b"0123456789"):
    """Changes the model file of `name` version `version` in `server`'s artifact store after upload,
    so that its recorded digest no longer matches. Returns the file's path."""
    uri = requests.get(f"{server.url}/api/2.0/mlflow/model-versions/get-download-uri",
                       params={"name": name, "version": version}, timeout=10).json()["artifact_uri"]
    model_file = Path(server.data_dir, "artifacts", uri.removeprefix("mlflow-artifacts:/"), "model.ubj")
    model_file.write_bytes(model_file.read_bytes()[:-len(tail)] + tail)
    return model_file


def log_sklearn_version(name, seed=0):
    """A version of `name` that Slipway cannot serve natively (an sklearn model pickled with cloudpickle)."""
    import mlflow
    import sklearn
    from sklearn.linear_model import LinearRegression
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(rng.normal(size=(20, 4)), columns=FEATURES)
    with mlflow.start_run():
        info = mlflow.sklearn.log_model(LinearRegression().fit(X, X.f0), name="model", registered_model_name=name,
                                        pip_requirements=[f"scikit-learn=={sklearn.__version__}"], serialization_format="cloudpickle")
    return int(info.registered_model_version)


def log_candidate(name, mae, seed, tags=None):
    """A run that logs test_mae (an earlier, worse value first: the latest counts) and registers its model."""
    import mlflow
    with mlflow.start_run(tags=tags or {}):
        mlflow.log_metric("test_mae", mae * 3, step=0)
        mlflow.log_metric("test_mae", mae, step=1)
        info = mlflow.xgboost.log_model(train(seed), name="model", registered_model_name=name,
                                        input_example=pd.DataFrame(np.zeros((1, 4)), columns=FEATURES), pip_requirements=XGBOOST_REQUIREMENTS)
    return int(info.registered_model_version)


def served_version(url, name="served", row=None):
    r = requests.post(f"{url}/models/{name}/predict", json=row or dict.fromkeys(FEATURES, 0.5), timeout=5)
    return r.status_code, (r.json().get("version") if r.headers.get("content-type", "").startswith("application/json") else None)


def wait_for_version(url, version, name="served", limit=5.0):
    start = time.monotonic()
    while time.monotonic() - start < limit:
        status, got = served_version(url, name)
        if status == 200 and got == str(version):
            return time.monotonic() - start
        time.sleep(0.01)
    raise AssertionError(f"version {version} of {name} not served within {limit} s (last: {status} {got})")


def model_status(url, name="served"):
    """`GET /models/{name}`: what the host serves for `name` and the last version it refused."""
    r = requests.get(f"{url}/models/{name}", timeout=5)
    assert r.status_code == 200, r.text
    return r.json()


def wait_for_refusal(url, version, name="served", limit=5.0):
    """Waits until the host has tried `version` of `name` and refused it (`last_failure.version`),
    and returns `GET /models/{name}` as it was then. Holds however often the host retries."""
    def refused():
        status = model_status(url, name)
        return status if (status.get("last_failure") or {}).get("version") == str(version) else None
    return wait_until(refused, limit, f"{name} v{version} to be tried and refused at {url}")


def events(url, **params):
    """`GET /api/v1/events` (newest first) with the given filters."""
    r = requests.get(f"{url}/api/v1/events", params=params, timeout=10)
    assert r.status_code == 200, r.text
    return r.json()["events"]


def metric_samples(text):
    """`name{labels} value` lines of a Prometheus exposition, as (name, labels dict, value)."""
    samples = []
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        head, value = line.rsplit(" ", 1)
        name, _, labels = head.partition("{")
        pairs = dict(p.split("=", 1) for p in labels.rstrip("}").split(",")) if labels else {}
        samples.append((name, {k: v.strip('"') for k, v in pairs.items()}, float(value)))
    return samples


def flip_under_load(client, url, name, a, b, flips=50, limit=2.0, threads=4):
    """Flips `name@production` between versions a and b `flips` times while `threads` clients post
    5-row requests on loopback (bounded: 200k requests at most). Returns every (status, version or
    error text) answer and the seconds from each flip until the new version answered."""
    stop = threading.Event()
    results = []

    def load():
        session = requests.Session()
        body = {"instances": [dict.fromkeys(FEATURES, 0.3)] * 5}
        while not stop.is_set() and len(results) < 200_000:
            r = session.post(f"{url}/models/{name}/predict", json=body, timeout=5)
            results.append((r.status_code, r.json().get("version") if r.status_code == 200 else r.text))

    workers = [threading.Thread(target=load) for _ in range(threads)]
    for w in workers:
        w.start()
    latencies = []
    try:
        for i in range(flips):
            target = b if i % 2 == 0 else a
            client.set_registered_model_alias(name, "production", target)
            latencies.append(wait_for_version(url, target, name=name, limit=limit))
    finally:
        stop.set()
        for w in workers:
            w.join(timeout=10)
    return results, latencies
