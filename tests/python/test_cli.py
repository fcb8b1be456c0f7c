"""The `slipway` commands for people at a terminal, on the same store as a running server."""
import json

import pytest

from conftest import unique


@pytest.fixture()
def populated(client):
    name = unique("cli-exp")
    experiment_id = client.create_experiment(name)
    for i, mae in enumerate([3.0, 1.0, 2.0]):
        run = client.create_run(experiment_id, run_name=f"r{i}")
        client.log_metric(run.info.run_id, "mae", mae)
        client.log_param(run.info.run_id, "model", "xgb" if i != 1 else "lgbm")
    model = unique("cli-model")
    client.create_registered_model(model, description="for the CLI")
    client.create_model_version(model, "s3://bucket/m1", run_id=run.info.run_id)
    client.create_model_version(model, "s3://bucket/m2", run_id=run.info.run_id)
    return {"experiment": name, "experiment_id": experiment_id, "model": model}


def test_experiments_list(server, populated):
    out = server.cli("experiments", "list").stdout
    assert populated["experiment"] in out and "Default" in out
    data = json.loads(server.cli("experiments", "list", "--json").stdout)
    assert populated["experiment"] in [e["name"] for e in data["experiments"]]


def test_runs_list_filter_order(server, populated):
    out = server.cli("runs", "list", "--experiment", populated["experiment"], "--filter", "params.model = 'xgb'", "--order-by", "metrics.mae ASC", "--json").stdout
    runs = json.loads(out)["runs"]
    assert [r["info"]["run_name"] for r in runs] == ["r2", "r0"]
    table = server.cli("runs", "list", "--experiment", populated["experiment_id"], "--order-by", "metrics.mae DESC").stdout
    lines = table.splitlines()
    assert lines[0].startswith("RUN ID") and [l.split()[1] for l in lines[2:]] == ["r0", "r2", "r1"]


def test_models_list_show_alias(server, populated, client):
    model = populated["model"]
    out = server.cli("models", "alias", model, "production", "2").stdout
    assert "version 2" in out
    assert client.get_model_version_by_alias(model, "production").version == "2"
    listed = server.cli("models", "list").stdout
    assert model in listed and "production=v2" in listed
    shown = server.cli("models", "show", model).stdout
    assert "for the CLI" in shown and "s3://bucket/m2" in shown
    data = json.loads(server.cli("models", "show", model, "--json").stdout)
    assert [v["version"] for v in data["model_versions"]] == ["2", "1"]


def test_cli_errors_exit_nonzero_with_a_message(server, populated):
    missing = server.cli("models", "show", "no-such-model-" + populated["model"], check=False)
    assert missing.returncode != 0 and "not found" in missing.stderr
    bad_filter = server.cli("runs", "list", "--experiment", populated["experiment"], "--filter", "metrics.mae <<< 1", check=False)
    assert bad_filter.returncode != 0 and "Invalid comparator" in bad_filter.stderr
    bad_alias = server.cli("models", "alias", populated["model"], "production", "99", check=False)
    assert bad_alias.returncode != 0 and "not found" in bad_alias.stderr
    unknown = server.cli("runs", "list", "--experiment", "no-such-experiment-xyz", check=False)
    assert unknown.returncode != 0
