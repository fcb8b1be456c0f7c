"""Hostile input on every MLflow endpoint: wrong types, nulls, huge numbers, deep nesting, bad
UTF-8. Every answer must be a JSON error or a success, never a 5xx, and the server stays up."""
import json
import random

import requests

ENDPOINTS = [
    ("POST", "experiments/create"), ("GET", "experiments/get"), ("GET", "experiments/get-by-name"),
    ("POST", "experiments/search"), ("POST", "experiments/update"), ("POST", "experiments/delete"),
    ("POST", "experiments/restore"), ("POST", "experiments/set-experiment-tag"), ("POST", "experiments/delete-experiment-tag"),
    ("POST", "runs/create"), ("GET", "runs/get"), ("POST", "runs/update"), ("POST", "runs/delete"), ("POST", "runs/restore"),
    ("POST", "runs/log-parameter"), ("POST", "runs/log-metric"), ("POST", "runs/set-tag"), ("POST", "runs/delete-tag"),
    ("POST", "runs/log-batch"), ("POST", "runs/log-inputs"), ("POST", "runs/outputs"), ("POST", "runs/search"),
    ("GET", "metrics/get-history"), ("POST", "logged-models"), ("POST", "logged-models/search"),
    ("PATCH", "logged-models/m-x"), ("PATCH", "logged-models/m-x/tags"),
    ("POST", "registered-models/create"), ("GET", "registered-models/get"), ("PATCH", "registered-models/update"),
    ("POST", "registered-models/rename"), ("DELETE", "registered-models/delete"), ("GET", "registered-models/search"),
    ("POST", "registered-models/get-latest-versions"), ("POST", "registered-models/set-tag"),
    ("DELETE", "registered-models/delete-tag"), ("POST", "registered-models/alias"), ("GET", "registered-models/alias"),
    ("DELETE", "registered-models/alias"), ("POST", "model-versions/create"), ("GET", "model-versions/get"),
    ("PATCH", "model-versions/update"), ("DELETE", "model-versions/delete"), ("POST", "model-versions/transition-stage"),
    ("POST", "model-versions/set-tag"), ("DELETE", "model-versions/delete-tag"), ("GET", "model-versions/search"),
    ("GET", "model-versions/get-download-uri"), ("POST", "webhooks"), ("PATCH", "webhooks/nope"),
]
FIELDS = ["name", "experiment_id", "run_id", "run_uuid", "key", "value", "timestamp", "step", "metrics", "params", "tags",
          "filter", "max_results", "order_by", "page_token", "version", "alias", "stage", "source", "new_name",
          "experiment_ids", "datasets", "models", "status", "events", "url", "view_type", "run_view_type", "metric_key",
          "archive_existing_versions", "description", "artifact_location", "start_time", "end_time"]
VALUES = [None, True, -1, 0, 2**63, -2**63 - 1, 1e308, -1e308, "", "x", "' OR 1=1 --", "\u0000", "é" * 300, "a" * 10000,
          [], [None], [1, 2], ["x"], [{"key": None}], [{"key": "k", "value": 5}], {}, {"a": {"b": [1]}}, "NaN", "-1",
          "metrics.a <<< 1", "(((", "models:/m-1", "runs:/x/model", "../../etc", [{"entity": 5, "action": []}]]


def test_no_input_makes_a_5xx(server):
    rng = random.Random(7)
    session = requests.Session()
    base = f"{server.url}/api/2.0/mlflow/"
    seen = set()
    for method, path in ENDPOINTS:
        for _ in range(25):
            body = {f: rng.choice(VALUES) for f in rng.sample(FIELDS, rng.randint(1, 6))}
            if method == "GET":
                params = {k: (json.dumps(v) if not isinstance(v, str) else v) for k, v in body.items()}
                response = session.get(base + path, params=params, timeout=30)
            else:
                response = session.request(method, base + path, json=body, timeout=30)
            assert response.status_code < 500, (method, path, body, response.status_code, response.text[:300])
            if response.status_code != 200:
                error = response.json()
                assert error["error_code"] and error["message"], (method, path, body)
            seen.add(response.status_code)
    for raw in [b"", b"{", b"[]", b"null", b"\xff\xfe\xfd", b"{\"a\":" * 5000, b"{\"name\": \"x\"}" * 3]:
        response = session.post(base + "experiments/create", data=raw, headers={"Content-Type": "application/json"}, timeout=30)
        assert response.status_code < 500, (raw[:40], response.text[:200])
    # Numbers no integer can hold, where an integer is read from a JSON number.
    for huge in [1e308, -1e308, 2**63, 2.5]:
        for method, path, body in [("POST", "model-versions/transition-stage", {"name": "m", "version": huge, "stage": "Production"}),
                                   ("POST", "registered-models/alias", {"name": "m", "alias": "a", "version": huge}),
                                   ("PATCH", "model-versions/update", {"name": "m", "version": huge}),
                                   ("POST", "runs/search", {"experiment_ids": ["0"], "run_view_type": huge}),
                                   ("POST", "experiments/search", {"view_type": huge, "max_results": huge})]:
            response = session.request(method, base + path, json=body, timeout=30)
            assert response.status_code == 400 or response.status_code == 404, (path, huge, response.status_code, response.text[:200])
    assert session.get(f"{server.url}/health", timeout=5).status_code == 200
    assert 400 in seen


