"""scikit-learn preprocessing over named columns, read natively from skops: SimpleImputer,
OneHotEncoder and OrdinalEncoder (text and numeric categories, unknown and missing ones) inside a
ColumnTransformer or a Pipeline, in front of linear and tree models; the same answers as
scikit-learn from a CSV file and from the serving API's JSON."""
import mlflow
import mlflow.sklearn
import numpy as np
import pandas as pd
import pytest
import requests
import subprocess
from sklearn import compose, ensemble, impute, linear_model, pipeline, preprocessing

from conftest import BINARY, SlipwayServer, use_mlflow, wait_until

TRUSTED = ["numpy.dtype", "sklearn.tree._tree.Tree"]


def run(*args):
    return subprocess.run([str(BINARY), *map(str, args)], capture_output=True, text=True, timeout=120)


def data(seed, rows, unknown=False, missing=0.0):
    rng = np.random.default_rng(seed)
    colors = ["red", "green", "blue, teal", "1"] + (["purple"] if unknown else [])
    X = pd.DataFrame({
        "a": rng.normal(size=rows) * 3 + 1, "b": rng.normal(size=rows),
        "color": rng.choice(colors, rows), "size": rng.choice(["S", "M", "L"] + (["XL"] if unknown else []), rows),
        "grade": rng.integers(0, 4 + unknown, rows).astype(float), "c": rng.normal(size=rows),
    })
    y = X.a * 0.5 - X.b + X.color.map({"red": 1.0, "green": -1.0, "blue, teal": 2.0, "1": 0.5, "purple": 0}) + X.grade * 0.3 + rng.normal(scale=0.1, size=rows)
    if missing:
        for column in ["a", "color", "grade"]:
            X.loc[rng.random(rows) < missing, column] = None
    return X, y


def preprocess(handle_unknown="ignore"):
    return compose.ColumnTransformer([
        ("num", pipeline.make_pipeline(impute.SimpleImputer(strategy="median"), preprocessing.StandardScaler()), ["a", "b"]),
        ("color", pipeline.make_pipeline(impute.SimpleImputer(strategy="most_frequent"), preprocessing.OneHotEncoder(handle_unknown=handle_unknown)), ["color"]),
        ("size", preprocessing.OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1), ["size"]),
        ("grade", preprocessing.OneHotEncoder(drop="first", handle_unknown="ignore"), ["grade"]),
        ("keep", "passthrough", ["c"]),
    ])


MODELS = {
    "ridge": lambda: linear_model.Ridge(),
    "forest": lambda: ensemble.RandomForestRegressor(30, max_depth=8, random_state=0),
    "boosting": lambda: ensemble.HistGradientBoostingRegressor(max_iter=30),
}


def save(model, path, **kwargs):
    mlflow.sklearn.save_model(model, str(path), skops_trusted_types=TRUSTED + kwargs.pop("trusted", []), pip_requirements=["scikit-learn"], **kwargs)


@pytest.mark.parametrize("kind", MODELS)
def test_column_transformer_with_text_categories_equals_scikit_learn(tmp_path, kind):
    X, y = data(1, 1500, missing=0.05)
    model = pipeline.Pipeline([("pre", preprocess()), ("model", MODELS[kind]())]).fit(X, y)
    extra = ["sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor"] if kind == "boosting" else []
    save(model, tmp_path / "model", trusted=extra)
    test, _ = data(2, 500, unknown=True, missing=0.05)
    test.to_csv(tmp_path / "input.csv", index=False)
    result = run("predict", "--model", tmp_path / "model", "--input", tmp_path / "input.csv", "--output", tmp_path / "out.csv")
    assert result.returncode == 0, result.stderr
    np.testing.assert_allclose(pd.read_csv(tmp_path / "out.csv").prediction, model.predict(test), rtol=1e-5, atol=1e-8)
    inspect = run("model", "inspect", tmp_path / "model")
    assert "ColumnTransformer" in inspect.stdout, inspect.stdout


