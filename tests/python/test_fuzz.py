"""Hostile input on every MLflow endpoint: wrong types, nulls, huge numbers, deep nesting, bad
UTF-8. Every answer must be a JSON error or a success, never a 5xx, and the server stays up. The
prediction routes are fuzzed on a server that serves a real xgboost model, so that the bodies are
parsed and predicted, not turned away before."""
import json
import math
import random

import numpy as np
import pytest
import requests

from conftest import BACKENDS, SlipwayServer, use_mlflow
from serving_support import FEATURES, log_version, train, wait_for_version

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
    ("GET", "api/v1/registry/changes"), ("GET", "api/v1/models/fz/versions/1/files"),
]
V1_FIELDS = ["metric", "source", "dataset", "direction", "min_improvement", "improvement", "lookback_days", "required_tags",
             "require_finished_run", "mode", "model", "dry_run", "actor", "version", "url", "events", "secret", "format", "name",
             "kind", "schedule", "specversion", "id", "type", "subject", "time", "data", "status", "max_results", "page_token",
             "after", "timeout_ms", "instances", "inputs", "dataframe_split", "dataframe_records"]


def test_no_input_makes_a_5xx_on_slipways_own_api(server):
    """The same hostile values on /api/v1 (promotion, evaluation, events, webhooks, jobs, the replica
    feed); the prediction routes of a server that serves nothing are JSON 404s."""
    rng = random.Random(11)
    session = requests.Session()
    session.post(f"{server.url}/api/2.0/mlflow/registered-models/create", json={"name": "fz"})
    values = VALUES + ["0 2 * * *", "* * * * * *", "1.0", "run", "evaluation", "holdout@0", "x@1", "promote", "slack",
                       "http://127.0.0.1:9/x", ["ml.model.*"], ["**"], {"k": "v"}, {"k": 1}, -5, 100000]
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
    for path in ["models/fz/predict", "models/fz/invocations", "predict", "invocations"]:
        response = session.post(f"{server.url}/{path}", json={"instances": [[1, 2, 3, 4]]}, timeout=30)
        assert response.status_code == 404 and response.json()["error_code"] and response.json()["message"], (path, response.text[:200])
    assert session.get(f"{server.url}/health", timeout=5).status_code == 200


PREDICTION_ROUTES = ["models/fz/predict", "models/fz/invocations", "predict", "invocations"]
MAX_BATCH_ROWS = 1000


@pytest.fixture(scope="module", params=BACKENDS)
def serving(request):
    """A server that serves `fz@production` (its only, so default, model): a real xgboost version,
    loaded before any request is sent. Yields the server and the booster."""
    from mlflow import MlflowClient
    s = SlipwayServer(request.param, ["--model", "fz@production", "--max-batch-rows", str(MAX_BATCH_ROWS)]).start()
    use_mlflow(s.url, "fuzz")
    booster = train(7)
    s.version = log_version("fz", booster)
    MlflowClient().set_registered_model_alias("fz", "production", s.version)
    wait_for_version(s.url, s.version, name="fz")
    yield s, booster
    s.stop()


