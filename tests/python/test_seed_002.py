"""Seed 002's workflow end to end with the real mlflow client: RandomForest classifiers trained on
iris and logged with `mlflow.sklearn.log_model` (skops), a promotion policy on test_accuracy,
`slipway promote`, and `slipway server --model iris@production` serving each promoted version
natively with scikit-learn's answers; the same model logged with cloudpickle is served through the
Python worker pool."""
import sys

import mlflow
import mlflow.sklearn
import numpy as np
import requests
from sklearn.datasets import load_iris
from sklearn.ensemble import RandomForestClassifier
from sklearn.model_selection import train_test_split

from conftest import SlipwayServer, use_mlflow, wait_until

TREES = ["sklearn.tree._tree.Tree"]


def iris():
    data = load_iris(as_frame=True)
    X = data.data.rename(columns=lambda c: c.replace(" (cm)", "").replace(" ", "_"))
    y = data.target_names[data.target]
    return train_test_split(X, y, test_size=0.2, random_state=42)


def train_and_log(X_train, X_test, y_train, y_test, serialization="skops", **params):
    """Seed 002's training step: fit, score on the held-out rows, log params, metric and model."""
    model = RandomForestClassifier(random_state=42, **params).fit(X_train, y_train)
    with mlflow.start_run():
        mlflow.log_params(params)
        mlflow.log_metric("test_accuracy", model.score(X_test, y_test))
        extra = {"skops_trusted_types": TREES} if serialization == "skops" else {}
        info = mlflow.sklearn.log_model(model, name="model", registered_model_name="iris", serialization_format=serialization,
                                        input_example=X_train.head(2), pip_requirements=["scikit-learn"], **extra)
    return model, info.registered_model_version


def wait_for_version(url, version, limit):
    wait_until(lambda: requests.get(f"{url}/models/iris", timeout=10).json().get("version") == str(version), limit, f"v{version} served")


def predict(url, rows):
    r = requests.post(f"{url}/models/iris/predict", json=rows.to_dict("records"), timeout=30)
    assert r.status_code == 200, r.text
    return r.headers["x-slipway-model-version"], r.json()["predictions"]


def test_seed_002_train_promote_by_accuracy_and_serve_natively_then_through_python():
    server = SlipwayServer("sqlite", ["--model", "iris@production", "--python", sys.executable, "--python-workers", "2"]).start()
    try:
        use_mlflow(server.url, "iris-seed-002")
        X_train, X_test, y_train, y_test = iris()
        weak, v1 = train_and_log(X_train, X_test, y_train, y_test, n_estimators=3, max_depth=1)
        server.cli("policy", "set", "iris", "--metric", "test_accuracy")
        out = server.cli("promote", "iris").stdout
        assert f"Decision  promote v{v1}" in out, out
        wait_for_version(server.url, v1, limit=10)
        version, answers = predict(server.url, X_test)
        assert version == str(v1) and answers == list(weak.predict(X_test))

        strong, v2 = train_and_log(X_train, X_test, y_train, y_test, n_estimators=100, max_depth=5)
        out = server.cli("promote", "iris").stdout
        assert f"Decision  promote v{v2}" in out and "test_accuracy" in out, out
        wait_for_version(server.url, v2, limit=10)
        version, answers = predict(server.url, X_test)
        assert version == str(v2) and answers == list(strong.predict(X_test))
        described = requests.get(f"{server.url}/models/iris", timeout=10).json()
        assert described["format"] == "sklearn-skops", described

        # The same model cloudpickled: no better, so the policy keeps v2; moved by hand, Python serves it.
        pickled, v3 = train_and_log(X_train, X_test, y_train, y_test, serialization="cloudpickle", n_estimators=100, max_depth=5)
        out = server.cli("promote", "iris").stdout
        assert f"promote v{v3}" not in out, out
        mlflow.MlflowClient().set_registered_model_alias("iris", "production", v3)
        wait_for_version(server.url, v3, limit=90)
        version, answers = predict(server.url, X_test)
        assert version == str(v3) and answers == list(pickled.predict(X_test))
        assert requests.get(f"{server.url}/models/iris", timeout=10).json()["format"] == "python-worker"
        np.testing.assert_array_equal(answers, strong.predict(X_test))
    finally:
        server.stop()
