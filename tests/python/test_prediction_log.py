"""The log of served predictions: every answered request, errors included, with its request id
(the client's or a new one, echoed on the response), the version that answered, the rows and the
outputs; read back through `GET /api/v1/models/{name}/predictions` and `slipway predictions`.
With its PostgreSQL stopped, the server keeps answering and counts what it cannot log; once the
database is back, logging resumes."""
import csv
import json
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import mlflow
import pytest
import requests
import xgboost as xgb
import pandas as pd

from conftest import BACKENDS, POSTGRES_URL, ROOT, SlipwayServer, use_mlflow, wait_until
from serving_support import FEATURES, log_version, metric_samples, train, wait_for_version

MODEL = "logged"


@pytest.fixture(scope="module", params=BACKENDS)
def server(request):
    s = SlipwayServer(request.param, ["--model", f"{MODEL}@production"]).start()
    yield s
    s.stop()


def all_served(url, name=MODEL, **params):
    """Every served prediction of `name` in the log, following the pages."""
    found, token = [], None
    while True:
        query = {"kind": "served", "limit": 5000, **params, **({"page_token": token} if token else {})}
        r = requests.get(f"{url}/api/v1/models/{name}/predictions", params=query, timeout=30)
        assert r.status_code == 200, r.text
        body = r.json()
        found += body["predictions"]
        token = body.get("next_page_token")
        if not token:
            return found


def test_ten_thousand_requests_across_an_alias_flip(server):
    use_mlflow(server.url, "prediction-log")
    b1, b2 = train(1), train(2)
    v1 = log_version(MODEL, b1)
    client = mlflow.MlflowClient()
    client.set_registered_model_alias(MODEL, "production", str(v1))
    wait_for_version(server.url, v1, MODEL, limit=30)
    v2 = log_version(MODEL, b2)

    answered = {}
    rows = [dict(zip(FEATURES, (i % 7 / 7, -i % 5 / 5, 0.25, None if i % 11 == 0 else 1.5))) for i in range(20)]
    with requests.Session() as session:
        def post(i):
            r = session.post(f"{server.url}/models/{MODEL}/predict", json=[rows[i % 20]], headers={"X-Request-Id": f"req-{i:05d}"}, timeout=10)
            assert r.status_code == 200 and r.headers["X-Request-Id"] == f"req-{i:05d}", r.text
            answered[f"req-{i:05d}"] = (int(r.json()["version"]), r.json()["predictions"][0], rows[i % 20])
        for i in range(5000):
            post(i)
        client.set_registered_model_alias(MODEL, "production", str(v2))
        wait_for_version(server.url, v2, MODEL, limit=30)
        for i in range(5000, 10_000):
            post(i)

    logged = wait_until(lambda: (lambda found: found if len([p for p in found if p["id"].startswith("req-")]) >= 10_000 else None)(all_served(server.url)),
                        timeout=60, message="10,000 logged requests")
    ours = {p["id"]: p for p in logged if p["id"].startswith("req-")}
    assert len(ours) == 10_000
    assert {int(p["version"]) for p in ours.values()} == {v1, v2}
    for rid, (version, prediction, row) in answered.items():
        entry = ours[rid]
        assert int(entry["version"]) == version and entry["status"] == 200 and entry["error"] is None
        assert entry["outputs"] == [prediction]
        assert entry["inputs"] == [[row[f] for f in FEATURES]]  # missing stays null
        assert entry["latency_ms"] >= 0
    by_version = all_served(server.url, version=v1)
    assert {p["version"] for p in by_version} == {str(v1)}

    # Errors are logged too; a request without an id gets one, echoed and logged.
    r = requests.post(f"{server.url}/models/{MODEL}/predict", data=b"{not json", headers={"Content-Type": "application/json", "X-Request-Id": "bad-1"})
    assert r.status_code == 400 and r.headers["X-Request-Id"] == "bad-1"
    r = requests.post(f"{server.url}/models/{MODEL}/predict", json=[rows[0]])
    generated = r.headers["X-Request-Id"]
    assert r.status_code == 200 and generated
    found = wait_until(lambda: (lambda f: f if len(f) == 2 else None)({p["id"]: p for p in all_served(server.url, since="10m") if p["id"] in ("bad-1", generated)}),
                       message="the error and the generated id in the log")
    assert found["bad-1"]["status"] == 400 and "JSON" in found["bad-1"]["error"] and found["bad-1"]["inputs"] is None
    assert found[generated]["status"] == 200
    missing = requests.get(f"{server.url}/models/nosuch/predict", headers={"X-Request-Id": "x-1"})
    assert missing.headers["X-Request-Id"] == "x-1"


