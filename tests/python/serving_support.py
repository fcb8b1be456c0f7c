"""What the serving tests share: a small xgboost model, logging it as a registered version, asking
a server which version it serves, and reading /metrics."""
import threading
import time

import numpy as np
import pandas as pd
import requests
import xgboost as xgb

FEATURES = ["f0", "f1", "f2", "f3"]


def train(seed):
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(rng.normal(size=(300, 4)), columns=FEATURES)
    y = X.f0 * (1 + seed) - X.f1 + rng.normal(scale=0.1, size=300)
    return xgb.train({"objective": "reg:squarederror", "max_depth": 3, "seed": seed}, xgb.DMatrix(X, label=y), 20 + seed)


def log_version(name, booster):
    import mlflow
    with mlflow.start_run():
        example = pd.DataFrame(np.zeros((2, 4)), columns=FEATURES)
        info = mlflow.xgboost.log_model(booster, name="model", registered_model_name=name, input_example=example)
    return int(info.registered_model_version)


def log_candidate(name, mae, seed, tags=None):
    """A run that logs test_mae (an earlier, worse value first: the latest counts) and registers its model."""
    import mlflow
    with mlflow.start_run(tags=tags or {}):
        mlflow.log_metric("test_mae", mae * 3, step=0)
        mlflow.log_metric("test_mae", mae, step=1)
        info = mlflow.xgboost.log_model(train(seed), name="model", registered_model_name=name,
                                        input_example=pd.DataFrame(np.zeros((1, 4)), columns=FEATURES))
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
