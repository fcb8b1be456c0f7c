"""Every error case of traces/errors.jsonl answers with MLflow's error_code and status; bad input
of every kind gets a clear JSON error, never a crash, and nothing already stored is harmed."""
import http.client
import json

import mlflow
import pytest
import requests
from mlflow.exceptions import MlflowException

from conftest import unique

ZERO = "0" * 32


@pytest.fixture()
def seeded(client):
    """A model, an experiment and a run that every bad request must leave untouched."""
    name = unique("iris-classifier")
    client.create_registered_model(name)
    mlflow.set_experiment(unique("errors"))
    with mlflow.start_run() as run:
        mlflow.log_param("model_type", "xgb")
        mlflow.log_metric("m", 1.0)
        mlflow.log_text("keep me", "keep.txt")
    client.create_model_version(name, f"runs:/{run.info.run_id}/model", run_id=run.info.run_id)
    return {"model": name, "run": run.info.run_id, "experiment": run.info.experiment_id}


def api(server, method, path, **kwargs):
    return requests.request(method, f"{server.url}/api/2.0/mlflow/{path}", timeout=30, **kwargs)


CASES = [
    # (method, path, kwargs, status, error_code)
    ("GET", "runs/get", {"params": {"run_id": ZERO, "run_uuid": ZERO}}, 404, "RESOURCE_DOES_NOT_EXIST"),
    ("GET", "registered-models/get", {"params": {"name": "no-such-model"}}, 404, "RESOURCE_DOES_NOT_EXIST"),
    ("GET", "experiments/get", {"params": {"experiment_id": "987654"}}, 404, "RESOURCE_DOES_NOT_EXIST"),
    ("GET", "experiments/get-by-name", {"params": {"experiment_name": "nope-nope"}}, 404, "RESOURCE_DOES_NOT_EXIST"),
    ("POST", "runs/search", {"json": {"experiment_ids": ["0"], "filter": "metrics.test_mae <<< 10"}}, 400, "INVALID_PARAMETER_VALUE"),
    ("POST", "runs/create", {"json": {"experiment_id": "987654"}}, 404, "RESOURCE_DOES_NOT_EXIST"),
    ("GET", "runs/get", {}, 400, "INVALID_PARAMETER_VALUE"),
    ("POST", "runs/log-metric", {"json": {"run_id": ZERO, "key": "a", "value": "abc", "timestamp": 1}}, 400, "INVALID_PARAMETER_VALUE"),
    ("POST", "runs/log-batch", {"data": "{not json"}, 400, "BAD_REQUEST"),
    ("POST", "runs/log-batch", {"data": "[1, 2]"}, 400, "BAD_REQUEST"),
    ("POST", "runs/log-batch", {"data": b"\xff\xfe"}, 400, "BAD_REQUEST"),
    ("POST", "experiments/create", {"json": {"name": 5}}, 400, "INVALID_PARAMETER_VALUE"),
    ("POST", "experiments/create", {"json": {}}, 400, "INVALID_PARAMETER_VALUE"),
    ("POST", "runs/log-batch", {"json": {"run_id": ZERO, "metrics": "nope"}}, 400, "INVALID_PARAMETER_VALUE"),
    ("POST", "runs/log-batch", {"json": {"run_id": ZERO, "metrics": [{"key": "a"}]}}, 400, "INVALID_PARAMETER_VALUE"),
    ("POST", "runs/search", {"json": {"experiment_ids": ["0"], "max_results": "many"}}, 400, "INVALID_PARAMETER_VALUE"),
    ("POST", "runs/search", {"json": {"experiment_ids": ["0"], "page_token": "garbage!"}}, 400, "INVALID_PARAMETER_VALUE"),
    ("GET", "model-versions/get", {"params": {"name": "x", "version": "one"}}, 400, "INVALID_PARAMETER_VALUE"),
    ("POST", "model-versions/transition-stage", {"json": {"name": "x", "version": "1", "stage": "Prod"}}, 400, "INVALID_PARAMETER_VALUE"),
    ("GET", "no-such-endpoint", {}, 404, "ENDPOINT_NOT_FOUND"),
]


@pytest.mark.parametrize("method,path,kwargs,status,code", CASES, ids=[f"{c[0]} {c[1]} {c[3]}" for c in CASES])
def test_error_cases(server, seeded, method, path, kwargs, status, code):
    response = api(server, method, path, **kwargs)
    assert response.status_code == status, response.text
    body = response.json()
    assert body["error_code"] == code
    assert body["message"]


def test_client_errors_match_mlflow(client, seeded):
    cases = [
        (lambda: client.get_model_version(seeded["model"], "999"), "RESOURCE_DOES_NOT_EXIST"),
        (lambda: client.get_model_version_by_alias(seeded["model"], "nope"), "INVALID_PARAMETER_VALUE"),
        (lambda: client.log_param(seeded["run"], "model_type", "something-else"), "INVALID_PARAMETER_VALUE"),
        (lambda: client.create_registered_model(seeded["model"]), "RESOURCE_ALREADY_EXISTS"),
        (lambda: client.create_experiment(client.get_experiment(seeded["experiment"]).name), "RESOURCE_ALREADY_EXISTS"),
        (lambda: client.get_run(ZERO), "RESOURCE_DOES_NOT_EXIST"),
    ]
    for call, code in cases:
        with pytest.raises(MlflowException) as err:
            call()
        assert err.value.error_code == code


def test_wrong_method_is_405(server):
    assert api(server, "GET", "runs/create").status_code == 405


def test_huge_body_is_413_and_server_survives(server, seeded):
    response = api(server, "POST", "runs/log-batch", data=b"x" * (20 << 20), headers={"Content-Type": "application/json"})
    assert response.status_code == 413
    assert response.json()["error_code"] == "REQUEST_LIMIT_EXCEEDED"
    assert api(server, "GET", "runs/get", params={"run_id": seeded["run"]}).status_code == 200


@pytest.mark.parametrize("raw", ["1/../../../etc/passwd", "1/%2E%2E/%2E%2E/escape.txt", "1/x/..%2F..%2F..%2Fescape", "%2Fetc%2Fpasswd"])
def test_artifact_paths_cannot_escape(server, seeded, raw):
    # http.client sends the path as given (requests would normalize `..` away).
    host, port = server.url.removeprefix("http://").split(":")
    for method in ("PUT", "GET"):
        connection = http.client.HTTPConnection(host, int(port), timeout=10)
        connection.request(method, f"/api/2.0/mlflow-artifacts/artifacts/{raw}", body=b"evil" if method == "PUT" else None)
        response = connection.getresponse()
        body = response.read()
        assert response.status in (400, 404), (method, raw, response.status, body)
        assert json.loads(body)["error_code"] in ("INVALID_PARAMETER_VALUE", "ENDPOINT_NOT_FOUND", "RESOURCE_DOES_NOT_EXIST")
        connection.close()
    listing = requests.get(f"{server.url}/api/2.0/mlflow-artifacts/artifacts", params={"path": "../.."}, timeout=10)
    assert listing.status_code == 400


def test_bad_input_harms_nothing(client, server, seeded):
    for method, path, kwargs, _, _ in CASES:
        api(server, method, path, **kwargs)
    run = client.get_run(seeded["run"])
    assert run.data.params == {"model_type": "xgb"}
    assert run.data.metrics == {"m": 1.0}
    assert mlflow.artifacts.load_text(run.info.artifact_uri + "/keep.txt") == "keep me"
    assert client.get_model_version(seeded["model"], "1").run_id == seeded["run"]
