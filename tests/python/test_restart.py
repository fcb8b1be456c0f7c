"""Restart safety: whatever the server acknowledged is there after a stop, graceful or kill -9."""
import signal
import time

import mlflow
import pytest
from mlflow import MlflowClient
from mlflow.entities import Metric

from conftest import BACKENDS, unique


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM], ids=["kill-9", "sigterm"])
def test_acknowledged_writes_survive_a_stop(fresh_server, backend, sig):
    server = fresh_server(backend).start()
    client = MlflowClient(tracking_uri=server.url, registry_uri=server.url)
    mlflow.set_tracking_uri(server.url)

    experiment_id = client.create_experiment(unique("durable"))
    run = client.create_run(experiment_id, run_name="durable-run")
    now = int(time.time() * 1000)
    client.log_batch(run.info.run_id, metrics=[Metric("loss", 1.0 / (i + 1), now + i, i) for i in range(1000)])
    client.log_param(run.info.run_id, "p", "v")
    client.log_text(run.info.run_id, "artifact body", "notes/a.txt")
    name = unique("durable-model")
    client.create_registered_model(name)
    client.create_model_version(name, f"runs:/{run.info.run_id}/model", run_id=run.info.run_id)
    client.set_registered_model_alias(name, "production", "1")
    client.set_tag(run.info.run_id, "last", "write")  # the last acknowledged write

    server.stop(sig)
    server.start()
    client = MlflowClient(tracking_uri=server.url, registry_uri=server.url)
    got = client.get_run(run.info.run_id)
    assert got.data.params == {"p": "v"}
    assert got.data.tags["last"] == "write"
    assert got.data.metrics["loss"] == pytest.approx(1.0 / 1000)
    assert len(client.get_metric_history(run.info.run_id, "loss")) == 1000
    assert client.get_model_version_by_alias(name, "production").version == "1"
    assert mlflow.artifacts.load_text(got.info.artifact_uri + "/notes/a.txt") == "artifact body"