def test_encoders_as_pipeline_steps_and_a_classifier_with_text_labels(tmp_path):
    X, y = data(3, 1200)
    labels = np.where(y > y.median(), "high", "low")
    columns = ["color", "size", "grade"]
    onehot = pipeline.Pipeline([("encode", preprocessing.OneHotEncoder(handle_unknown="ignore")), ("lr", linear_model.LogisticRegression(max_iter=2000))])
    onehot.fit(X[columns], labels)
    ordinal = pipeline.Pipeline([("encode", preprocessing.OrdinalEncoder()), ("rf", ensemble.RandomForestClassifier(20, random_state=0))])
    ordinal.fit(X[columns], labels)
    test, _ = data(4, 400)
    test[columns].to_csv(tmp_path / "input.csv", index=False)
    for name, model in [("onehot", onehot), ("ordinal", ordinal)]:
        for fn in ["predict", "predict_proba"]:
            save(model, tmp_path / f"{name}-{fn}", pyfunc_predict_fn=fn)
            result = run("predict", "--model", tmp_path / f"{name}-{fn}", "--input", tmp_path / "input.csv", "--output", tmp_path / "out.csv")
            assert result.returncode == 0, result.stderr
            got = pd.read_csv(tmp_path / "out.csv")
            if fn == "predict":
                assert list(got.prediction) == list(model.predict(test[columns])), name
            else:
                np.testing.assert_allclose(got.to_numpy(), model.predict_proba(test[columns]), rtol=1e-5, atol=1e-8)


def test_unknown_category_with_handle_unknown_error_is_a_clear_error(tmp_path):
    X, y = data(5, 300)
    model = pipeline.Pipeline([("pre", preprocess(handle_unknown="error")), ("lr", linear_model.Ridge())]).fit(X, y)
    save(model, tmp_path / "model")
    test, _ = data(6, 50, unknown=True)
    test.to_csv(tmp_path / "input.csv", index=False)
    result = run("predict", "--model", tmp_path / "model", "--input", tmp_path / "input.csv")
    assert result.returncode == 1 and "not fitted on" in result.stderr and "handle_unknown" in result.stderr, result.stderr


def test_served_with_text_values_in_json_requests():
    server = SlipwayServer("sqlite", ["--model", "shop@production"]).start()
    try:
        use_mlflow(server.url, "encoders")
        X, y = data(7, 800, missing=0.05)
        model = pipeline.Pipeline([("pre", preprocess()), ("ridge", linear_model.Ridge())]).fit(X, y)
        with mlflow.start_run():
            info = mlflow.sklearn.log_model(model, name="model", registered_model_name="shop", skops_trusted_types=TRUSTED,
                                            input_example=X.head(2), pip_requirements=["scikit-learn"])
        mlflow.MlflowClient().set_registered_model_alias("shop", "production", info.registered_model_version)
        wait_until(lambda: requests.get(f"{server.url}/models/shop", timeout=10).json().get("version") == "1", 30, "v1 served")
        test, _ = data(8, 60, unknown=True, missing=0.05)
        records = [{k: (None if isinstance(v, float) and np.isnan(v) else v) for k, v in row.items()} for row in test.to_dict("records")]
        expected = model.predict(test)
        for body in [records, {"dataframe_records": records}, {"dataframe_split": {"columns": list(test.columns), "data": [list(r.values()) for r in records]}}]:
            r = requests.post(f"{server.url}/models/shop/predict", json=body, timeout=30)
            assert r.status_code == 200, r.text
            np.testing.assert_allclose(r.json()["predictions"], expected, rtol=1e-5, atol=1e-8)
        # Keys in another order (the general reader), and a number where text is expected.
        shuffled = [dict(reversed(list(r.items()))) for r in records[:5]]
        r = requests.post(f"{server.url}/models/shop/predict", json=shuffled, timeout=30)
        assert r.status_code == 200 and np.allclose(r.json()["predictions"], expected[:5], rtol=1e-5), r.text
        one = dict(records[0], color=1)
        r = requests.post(f"{server.url}/models/shop/predict", json=[one], timeout=30)
        assert r.status_code == 200 and np.allclose(r.json()["predictions"], model.predict(pd.DataFrame([dict(records[0], color="1")])), rtol=1e-5), r.text
    finally:
        server.stop()
