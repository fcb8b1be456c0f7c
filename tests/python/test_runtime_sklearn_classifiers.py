"""scikit-learn classifiers saved by mlflow in the skops format, read natively: labels (text or
numbers) and class probabilities as the pyfunc's predict_fn asks, equal to scikit-learn's, missing
values included for trees, and the same answers through the serving API."""
import json
import subprocess

import mlflow.sklearn
import numpy as np
import pandas as pd
import pytest
from sklearn.ensemble import ExtraTreesClassifier, RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import MinMaxScaler, StandardScaler
from sklearn.tree import DecisionTreeClassifier, ExtraTreeClassifier

from conftest import BINARY

COLUMNS = [f"x{i}" for i in range(4)]
TREES = ["sklearn.tree._tree.Tree"]


def run(*args):
    return subprocess.run([str(BINARY), *map(str, args)], capture_output=True, text=True, timeout=60)


def data(seed, rows, classes, text):
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(rng.normal(size=(rows, len(COLUMNS))) * [1, 3, 0.5, 10] + [0, 5, -1, 100], columns=COLUMNS)
    score = X.x0 + 0.3 * X.x1 - 2 * X.x2 + 0.05 * X.x3 + rng.normal(scale=0.5, size=rows)
    y = np.digitize(score, np.quantile(score, np.linspace(0, 1, classes + 1)[1:-1]))
    if text:
        y = np.array(["setosa", "versi,color", "virginica", "other"])[y]
    return X, y


MODELS = {
    "tree": (lambda: DecisionTreeClassifier(max_depth=6, random_state=0), True),
    "extra-tree": (lambda: ExtraTreeClassifier(random_state=0), True),
    "forest": (lambda: RandomForestClassifier(n_estimators=40, max_depth=8, random_state=0), True),
    "extra-trees": (lambda: ExtraTreesClassifier(n_estimators=20, random_state=0), True),
    "scaled-forest": (lambda: Pipeline([("scale", MinMaxScaler(clip=True)), ("rf", RandomForestClassifier(n_estimators=10, random_state=0))]), True),
    "logistic": (lambda: LogisticRegression(max_iter=3000), False),
    "scaled-logistic": (lambda: Pipeline([("scale", StandardScaler()), ("lr", LogisticRegression(C=0.5))]), False),
}


@pytest.mark.parametrize("classes,text", [(2, False), (3, True)])
@pytest.mark.parametrize("kind", MODELS)
def test_classifier_labels_and_probabilities_equal_scikit_learn(tmp_path, kind, classes, text):
    make, missing = MODELS[kind]
    X, y = data(1, 1500, classes, text)
    rng = np.random.default_rng(4)
    if missing and kind != "scaled-forest":
        X = X.mask(rng.random(X.shape) < 0.1)
    model = make().fit(X, y)
    test, _ = data(2, 600, classes, text)
    if missing and kind != "scaled-forest":
        test = test.mask(rng.random(test.shape) < 0.1)
    test.to_csv(tmp_path / "input.csv", index=False)
    for predict_fn in ["predict", "predict_proba"]:
        path = tmp_path / predict_fn
        mlflow.sklearn.save_model(model, str(path), skops_trusted_types=TREES, pyfunc_predict_fn=predict_fn,
                                  pip_requirements=["scikit-learn"])
        result = run("predict", "--model", path, "--input", tmp_path / "input.csv", "--output", tmp_path / f"{predict_fn}.csv")
        assert result.returncode == 0, result.stderr
        got = pd.read_csv(tmp_path / f"{predict_fn}.csv", keep_default_na=False)
        if predict_fn == "predict":
            expected = model.predict(test)
            assert list(got.columns) == ["prediction"]
            if text:
                assert list(got.prediction) == list(expected)
            else:
                np.testing.assert_array_equal(got.prediction.astype(float), expected)
        else:
            assert list(got.columns) == [f"p{k}" for k in range(classes)]
            np.testing.assert_allclose(got.to_numpy(), model.predict_proba(test), rtol=1e-5, atol=1e-6)
    inspect = json.loads(run("model", "inspect", "--json", tmp_path / "predict").stdout)
    assert inspect["format"] == "sklearn-skops" and inspect["output_kind"] == "classIndex", inspect


def test_classifier_served_with_text_labels_and_evaluated(tmp_path):
    """A RandomForestClassifier with text classes logged to the registry: the serving API answers
    the class names scikit-learn predicts, and predict_proba models their probabilities."""
    import mlflow
    import requests
    from conftest import SlipwayServer, use_mlflow, wait_until
    server = SlipwayServer("sqlite", ["--model", "species@production", "--model", "species-proba@production"]).start()
    try:
        use_mlflow(server.url, "sklearn-classifiers")
        X, y = data(1, 800, 3, True)
        model = RandomForestClassifier(n_estimators=25, random_state=0).fit(X, y)
        client = mlflow.MlflowClient()
        for name, predict_fn in [("species", "predict"), ("species-proba", "predict_proba")]:
            with mlflow.start_run():
                info = mlflow.sklearn.log_model(model, name="model", registered_model_name=name, skops_trusted_types=TREES,
                                                pyfunc_predict_fn=predict_fn, input_example=X.head(2),
                                                pip_requirements=["scikit-learn"])
            client.set_registered_model_alias(name, "production", info.registered_model_version)
            wait_until(lambda: requests.get(f"{server.url}/models/{name}", timeout=10).json().get("version") == info.registered_model_version,
                       30, f"{name} served")
        test, _ = data(3, 40, 3, True)
        r = requests.post(f"{server.url}/models/species/predict", json=test.to_dict("records"), timeout=10)
        assert r.status_code == 200, r.text
        assert r.json()["predictions"] == list(model.predict(test)), r.text
        r = requests.post(f"{server.url}/models/species-proba/predict", json=test.to_dict("records"), timeout=10)
        assert r.status_code == 200, r.text
        np.testing.assert_allclose(r.json()["predictions"], model.predict_proba(test), rtol=1e-5, atol=1e-6)
    finally:
        server.stop()


def test_predict_fn_the_model_cannot_answer_is_refused(tmp_path):
    from sklearn.linear_model import Ridge
    X, y = data(1, 200, 2, False)
    mlflow.sklearn.save_model(Ridge().fit(X, y.astype(float)), str(tmp_path / "ridge"), pip_requirements=["scikit-learn"])
    text = (tmp_path / "ridge" / "MLmodel").read_text().replace("predict_fn: predict", "predict_fn: predict_proba")
    (tmp_path / "ridge" / "MLmodel").write_text(text)
    X.head(3).to_csv(tmp_path / "input.csv", index=False)
    result = run("predict", "--model", tmp_path / "ridge", "--input", tmp_path / "input.csv")
    assert result.returncode == 1 and "predict_fn 'predict_proba'" in result.stderr, result.stderr