class PredictionBodies:
    """Prediction request bodies in every shape the routes read, either valid (numbers and nulls in
    the model's features: the rows are returned to check the answer against xgboost) or hostile
    (wrong types, number-like strings, wrong feature names, wrong widths, nested junk, too many rows;
    `None` is returned for those)."""
    NUMBERS = [0.0, -0.0, 1.5, -3.25, 1e308, -1e308, 5e-324, 2 ** 53, -(2 ** 63), 123456789.125, None]
    STRINGS = ["NaN", "nan", "Infinity", "-inf", "1.5", "", "0x10", "1e999", "null"]
    NAMES = ["F0", "f4", "", "f0 ", "f\u00e9", "instances", "0", "feature"]

    def __init__(self, seed, values):
        self.rng = random.Random(seed)
        self.junk = values + self.STRINGS + [[[1, 2]], [[[None]]], {"f0": {"f1": [1]}}, [{}], [[]], {"columns": FEATURES}]

    def number(self):
        return self.rng.choice(self.NUMBERS) if self.rng.random() < 0.3 else round(self.rng.uniform(-4, 4), 6)

    def hostile_cell(self):
        return self.rng.choice(self.junk + [True, False])

    def valid_rows(self, n):
        return [[self.number() for _ in FEATURES] for _ in range(n)]

    def row_object(self, values):
        row = dict(zip(FEATURES, values))
        if self.rng.random() < 0.3:  # another order, and keys the model does not read
            row = dict(self.rng.sample(list(row.items()), len(row)))
            row["note"] = self.rng.choice(["x", 1, None])
        return row

    def hostile_row(self):
        kind = self.rng.randrange(5)
        values = [self.number() for _ in FEATURES]
        if kind == 0:  # one feature of the wrong type
            values[self.rng.randrange(len(values))] = self.hostile_cell()
            return self.rng.choice([dict(zip(FEATURES, values)), values])
        if kind == 1:  # a feature renamed
            row = dict(zip(FEATURES, values))
            del row[self.rng.choice(FEATURES)]
            row[self.rng.choice(self.NAMES)] = self.number()
            return row
        if kind == 2:  # the wrong width
            return [self.number() for _ in range(self.rng.choice([0, 1, 3, 5, 64]))]
        return self.hostile_cell()

    def rows(self, valid):
        n = self.rng.choice([1, 1, 2, 3, 7, 40])
        if valid:
            return self.valid_rows(n)
        if self.rng.random() < 0.1:  # more rows than the server takes at once, or none
            return self.rng.choice([[], self.valid_rows(MAX_BATCH_ROWS + 1), self.valid_rows(20_000)])
        rows = [self.rng.choice([self.row_object, list])(r) for r in self.valid_rows(n)]
        rows[self.rng.randrange(n)] = self.hostile_row()
        return rows

    def body(self):
        """One body and, if it is valid, its rows in feature order."""
        valid = self.rng.random() < 0.4
        rows = self.rows(valid)
        shape = self.rng.choice(["row", "list", "instances", "inputs", "columns", "dataframe_split", "dataframe_records"])
        as_records = [self.row_object(r) if isinstance(r, list) and len(r) == len(FEATURES) else r for r in rows]
        if not valid and self.rng.random() < 0.15:  # the batch key holds something that is not rows
            return {shape if shape not in ("row", "list", "columns") else "inputs": self.rng.choice(self.junk)}, None
        if shape == "row":
            if valid:
                return self.row_object(rows[0]), rows[:1]
            return self.hostile_row() if self.rng.random() < 0.5 else {**dict.fromkeys(FEATURES, 0.5), **{self.rng.choice(FEATURES): self.hostile_cell()}}, None
        if shape == "list":
            return [self.rng.choice([self.row_object, list])(r) if isinstance(r, list) and len(r) == len(FEATURES) else r for r in rows], valid and rows
        if shape in ("instances", "dataframe_records"):
            return {shape: as_records if shape == "dataframe_records" or self.rng.random() < 0.5 else rows}, valid and rows
        if shape == "inputs":
            return {"inputs": rows}, valid and rows
        if shape == "columns":
            if valid:
                columns = {f: [r[i] for r in rows] for i, f in enumerate(FEATURES)}
                return {"inputs": dict(self.rng.sample(list(columns.items()), len(columns)))}, rows
            columns = {f: [self.number() for _ in range(3)] for f in FEATURES}
            damage = self.rng.randrange(3)
            if damage == 0:
                columns[self.rng.choice(FEATURES)] = self.rng.choice([[1, 2], self.hostile_cell(), [self.hostile_cell()] * 3])
            elif damage == 1:
                del columns[self.rng.choice(FEATURES)]
            else:
                columns[self.rng.choice(self.NAMES)] = columns.pop(self.rng.choice(FEATURES))
            return {"inputs": columns}, None
        # dataframe_split: columns in some order, data to match; or damaged
        order = self.rng.sample(range(len(FEATURES)), len(FEATURES))
        split = {"columns": [FEATURES[i] for i in order],
                 "data": [[r[i] for i in order] if isinstance(r, list) and len(r) == len(FEATURES) else r for r in rows]}
        if self.rng.random() < 0.3:
            split["index"] = list(range(len(rows))) if valid else self.hostile_cell()
        if valid:
            return {"dataframe_split": split}, rows
        damage = self.rng.randrange(4)
        if damage == 0:
            split["columns"] = self.rng.choice([split["columns"][:-1], split["columns"] + ["f9"], self.hostile_cell(), [1, 2, 3, 4]])
        elif damage == 1:
            split["data"] = self.hostile_cell()
        elif damage == 2:
            del split[self.rng.choice(["columns", "data"])]
        return {"dataframe_split": split}, None


