"""Models Slipway cannot read natively, served through Python worker processes (`--python`):
a cloudpickled scikit-learn model and a custom pyfunc give the predictions Python gives, behind
the same serving API; a worker killed with kill -9 under load costs at most the requests it was
answering (a clear 503, never a hang), the pool recovers, and the alias is still followed."""
import os
import signal
import subprocess
import sys
import threading

import mlflow
import mlflow.pyfunc
import mlflow.sklearn
import numpy as np
import pandas as pd
import requests
from sklearn.ensemble import RandomForestClassifier

from conftest import BINARY, SlipwayServer, use_mlflow, wait_until

COLUMNS = ["sepal_length", "sepal_width", "petal_length", "petal_width"]
PYTHON = sys.executable


def run(*args):
    return subprocess.run([str(BINARY), *map(str, args)], capture_output=True, text=True, timeout=120)


def data(seed, rows):
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(rng.normal(size=(rows, 4)) * [0.8, 0.4, 1.7, 0.7] + [5.8, 3.0, 3.7, 1.2], columns=COLUMNS)
    y = np.digitize(X.petal_length + X.petal_width, [3.5, 6.0])
    return X, y


class Doubler(mlflow.pyfunc.PythonModel):
    def predict(self, context, model_input, params=None):
        return pd.DataFrame({"double": model_input["a"] * 2 + model_input["b"], "label": 1.0})


def worker_pids(parent):
    out = subprocess.run(["pgrep", "-P", str(parent), "-f", "slipway-python-worker"], capture_output=True, text=True).stdout
    return [int(p) for p in out.split()]


def test_cloudpickle_and_custom_pyfunc_models_predict_through_workers(tmp_path):
    X, y = data(1, 400)
    labels = np.array(["setosa", "versicolor", "virginica"])[y]
    model = RandomForestClassifier(n_estimators=20, random_state=0).fit(X, labels)
    mlflow.sklearn.save_model(model, str(tmp_path / "pickled"), serialization_format="cloudpickle", pip_requirements=["scikit-learn"],
                              input_example=X.head(2))
    test, _ = data(2, 300)
    test.to_csv(tmp_path / "input.csv", index=False)
    refused = run("predict", "--model", tmp_path / "pickled", "--input", tmp_path / "input.csv")
    assert refused.returncode == 1 and "only Python can read" in refused.stderr, refused.stderr
    result = run("predict", "--model", tmp_path / "pickled", "--input", tmp_path / "input.csv", "--python", PYTHON, "--output", tmp_path / "out.csv")
    assert result.returncode == 0, result.stderr
    assert list(pd.read_csv(tmp_path / "out.csv").prediction) == list(model.predict(test))
    inspect = run("model", "inspect", tmp_path / "pickled", "--python", PYTHON)
    assert inspect.returncode == 0 and "python-worker" in inspect.stdout and "mlflow.sklearn" in inspect.stdout, inspect.stdout + inspect.stderr

    frame = pd.DataFrame({"a": [1.5, 2.0, -3.0], "b": [0.25, 1.0, 2.0]})
    import cloudpickle
    cloudpickle.register_pickle_by_value(sys.modules[__name__])  # the worker cannot import this test module
    mlflow.pyfunc.save_model(str(tmp_path / "custom"), python_model=Doubler(), input_example=frame, pip_requirements=["pandas"])
    frame.to_csv(tmp_path / "custom.csv", index=False)
    result = run("predict", "--model", tmp_path / "custom", "--input", tmp_path / "custom.csv", "--python", PYTHON, "--output", tmp_path / "custom-out.csv")
    assert result.returncode == 0, result.stderr
    got = pd.read_csv(tmp_path / "custom-out.csv")
    np.testing.assert_allclose(got.to_numpy(), [[3.25, 1], [5.0, 1], [-4.0, 1]])

    bad = run("predict", "--model", tmp_path / "pickled", "--input", tmp_path / "input.csv", "--python", "/nonexistent/python")
    assert bad.returncode == 1 and "Cannot start the Python interpreter" in bad.stderr, bad.stderr


