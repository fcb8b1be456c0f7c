"""The registry flow of the recorded trace (traces/registry.jsonl): models, versions, aliases,
stages, tags, search, download URIs, rename, delete."""
import time

import mlflow
import pytest
from mlflow.exceptions import MlflowException

from conftest import unique


@pytest.fixture()
def run_id(client):
    mlflow.set_experiment(unique("registry"))
    with mlflow.start_run() as run:
        mlflow.log_text("x", "model/MLmodel")
    return run.info.run_id


def test_registry_flow(client, run_id):
    name = unique("registry-demo")
    created = client.create_registered_model(name, tags={"team": "ml"}, description="demo model")
    assert created.name == name and created.description == "demo model"
    run = client.get_run(run_id)
    v1 = client.create_model_version(name, f"runs:/{run_id}/model", run_id=run_id, tags={"src": "runs"}, description="first")
    v2 = client.create_model_version(name, f"{run.info.artifact_uri}/model", run_id=run_id)
    assert (v1.version, v2.version) == ("1", "2")
    assert v1.tags == {"src": "runs"} and v1.description == "first"

    client.set_registered_model_alias(name, "production", "1")
    client.set_registered_model_alias(name, "challenger", "2")
    assert client.get_model_version_by_alias(name, "production").version == "1"
    assert client.get_registered_model(name).aliases == {"production": "1", "challenger": "2"}
    client.delete_registered_model_alias(name, "challenger")
    assert client.get_registered_model(name).aliases == {"production": "1"}
    with pytest.raises(MlflowException) as err:
        client.get_model_version_by_alias(name, "challenger")
    assert err.value.error_code == "INVALID_PARAMETER_VALUE"

    client.set_model_version_tag(name, "1", "validated", "true")
    client.set_registered_model_tag(name, "owner", "ana")
    assert client.get_model_version(name, "1").tags == {"src": "runs", "validated": "true"}
    assert client.get_registered_model(name).tags == {"team": "ml", "owner": "ana"}

    staged = client.transition_model_version_stage(name, "1", "Staging")
    assert staged.current_stage == "Staging"
    assert [v.version for v in client.get_latest_versions(name, stages=["Staging"])] == ["1"]
    assert sorted(v.version for v in client.get_latest_versions(name)) == ["1", "2"]
    client.transition_model_version_stage(name, "2", "Staging", archive_existing_versions=True)
    assert client.get_model_version(name, "1").current_stage == "Archived"
    client.transition_model_version_stage(name, "2", "production")
    assert client.get_model_version(name, "2").current_stage == "Production"

    found = client.search_registered_models(filter_string=f"name LIKE '{name[:12]}%'", max_results=10, order_by=["name ASC"])
    assert name in [m.name for m in found]
    assert name in [m.name for m in client.search_registered_models()]
    versions = client.search_model_versions(f"name='{name}'")
    assert sorted(v.version for v in versions) == ["1", "2"]
    # Slipway also returns aliases in version search results.
    assert {v.version: v.aliases for v in versions}["1"] == ["production"]

    client.update_model_version(name, "1", description="RF baseline")
    client.update_registered_model(name, description="updated")
    assert client.get_model_version(name, "1").description == "RF baseline"
    assert client.get_registered_model(name).description == "updated"
    assert client.get_model_version_download_uri(name, "1") == f"runs:/{run_id}/model"
    assert client.get_model_version_download_uri(name, "2") == f"{run.info.artifact_uri}/model"

    renamed = name + "-renamed"
    client.rename_registered_model(name, renamed)
    assert client.get_model_version_by_alias(renamed, "production").version == "1"
    client.delete_model_version(renamed, "2")
    client.delete_model_version_tag(renamed, "1", "src")
    client.delete_registered_model_tag(renamed, "team")
    assert client.get_model_version(renamed, "1").tags == {"validated": "true"}
    assert client.get_registered_model(renamed).tags == {"owner": "ana"}
    client.delete_registered_model(renamed)
    with pytest.raises(MlflowException) as err:
        client.get_registered_model(renamed)
    assert err.value.error_code == "RESOURCE_DOES_NOT_EXIST"


def test_mismatched_source_is_rejected(client, run_id):
    name = unique("mismatch")
    client.create_registered_model(name)
    with pytest.raises(MlflowException) as err:
        client.create_model_version(name, "runs:/0123456789abcdef0123456789abcdef/model", run_id=run_id)
    assert err.value.error_code == "INVALID_PARAMETER_VALUE"
    assert client.search_model_versions(f"name='{name}'") == []


def test_search_by_timestamps_and_order(client, run_id):
    prefix = unique("ts")
    for i in range(3):
        client.create_registered_model(f"{prefix}-{i}")
        time.sleep(0.01)  # distinct millisecond timestamps
    models = client.search_registered_models(filter_string=f"name LIKE '{prefix}%'", order_by=["last_updated_timestamp DESC"])
    assert [m.name for m in models] == [f"{prefix}-2", f"{prefix}-1", f"{prefix}-0"]
    first = client.get_registered_model(f"{prefix}-0").creation_timestamp
    later = client.search_registered_models(filter_string=f"name LIKE '{prefix}%' AND creation_timestamp > {first}", order_by=["name ASC"])
    assert [m.name for m in later] == [f"{prefix}-1", f"{prefix}-2"]
    client.create_model_version(f"{prefix}-0", f"runs:/{run_id}/model", run_id=run_id)
    assert len(client.search_model_versions(f"name = '{prefix}-0'", order_by=["timestamp DESC"])) == 1
    with pytest.raises(MlflowException) as err:
        client.search_experiments(order_by=["nonsense ASC"])
    assert err.value.error_code == "INVALID_PARAMETER_VALUE"