def test_no_input_makes_a_5xx_on_the_prediction_routes(serving):
    """Hostile bodies on /models/{name}/predict, /invocations and the default model's routes of a
    server that serves a real model: every answer is a prediction equal to xgboost's (for valid
    bodies) or an MLflow-style JSON error, never a 5xx, and some of each really happen."""
    server, booster = serving
    session = requests.Session()
    bodies = PredictionBodies(13, VALUES)
    statuses = {}
    for path in PREDICTION_ROUTES:
        for _ in range(120):
            body, rows = bodies.body()
            response = session.post(f"{server.url}/{path}", json=body, timeout=30)
            statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
            where = (path, json.dumps(body)[:300], response.status_code, response.text[:300])
            assert response.status_code < 500, where
            if response.status_code >= 400:
                error = response.json()
                assert error["error_code"] and error["message"], where
            if rows:  # valid: answered, by the served version, with xgboost's own predictions
                assert response.status_code == 200, where
            if response.status_code == 200:
                answer = response.json()
                assert answer["version"] == str(server.version) and response.headers["X-Slipway-Model-Version"] == str(server.version), where
                assert all(isinstance(p, (int, float)) and math.isfinite(p) for p in answer["predictions"]), where
            if rows:
                expected = booster.inplace_predict(np.array([[math.nan if v is None else v for v in r] for r in rows], dtype=np.float64))
                np.testing.assert_allclose(answer["predictions"], expected, rtol=1e-5, atol=1e-6, err_msg=str(where))
    print(f"\nprediction routes: {statuses}")
    assert statuses.get(200, 0) >= 50 and statuses.get(400, 0) >= 50, statuses

    # Bodies that are not JSON, or hardly: a JSON error each.
    raw_bodies = [b"", b"{", b"null", b"true", b"\"row\"", b"\xff\xfe\xfd", b'{"instances": [[NaN, 1, 2, 3]]}', b"[[1e999, 0, 0, 0]]",
                  b'{"instances": [[1, 2, 3, 4]]' + b" " * 100, b"[" * 100_000, b'{"a":' * 50_000, b'{"f0": 1, "f0": 2, "f1": 3, "f2": 4}']
    for path in PREDICTION_ROUTES:
        for raw in raw_bodies:
            response = session.post(f"{server.url}/{path}", data=raw, headers={"Content-Type": "application/json"}, timeout=30)
            where = (path, raw[:60], response.status_code, response.text[:300])
            assert response.status_code < 500, where
            if response.status_code >= 400:
                assert response.json()["error_code"] and response.json()["message"], where
    response = session.post(f"{server.url}/models/not-served/predict", json=dict.fromkeys(FEATURES, 1), timeout=30)
    assert response.status_code == 404 and response.json()["error_code"] and response.json()["message"]
    assert session.get(f"{server.url}/health", timeout=5).status_code == 200
    assert session.get(f"{server.url}/models/fz", timeout=5).json()["version"] == str(server.version)