def test_reading_back_from_the_cli(server, tmp_path):
    out = server.cli("predictions", "list", MODEL, "--since", "1h", "--kind", "served", "--limit", "3").stdout
    assert "served" in out and "TIME (UTC)" in out
    lines = server.cli("predictions", "list", MODEL, "--since", "1h", "--limit", "5", "--json").stdout.splitlines()
    assert len(lines) == 5 and all(json.loads(line)["model"] == MODEL for line in lines)
    target = tmp_path / "served.csv"
    out = server.cli("predictions", "export", MODEL, "--since", "1d", "--kind", "served", "--output", str(target)).stdout
    with open(target) as f:
        exported = list(csv.DictReader(f))
    assert f"{len(exported)} predictions of {MODEL} written to {target}" in out and len(exported) >= 10_002
    first = next(row for row in reversed(exported) if row["id"] == "req-00000")
    assert json.loads(first["inputs"])[0][:3] == [0, 0, 0.25] and first["status"] == "200" and first["error"] == ""
    bad = server.cli("predictions", "list", MODEL, "--since", "yesterday", check=False)
    assert bad.returncode != 0 and "--since" in bad.stderr
    r = requests.get(f"{server.url}/api/v1/models/{MODEL}/predictions", params={"page_token": "nonsense"})
    assert r.status_code == 400 and r.json()["error_code"] == "INVALID_PARAMETER_VALUE"


@pytest.mark.skipif(not POSTGRES_URL, reason="needs PostgreSQL")
def test_serving_goes_on_while_the_database_is_down(tmp_path):
    script = ROOT / "scripts" / "postgres.sh"
    env = dict(line.removeprefix("export ").split("=", 1) for line in subprocess.run(
        [str(script), "start"], capture_output=True, text=True, check=True).stdout.splitlines())
    server = SlipwayServer("postgres", ["--model", f"{MODEL}@production", "--prediction-log-queue", "500"])
    server.database_url = env["SLIPWAY_TEST_POSTGRES_URL"]
    try:
        server.start()
        use_mlflow(server.url, "prediction-log-outage")
        version = log_version(MODEL, train(3))
        mlflow.MlflowClient().set_registered_model_alias(MODEL, "production", str(version))
        wait_for_version(server.url, version, MODEL, limit=30)

        def send(prefix, count):
            with requests.Session() as session:
                for i in range(count):
                    start = time.monotonic()
                    r = session.post(f"{server.url}/models/{MODEL}/predict", json=[dict.fromkeys(FEATURES, 0.5)],
                                     headers={"X-Request-Id": f"{prefix}-{i}"}, timeout=10)
                    assert r.status_code == 200 and time.monotonic() - start < 2, (r.status_code, r.text)

        def metric(name):
            text = requests.get(f"{server.url}/metrics", timeout=5).text
            return sum(v for n, _, v in metric_samples(text) if n == name)

        send("before", 100)
        wait_until(lambda: len([p for p in all_served(server.url) if p["id"].startswith("before-")]) == 100, timeout=30, message="the first 100 logged")
        subprocess.run([str(script), "pause", env["SLIPWAY_PG_DIR"]], check=True)
        send("during", 1500)
        assert metric("slipway_prediction_log_dropped_total") >= 1000
        subprocess.run([str(script), "resume", env["SLIPWAY_PG_DIR"]], check=True)
        # What the queue held while the database was down is written first.
        wait_until(lambda: metric("slipway_prediction_log_queue_depth") == 0, timeout=60, message="the queue to drain")
        send("after", 100)
        wait_until(lambda: len([p for p in all_served(server.url) if p["id"].startswith("after-")]) == 100, timeout=60,
                   message="logging to resume after the database came back")
        during = [p for p in all_served(server.url) if p["id"].startswith("during-")]
        assert len(during) <= 500  # at most what the queue held
    finally:
        server.stop()
        subprocess.run([str(script), "stop", env["SLIPWAY_PG_DIR"]], check=False)
