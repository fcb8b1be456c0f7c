"""Scheduled jobs through the CLI and the API: add, list, run now (a promotion happens and the run
is recorded with its output and duration), history, malformed input. Timing of scheduled runs is
covered by the Swift scheduler tests with a test clock."""
import numpy as np
import pandas as pd
import pytest
import requests

from conftest import BACKENDS, SlipwayServer, use_mlflow
from serving_support import FEATURES, log_candidate

MODEL = "jobbed"


@pytest.fixture(scope="module", params=BACKENDS)
def server(request):
    s = SlipwayServer(request.param).start()
    yield s
    s.stop()


def test_promote_and_evaluate_jobs(server, tmp_path):
    import mlflow
    use_mlflow(server.url, "jobs")
    v1 = log_candidate(MODEL, 0.5, 1)
    server.cli("policy", "set", MODEL, "--metric", "test_mae")
    out = server.cli("jobs", "add", "nightly", "--kind", "promote", "--model", MODEL, "--schedule", "0 2 * * *").stdout
    assert "nightly: promote jobbed at '0 2 * * *', next run" in out and "02:00" in out
    listing = server.cli("jobs", "list").stdout
    assert "nightly" in listing and "0 2 * * *" in listing

    out = server.cli("jobs", "run", "nightly").stdout
    assert out.startswith("succeeded in") and f"promote v{v1}" in out
    assert mlflow.MlflowClient().get_model_version_by_alias(MODEL, "production").version == str(v1)
    runs = requests.get(f"{server.url}/api/v1/jobs/nightly/runs").json()["runs"]
    assert runs[0]["status"] == "succeeded" and runs[0]["trigger"] == "manual" and runs[0]["duration_ms"] >= 0
    assert runs[0]["output"].startswith(f"promote v{v1}")
    decisions = requests.get(f"{server.url}/api/v1/models/{MODEL}/decisions").json()["decisions"]
    assert decisions[0]["actor"] == "job:nightly"

    # An evaluate job scores the production version on a dataset.
    frame = pd.DataFrame(np.random.default_rng(4).normal(size=(50, 4)), columns=FEATURES)
    frame["y"] = frame.f0 * 2
    frame.to_csv(tmp_path / "h.csv", index=False)
    server.cli("datasets", "add", "jobs-holdout", str(tmp_path / "h.csv"), "--target", "y")
    r = requests.post(f"{server.url}/api/v1/jobs", json={"name": "eval", "kind": "evaluate", "model": MODEL, "schedule": "30 3 * * mon", "dataset": "jobs-holdout"})
    assert r.status_code == 201 and r.json()["next_run_at"] > 0
    run = requests.post(f"{server.url}/api/v1/jobs/eval/run").json()
    assert run["status"] == "succeeded" and run["output"].startswith(f"v{v1} on jobs-holdout@1: mae=")
    history = server.cli("jobs", "history", "eval").stdout
    assert "manual" in history and "succeeded" in history

    # Malformed input: clear 400s and CLI errors; nothing half-made.
    for body, message in [({"name": "x", "kind": "promote", "model": MODEL, "schedule": "0 25 * * *"}, "hour"),
                          ({"name": "x", "kind": "train", "model": MODEL, "schedule": "* * * * *"}, "'kind'"),
                          ({"name": "x y", "kind": "promote", "model": MODEL, "schedule": "* * * * *"}, "Job names"),
                          ({"name": "x", "kind": "evaluate", "model": MODEL, "schedule": "* * * * *"}, "dataset"),
                          ({"name": "nightly", "kind": "promote", "model": MODEL, "schedule": "* * * * *"}, "already exists")]:
        r = requests.post(f"{server.url}/api/v1/jobs", json=body)
        assert r.status_code == 400 and message in r.json()["message"], (body, r.text)
    r = server.cli("jobs", "add", "bad", "--kind", "promote", "--model", MODEL, "--schedule", "every day", check=False)
    assert r.returncode != 0 and "5 fields" in r.stderr
    assert server.cli("jobs", "run", "nope", check=False).returncode == 1
    assert [j["name"] for j in requests.get(f"{server.url}/api/v1/jobs").json()["jobs"]] == ["eval", "nightly"]
    server.cli("jobs", "remove", "eval")
    assert requests.post(f"{server.url}/api/v1/jobs/eval/run").status_code == 404
