"""A dry run changes nothing: `slipway promote --dry-run` and `{"dry_run": true}` with an evaluation
policy score the versions not scored yet, but write no evaluation, run metric, event or webhook
delivery (every table is compared before and after); a version that cannot be scored says why."""
import sqlite3
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import requests
import xgboost as xgb

from conftest import BACKENDS, SlipwayServer, unique, use_mlflow

FEATURES = ["a", "b", "c"]


@pytest.fixture(scope="module", params=BACKENDS)
def server(request):
    s = SlipwayServer(request.param).start()
    yield s
    s.stop()


def snapshot(server):
    """Every row of every table of the server's database, as sorted text per table."""
    tables = {}
    if server.database_url:
        names = subprocess.run(
            ["psql", server.database_url, "-At", "-c",
             "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1"],
            check=True, capture_output=True, text=True).stdout.split()
        for name in names:
            rows = subprocess.run(["psql", server.database_url, "-At", "-c", f'SELECT * FROM "{name}"'],
                                  check=True, capture_output=True, text=True).stdout.splitlines()
            tables[name] = sorted(rows)
    else:
        with sqlite3.connect(Path(server.data_dir, "slipway.db")) as db:
            names = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY 1")]
            for name in names:
                tables[name] = sorted(repr(row) for row in db.execute(f'SELECT * FROM "{name}"'))
    assert len(tables) >= 20, tables.keys()
    return tables


def register(name, seed):
    import mlflow
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(rng.normal(size=(300, 3)), columns=FEATURES)
    y = X.a * 3 - X.b + rng.normal(scale=0.3 + seed * 0.2, size=300)
    booster = xgb.train({"objective": "reg:squarederror", "max_depth": 3, "seed": seed}, xgb.DMatrix(X, label=y), 10 + 10 * seed)
    with mlflow.start_run():
        info = mlflow.xgboost.log_model(booster, name="model", registered_model_name=name)
    return int(info.registered_model_version)


def test_dry_runs_write_nothing_and_name_what_failed(server, tmp_path):
    use_mlflow(server.url, "dry-run")
    name = unique("dry")
    versions = [register(name, seed) for seed in range(3)]
    rng = np.random.default_rng(99)
    holdout = pd.DataFrame(rng.normal(size=(200, 3)), columns=FEATURES)
    holdout["y"] = holdout.a * 3 - holdout.b
    csv = Path(tmp_path, "holdout.csv")
    holdout.to_csv(csv, index=False)
    dataset = unique("holdout")
    server.cli("datasets", "add", dataset, str(csv), "--target", "y")
    server.cli("policy", "set", name, "--metric", "rmse", "--dataset", dataset)
    # A webhook that wants every event: any event written would queue a delivery row too.
    assert requests.post(f"{server.url}/api/v1/webhooks", json={"url": "http://127.0.0.1:9/hook", "events": ["*"]}).status_code in (200, 201)

    # The newest version's model file is changed on disk after upload: it cannot be scored.
    uri = requests.get(f"{server.url}/api/2.0/mlflow/model-versions/get-download-uri",
                       params={"name": name, "version": versions[-1]}).json()["artifact_uri"]
    model_file = Path(server.data_dir, "artifacts", uri.removeprefix("mlflow-artifacts:/"), "model.ubj")
    model_file.write_bytes(model_file.read_bytes() + b" ")

    before = snapshot(server)
    cli = server.cli("promote", name, "--dry-run")
    assert "Dry run: nothing changed." in cli.stdout
    answer = requests.post(f"{server.url}/api/v1/models/{name}/promote", json={"dry_run": True})
    assert answer.status_code == 200, answer.text
    after = snapshot(server)
    changed = {t for t in before if before[t] != after.get(t)}
    assert not changed, {t: (before[t], after.get(t)) for t in changed}

    decision = answer.json()["decision"]
    assert answer.json()["applied"] is False and decision["action"] == "promote"
    rows = {row["version"]: row for row in decision["considered"]}
    broken = rows[str(versions[-1])]
    assert not broken["eligible"]
    assert f"could not be scored on {dataset}@1" in broken["note"] and "digest" in broken["note"], broken
    assert "run logged no" not in broken["note"]
    assert all(rows[str(v)]["value"] is not None for v in versions[:-1])
    assert f"could not be scored on {dataset}@1" in cli.stdout

    # The real promotion records what it scored, and still says why v3 is out.
    applied = requests.post(f"{server.url}/api/v1/models/{name}/promote", json={}).json()
    assert applied["applied"] is True
    evaluations = requests.get(f"{server.url}/api/v1/models/{name}/evaluations").json()["evaluations"]
    assert sorted(int(e["version"]) for e in evaluations) == versions[:-1]
    assert "could not be scored" in {r["version"]: r for r in applied["decision"]["considered"]}[str(versions[-1])]["note"]
