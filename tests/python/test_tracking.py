"""The tracking flow of the recorded trace (traces/tracking.jsonl) with the real mlflow client."""
import json
import os
import time

import mlflow
import pandas as pd
import pytest
from mlflow.entities import Metric, Param, RunTag

from conftest import unique


def test_tracking_flow_with_steps_tags_artifacts_and_inputs(client, tmp_path):
    name = unique("bike-demand")
    experiment = mlflow.set_experiment(name)
    assert experiment.artifact_location == f"mlflow-artifacts:/{experiment.experiment_id}"

    data = tmp_path / "data.csv"
    data.write_text("a,b\n1,2\n3,4\n")
    with mlflow.start_run(run_name="xgb-baseline") as run:
        mlflow.log_param("model_type", "xgb")
        mlflow.log_params({"max_depth": 6, "eta": 0.1})
        for step, loss in enumerate([1.0, 0.5, 0.3333]):
            mlflow.log_metric("train_loss", loss, step=step)
        mlflow.log_metrics({"test_mae": 7.25, "test_rmse": 9.5})
        client.log_batch(run.info.run_id, metrics=[Metric("val_loss", 0.4, int(time.time() * 1000), 3)],
                         params=[Param("seed", "42")], tags=[RunTag("stage", "dev")])
        mlflow.set_tag("team", "forecasting")
        mlflow.set_tags({"owner": "ana", "priority": "high"})
        mlflow.log_dict({"features": ["temp", "hour"]}, "config/features.json")
        mlflow.log_text("read me", "notes/readme.txt")
        mlflow.log_artifact(str(data))
        mlflow.log_artifact(str(data), artifact_path="data")
        mlflow.log_input(mlflow.data.from_pandas(pd.DataFrame({"a": [1, 2]}), name="train"), context="training")

    got = client.get_run(run.info.run_id)
    assert got.info.status == "FINISHED"
    assert got.info.run_name == "xgb-baseline"
    assert got.info.end_time and got.info.end_time >= got.info.start_time
    assert got.data.params == {"model_type": "xgb", "max_depth": "6", "eta": "0.1", "seed": "42"}
    # runs/get carries only the latest value of each metric.
    assert got.data.metrics == {"train_loss": 0.3333, "test_mae": 7.25, "test_rmse": 9.5, "val_loss": 0.4}
    for key, value in {"team": "forecasting", "owner": "ana", "priority": "high", "stage": "dev", "mlflow.runName": "xgb-baseline"}.items():
        assert got.data.tags[key] == value
    assert [d.dataset.name for d in got.inputs.dataset_inputs] == ["train"]
    assert any(t.key == "mlflow.data.context" and t.value == "training" for t in got.inputs.dataset_inputs[0].tags)

    history = client.get_metric_history(run.info.run_id, "train_loss")
    assert [(m.step, m.value) for m in history] == [(0, 1.0), (1, 0.5), (2, 0.3333)]

    top = {a.path: a.is_dir for a in client.list_artifacts(run.info.run_id)}
    assert top == {"config": True, "data": True, "data.csv": False, "notes": True}
    assert [a.path for a in client.list_artifacts(run.info.run_id, "data")] == ["data/data.csv"]
    one = mlflow.artifacts.download_artifacts(run_id=run.info.run_id, artifact_path="data/data.csv", dst_path=str(tmp_path / "dl1"))
    assert open(one).read() == data.read_text()
    folder = mlflow.artifacts.download_artifacts(run_id=run.info.run_id, artifact_path="config", dst_path=str(tmp_path / "dl2"))
    assert json.load(open(os.path.join(folder, "features.json"))) == {"features": ["temp", "hour"]}
    assert mlflow.artifacts.load_text(f"{got.info.artifact_uri}/notes/readme.txt") == "read me"


def test_failed_run_and_run_lifecycle(client):
    mlflow.set_experiment(unique("lifecycle"))
    with pytest.raises(ZeroDivisionError):
        with mlflow.start_run(run_name="rf-failed") as run:
            mlflow.log_param("n", 1)
            1 / 0
    assert client.get_run(run.info.run_id).info.status == "FAILED"
    client.update_run(run.info.run_id, name="renamed")
    assert client.get_run(run.info.run_id).info.run_name == "renamed"
    client.delete_run(run.info.run_id)
    assert client.get_run(run.info.run_id).info.lifecycle_stage == "deleted"
    assert client.search_runs([run.info.experiment_id]) == []
    client.restore_run(run.info.run_id)
    assert [r.info.run_id for r in client.search_runs([run.info.experiment_id])] == [run.info.run_id]
    client.set_tag(run.info.run_id, "temp", "x")
    client.delete_tag(run.info.run_id, "temp")
    assert "temp" not in client.get_run(run.info.run_id).data.tags


def test_experiments_search_rename_delete_tags(client):
    prefix = unique("exp")
    ids = [client.create_experiment(f"{prefix}-{i}", tags={"i": str(i)}) for i in range(3)]
    found = client.search_experiments(filter_string=f"name LIKE '{prefix}%'", order_by=["creation_time DESC"])
    assert [e.experiment_id for e in found] == list(reversed(ids))
    assert client.get_experiment_by_name(f"{prefix}-1").tags == {"i": "1"}
    assert client.get_experiment_by_name("does-not-exist-" + prefix) is None
    client.rename_experiment(ids[0], f"{prefix}-renamed")
    assert client.get_experiment(ids[0]).name == f"{prefix}-renamed"
    client.set_experiment_tag(ids[0], "k", "v")
    assert client.get_experiment(ids[0]).tags["k"] == "v"
    client.delete_experiment(ids[1])
    assert client.get_experiment(ids[1]).lifecycle_stage == "deleted"
    active = {e.experiment_id for e in client.search_experiments()}
    assert ids[1] not in active and ids[0] in active and "0" in active
    client.restore_experiment(ids[1])
    assert client.get_experiment(ids[1]).lifecycle_stage == "active"
    page = client.search_experiments(max_results=1, filter_string=f"name LIKE '{prefix}%'")
    assert len(page) == 1 and page.token
    rest = client.search_experiments(max_results=10, filter_string=f"name LIKE '{prefix}%'", page_token=page.token)
    assert len(rest) == 2


def test_concurrent_batches_into_one_run_never_deadlock(client, server):
    """Writers logging the same keys of one run at once, in different orders (distributed training
    workers): every batch lands; none is refused by a deadlock between their row locks."""
    import random
    import threading

    import requests
    run = client.create_run(client.create_experiment(unique("concurrent"))).info.run_id
    keys = [f"k{i:02}" for i in range(20)]
    statuses = []

    def writer(seed):
        rng = random.Random(seed)
        session = requests.Session()
        for step in range(25):
            order = keys[:]
            rng.shuffle(order)
            body = {"run_id": run, "metrics": [{"key": k, "value": step, "timestamp": 1000 + step, "step": seed * 1000 + step} for k in order],
                    "tags": [{"key": f"t{k}", "value": str(seed)} for k in order[:5]]}
            statuses.append(session.post(f"{server.url}/api/2.0/mlflow/runs/log-batch", json=body, timeout=30).status_code)
    threads = [threading.Thread(target=writer, args=(seed,)) for seed in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert statuses.count(200) == 200, sorted(set(statuses))
    assert len(client.get_metric_history(run, "k00")) == 200