V1_ENDPOINTS = [
    ("PUT", "api/v1/models/fz/policy"), ("GET", "api/v1/models/fz/policy"), ("POST", "api/v1/models/fz/promote"),
    ("POST", "api/v1/models/fz/approve"), ("POST", "api/v1/models/fz/rollback"), ("GET", "api/v1/models/fz/decisions"),
    ("POST", "api/v1/models/fz/versions/1/evaluate"), ("GET", "api/v1/models/fz/evaluations"), ("GET", "api/v1/datasets"),
    ("POST", "api/v1/webhooks"), ("GET", "api/v1/deliveries"), ("POST", "api/v1/deliveries/x/replay"), ("POST", "api/v1/events"),
    ("GET", "api/v1/events"), ("POST", "api/v1/jobs"), ("GET", "api/v1/jobs/x/runs"), ("POST", "api/v1/jobs/x/run"),
    ("GET", "api/v1/registry/changes"), ("GET", "api/v1/models/fz/versions/1/files"), ("POST", "models/fz/predict"),
    ("POST", "predict"), ("POST", "models/fz/invocations"),
]
V1_FIELDS = ["metric", "source", "dataset", "direction", "min_improvement", "improvement", "lookback_days", "required_tags",
             "require_finished_run", "mode", "model", "dry_run", "actor", "version", "url", "events", "secret", "format", "name",
             "kind", "schedule", "specversion", "id", "type", "subject", "time", "data", "status", "max_results", "page_token",
             "after", "timeout_ms", "instances", "inputs", "dataframe_split", "dataframe_records"]


def test_no_input_makes_a_5xx_on_slipways_own_api(server):
    """The same hostile values on /api/v1 (promotion, evaluation, events, webhooks, jobs, the replica
    feed) and the prediction routes."""
    rng = random.Random(11)
    session = requests.Session()
    session.post(f"{server.url}/api/2.0/mlflow/registered-models/create", json={"name": "fz"})
    values = VALUES + ["0 2 * * *", "* * * * * *", "1.0", "run", "evaluation", "holdout@0", "x@1", "promote", "slack",
                       "http://127.0.0.1:9/x", ["model.*"], ["**"], {"k": "v"}, {"k": 1}, -5, 100000]
    for method, path in V1_ENDPOINTS:
        for _ in range(25):
            body = {f: rng.choice(values) for f in rng.sample(V1_FIELDS, rng.randint(1, 6))}
            if method == "GET":
                params = {k: (json.dumps(v) if not isinstance(v, str) else v) for k, v in body.items()}
                if "timeout_ms" in params:
                    params["timeout_ms"] = "0"  # the long poll would otherwise hold the test
                response = session.get(f"{server.url}/{path}", params=params, timeout=30)
            else:
                response = session.request(method, f"{server.url}/{path}", json=body, timeout=30)
            assert response.status_code < 500, (method, path, body, response.status_code, response.text[:300])
            if response.status_code >= 400:
                error = response.json()
                assert error["error_code"] and error["message"], (method, path, body)
    for raw in [b"", b"{", b"[]", b"null", b"\xff\xfe\xfd", b"{\"a\":" * 5000]:
        for path in ["api/v1/models/fz/policy", "api/v1/datasets/fz?target=y"]:
            response = session.put(f"{server.url}/{path}", data=raw, headers={"Content-Type": "application/json"}, timeout=30)
            assert response.status_code < 500, (path, raw[:40], response.text[:200])
    assert session.get(f"{server.url}/health", timeout=5).status_code == 200
