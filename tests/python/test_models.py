"""Model logging and loading (traces/log_model_*.jsonl and load.jsonl): MLflow 3 logged models,
registration, `models:/name@alias`, `models:/<model_id>`, `runs:/<run>/model`."""
import json
import os

import mlflow
import numpy as np
import pytest
import xgboost as xgb
from sklearn.datasets import load_iris
from sklearn.tree import DecisionTreeClassifier

from conftest import unique


@pytest.fixture(scope="module")
def iris():
    X, y = load_iris(return_X_y=True, as_frame=True)
    return X, y


def test_log_register_and_load_sklearn_and_xgboost(client, iris, tmp_path):
    X, y = iris
    model_name = unique("iris-classifier")
    mlflow.set_experiment(unique("iris"))

    tree = DecisionTreeClassifier(max_depth=3, random_state=0).fit(X, y)
    with mlflow.start_run() as sk_run:
        mlflow.log_params({"max_depth": 3})
        mlflow.log_metric("train_acc", float(tree.score(X, y)))
        sk_info = mlflow.sklearn.log_model(
            tree, name="model", registered_model_name=model_name, input_example=X.head(3),
            skops_trusted_types=["sklearn.tree._tree.Tree"])
    assert int(sk_info.registered_model_version) == 1

    booster = xgb.XGBClassifier(n_estimators=20, max_depth=3).fit(X, y)
    with mlflow.start_run() as xgb_run:
        mlflow.log_params({"n_estimators": 20})
        # Registering into an existing name goes through RESOURCE_ALREADY_EXISTS.
        xgb_info = mlflow.xgboost.log_model(booster, name="model", registered_model_name=model_name, input_example=X.head(3))
    assert int(xgb_info.registered_model_version) == 2

    v1 = client.get_model_version(model_name, "1")
    assert v1.run_id == sk_run.info.run_id
    assert v1.source == f"models:/{sk_info.model_id}"
    assert v1.status == "READY"
    logged = client.get_logged_model(sk_info.model_id)
    assert logged.status == "READY" or str(logged.status).endswith("READY")
    versions = json.loads(logged.tags["mlflow.modelVersions"])
    assert {"name": model_name, "version": 1} in versions
    # Metrics logged before log_model are linked to the model.
    assert [m.key for m in logged.metrics] == ["train_acc"]

    client.set_registered_model_alias(model_name, "production", "1")
    prod = mlflow.pyfunc.load_model(f"models:/{model_name}@production")
    assert np.array_equal(prod.predict(X), tree.predict(X))

    client.set_registered_model_alias(model_name, "production", "2")
    prod2 = mlflow.pyfunc.load_model(f"models:/{model_name}@production")
    np.testing.assert_array_equal(np.asarray(prod2.predict(X)).reshape(-1), booster.predict(X).reshape(-1))

    by_id = mlflow.pyfunc.load_model(f"models:/{xgb_info.model_id}")
    np.testing.assert_array_equal(np.asarray(by_id.predict(X)).reshape(-1), booster.predict(X).reshape(-1))
    by_run = mlflow.pyfunc.load_model(f"runs:/{sk_run.info.run_id}/model")
    assert np.array_equal(by_run.predict(X), tree.predict(X))
    native = mlflow.xgboost.load_model(f"models:/{model_name}/2")
    np.testing.assert_allclose(native.predict_proba(X), booster.predict_proba(X), rtol=0, atol=0)

    uri = client.get_model_version_download_uri(model_name, "1")
    assert uri == f"mlflow-artifacts:/{sk_run.info.experiment_id}/models/{sk_info.model_id}/artifacts"
    local = mlflow.artifacts.download_artifacts(artifact_uri=uri, dst_path=str(tmp_path / "model"))
    assert {"MLmodel", "model.skops", "input_example.json"} <= set(os.listdir(local))

    found = client.search_logged_models(experiment_ids=[sk_run.info.experiment_id])
    assert {m.model_id for m in found} == {sk_info.model_id, xgb_info.model_id}
    filtered = client.search_logged_models(experiment_ids=[sk_run.info.experiment_id], filter_string=f"source_run_id = '{xgb_run.info.run_id}'")
    assert [m.model_id for m in filtered] == [xgb_info.model_id]
