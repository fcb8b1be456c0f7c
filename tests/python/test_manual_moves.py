"""Nothing moves production unseen: on a model with a promotion policy, an alias or stage change made
with the plain MLflow client is applied as a promotion and written to the audit log with the same
events; `slipway rollback NAME --to VERSION` puts a chosen version back (seed 001's `--version 11`)."""
import pytest
import requests

from conftest import BACKENDS, SlipwayServer, unique, use_mlflow
from serving_support import log_candidate


@pytest.fixture(scope="module", params=BACKENDS)
def server(request):
    s = SlipwayServer(request.param).start()
    yield s
    s.stop()


def history(server, name):
    return requests.get(f"{server.url}/api/v1/models/{name}/decisions").json()["decisions"]


def events(server, name, kind):
    found = requests.get(f"{server.url}/api/v1/events", params={"type": kind, "subject": f"models/{name}/"}).json()["events"]
    return [e["data"] for e in found]


def test_alias_and_stage_moves_on_a_governed_model(server):
    from mlflow import MlflowClient
    use_mlflow(server.url, "manual-moves")
    client = MlflowClient(server.url, server.url)
    name = unique("governed")
    v1, v2, v3 = (log_candidate(name, mae, seed) for seed, mae in enumerate([0.5, 0.4, 0.3]))
    server.cli("policy", "set", name, "--metric", "test_mae")

    client.set_registered_model_alias(name, "production", str(v1))
    client.set_registered_model_alias(name, "production", str(v2))
    records = history(server, name)
    assert [(r["kind"], r["action"], r["from_version"], r["to_version"]) for r in records] == [
        ("manual", "promote", str(v1), str(v2)), ("manual", "promote", None, str(v1))]
    assert records[0]["actor"] == "api" and "MLflow's API" in records[0]["summary"]
    assert client.get_model_version(name, str(v2)).current_stage == "Production"
    assert client.get_model_version(name, str(v1)).current_stage == "Archived"
    assert client.get_model_version_by_alias(name, "previous").version == str(v1)
    promoted = events(server, name, "ml.model.promoted.v1")
    assert [(e["version"], e["stage"], e["via"]) for e in promoted] == [(str(v2), "Production", "set_registered_model_alias"),
                                                                          (str(v1), "Production", "set_registered_model_alias")]
    assert all(e["model_name"] == name and e["run_id"] and e["timestamp"] > 0 for e in promoted)
    assert [e["version"] for e in events(server, name, "ml.model.archived.v1")] == [str(v1)]

    # The stage API moves production too.
    client.transition_model_version_stage(name, str(v3), "Production", archive_existing_versions=True)
    assert client.get_model_version_by_alias(name, "production").version == str(v3)
    assert history(server, name)[0]["to_version"] == str(v3)

    # One command back to a chosen version, through the CLI.
    out = server.cli("rollback", name, "--to", str(v1)).stdout
    assert f"back to v{v1}" in out
    assert client.get_model_version_by_alias(name, "production").version == str(v1)
    assert client.get_model_version_by_alias(name, "previous").version == str(v3)
    assert history(server, name)[0]["kind"] == "rollback"
    missing = server.cli("rollback", name, "--to", "99", check=False)
    assert missing.returncode == 1 and "error:" in missing.stderr
    same = server.cli("rollback", name, "--to", str(v1), check=False)
    assert same.returncode == 1 and "already in production" in same.stderr

    # Removing production is recorded; other aliases are plain MLflow.
    client.set_registered_model_alias(name, "shadow", str(v2))
    client.delete_registered_model_alias(name, "production")
    top = history(server, name)[0]
    assert (top["kind"], top["action"], top["from_version"], top["to_version"]) == ("manual", "unset", str(v1), None)


def test_a_model_without_a_policy_is_plain_mlflow(server):
    from mlflow import MlflowClient
    use_mlflow(server.url, "manual-moves")
    client = MlflowClient(server.url, server.url)
    name = unique("free")
    v1 = log_candidate(name, 0.5, 0)
    client.set_registered_model_alias(name, "production", str(v1))
    assert history(server, name) == []
    assert client.get_model_version(name, str(v1)).current_stage == "None"
    assert events(server, name, "ml.model.promoted.v1") == []