def test_worker_pool_serves_survives_kill_9_and_follows_the_alias():
    server = SlipwayServer("sqlite", ["--model", "iris@production", "--python", PYTHON, "--python-workers", "2", "--python-timeout", "10"]).start()
    try:
        use_mlflow(server.url, "python-workers")
        client = mlflow.MlflowClient()
        X, y = data(1, 600)
        pickled = RandomForestClassifier(n_estimators=30, random_state=0).fit(X, y)
        with mlflow.start_run():
            info = mlflow.sklearn.log_model(pickled, name="model", registered_model_name="iris", serialization_format="cloudpickle",
                                            input_example=X.head(2), pip_requirements=["scikit-learn"])
        client.set_registered_model_alias("iris", "production", info.registered_model_version)
        wait_until(lambda: requests.get(f"{server.url}/models/iris", timeout=10).json().get("version") == "1", 90, "v1 served through Python")
        described = requests.get(f"{server.url}/models/iris", timeout=10).json()
        assert described["format"] == "python-worker", described
        test, _ = data(2, 50)
        body = test.to_dict("records")
        r = requests.post(f"{server.url}/models/iris/predict", json=body, timeout=30)
        assert r.status_code == 200 and r.headers["x-slipway-model-version"] == "1", r.text
        np.testing.assert_array_equal(r.json()["predictions"], pickled.predict(test))
        wait_until(lambda: len(worker_pids(server.process.pid)) == 2, 60, "both workers up")

        # Load from 8 threads; one worker is killed with kill -9 in the middle of it.
        statuses, stop = [], threading.Event()

        def load():
            session = requests.Session()
            while not stop.is_set():
                try:
                    statuses.append(session.post(f"{server.url}/models/iris/predict", json=body[:5], timeout=20).status_code)
                except requests.RequestException as e:  # a hang past 20 s would land here
                    statuses.append(repr(e))

        threads = [threading.Thread(target=load) for _ in range(8)]
        for t in threads:
            t.start()
        wait_until(lambda: len(statuses) >= 50, 60, "load under way")
        victim = worker_pids(server.process.pid)[0]
        os.kill(victim, signal.SIGKILL)
        killed_at = len(statuses)
        wait_until(lambda: len(statuses) >= killed_at + 150, 90, "load after the kill")
        stop.set()
        for t in threads:
            t.join(30)
        assert all(isinstance(s, int) for s in statuses), [s for s in statuses if not isinstance(s, int)][:3]
        assert set(statuses) <= {200, 503}, set(statuses)
        assert statuses.count(200) > 50 and statuses.count(503) <= 8, (statuses.count(200), statuses.count(503))
        wait_until(lambda: len(worker_pids(server.process.pid)) == 2 and victim not in worker_pids(server.process.pid), 60, "the pool replaced its worker")
        for _ in range(20):
            assert requests.post(f"{server.url}/models/iris/predict", json=body[:3], timeout=30).status_code == 200

        # The alias still moves the served version: a natively served skops version takes over.
        native = RandomForestClassifier(n_estimators=10, random_state=1).fit(X, y)
        with mlflow.start_run():
            info = mlflow.sklearn.log_model(native, name="model", registered_model_name="iris", skops_trusted_types=["sklearn.tree._tree.Tree"],
                                            input_example=X.head(2), pip_requirements=["scikit-learn"])
        client.set_registered_model_alias("iris", "production", info.registered_model_version)
        wait_until(lambda: requests.get(f"{server.url}/models/iris", timeout=10).json().get("version") == "2", 60, "v2 served")
        r = requests.post(f"{server.url}/models/iris/predict", json=body, timeout=30)
        assert r.status_code == 200 and r.headers["x-slipway-model-version"] == "2", r.text
        np.testing.assert_array_equal(r.json()["predictions"], native.predict(test))
        assert requests.get(f"{server.url}/models/iris", timeout=10).json()["format"] == "sklearn-skops"
    finally:
        server.stop()


class SlowCounter(mlflow.pyfunc.PythonModel):
    """Answers each row's value doubled and the number of rows in the call, slowly."""

    def predict(self, context, model_input, params=None):
        import time
        time.sleep(0.2)
        return pd.DataFrame({"double": model_input["a"] * 2, "rows": float(len(model_input))})


def test_waiting_requests_are_coalesced_into_one_call_and_answered_each_with_its_own_rows():
    server = SlipwayServer("sqlite", ["--model", "slow@production", "--python", PYTHON, "--python-workers", "1", "--python-timeout", "20"]).start()
    try:
        use_mlflow(server.url, "python-coalescing")
        import cloudpickle
        cloudpickle.register_pickle_by_value(sys.modules[__name__])
        frame = pd.DataFrame({"a": [1.0, 2.0]})
        with mlflow.start_run():
            info = mlflow.pyfunc.log_model(name="model", python_model=SlowCounter(), input_example=frame, registered_model_name="slow",
                                           pip_requirements=["pandas"])
        mlflow.MlflowClient().set_registered_model_alias("slow", "production", info.registered_model_version)
        wait_until(lambda: requests.get(f"{server.url}/models/slow", timeout=10).json().get("version") == "1", 90, "v1 served through Python")
        results = {}

        def ask(k):
            rows = [{"a": float(k)}, {"a": float(k) + 0.5}] if k % 2 else [{"a": float(k)}]
            r = requests.post(f"{server.url}/models/slow/predict", json=rows, timeout=60)
            results[k] = (rows, r.status_code, r.json())

        threads = [threading.Thread(target=ask, args=(k,)) for k in range(12)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(90)
        assert len(results) == 12
        largest = 0
        for k, (rows, status, body) in results.items():
            assert status == 200, body
            answers = body["predictions"]
            assert [a[0] for a in answers] == [row["a"] * 2 for row in rows], (k, answers)
            largest = max(largest, answers[0][1])
        # One worker, 200 ms a call, twelve requests at once: the ones that waited ran together.
        assert largest > 2, results
    finally:
        server.stop()
