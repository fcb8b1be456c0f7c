"""scikit-learn models saved by mlflow in the skops format (its default), read natively: the same
predictions as scikit-learn itself, unsupported classes and pickled models refused by name, and
damaged files an error, never a crash."""
import json
import subprocess
import zipfile

import mlflow.sklearn
import numpy as np
import pandas as pd
import pytest
from sklearn.ensemble import ExtraTreesRegressor, HistGradientBoostingClassifier, RandomForestClassifier, RandomForestRegressor
from sklearn.tree import DecisionTreeRegressor
from sklearn.linear_model import ElasticNet, HuberRegressor, Lasso, LinearRegression, Ridge
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import MinMaxScaler, PolynomialFeatures, StandardScaler

from conftest import BINARY, assert_damaged_copies_never_crash

COLUMNS = [f"x{i}" for i in range(5)]


def run(*args):
    return subprocess.run([str(BINARY), *map(str, args)], capture_output=True, text=True, timeout=60)


def data(seed, rows):
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(rng.normal(size=(rows, len(COLUMNS))) * [1, 10, 0.1, 5, 100] + [0, 50, -3, 1, 1000], columns=COLUMNS)
    y = X.x0 * 2 - X.x1 * 0.3 + 5 * X.x2 + 0.01 * X.x4 + rng.normal(scale=0.1, size=rows)
    return X, y


def save(model, path, **kwargs):
    X, y = data(1, 500)
    model.fit(X, y)
    mlflow.sklearn.save_model(model, str(path), pip_requirements=["scikit-learn"], **kwargs)
    return model


MODELS = {
    "linear": lambda: LinearRegression(),
    "ridge": lambda: Ridge(alpha=2.0),
    "lasso": lambda: Lasso(alpha=0.01),
    "elasticnet": lambda: ElasticNet(alpha=0.01, l1_ratio=0.3),
    "no-intercept": lambda: LinearRegression(fit_intercept=False),
    "standard-ridge": lambda: Pipeline([("scale", StandardScaler()), ("ridge", Ridge(alpha=1.0))]),
    "minmax-standard-linear": lambda: Pipeline([("minmax", MinMaxScaler()), ("standard", StandardScaler(with_mean=False)), ("lr", LinearRegression())]),
}


@pytest.mark.parametrize("kind", MODELS)
def test_skops_parity_with_scikit_learn(tmp_path, kind):
    model = save(MODELS[kind](), tmp_path / "model")
    assert "serialization_format: skops" in (tmp_path / "model" / "MLmodel").read_text()
    test, _ = data(2, 300)
    test[list(reversed(COLUMNS))].to_csv(tmp_path / "input.csv", index=False)  # columns found by name
    result = run("predict", "--model", tmp_path / "model", "--input", tmp_path / "input.csv")
    assert result.returncode == 0, result.stderr
    got = np.array([float(line) for line in result.stdout.strip().splitlines()[1:]])
    np.testing.assert_allclose(got, model.predict(test), rtol=1e-9, atol=1e-9)
    inspect = json.loads(run("model", "inspect", "--json", tmp_path / "model" / "model.skops").stdout)
    assert inspect["format"] == "sklearn-skops" and inspect["feature_names"] == COLUMNS, inspect


TREES = {
    "tree": lambda: DecisionTreeRegressor(max_depth=8, random_state=0),
    "forest": lambda: RandomForestRegressor(n_estimators=50, max_depth=10, random_state=0),
    "extra-trees": lambda: ExtraTreesRegressor(n_estimators=30, random_state=0),
}


@pytest.mark.parametrize("kind", TREES)
def test_skops_trees_parity_with_scikit_learn_missing_values_included(tmp_path, kind):
    X, y = data(1, 2000)
    rng = np.random.default_rng(9)
    X = X.mask(rng.random(X.shape) < 0.1)  # 10% missing, in training and below
    model = TREES[kind]().fit(X, y)
    mlflow.sklearn.save_model(model, str(tmp_path / "model"), skops_trusted_types=["sklearn.tree._tree.Tree"], pip_requirements=["scikit-learn"])
    test, _ = data(2, 1000)
    test = test.mask(rng.random(test.shape) < 0.1)
    # Values exactly on thresholds: the float32 comparison decides them as scikit-learn does.
    thresholds = [t for e in getattr(model, "estimators_", [model]) for t in e.tree_.threshold if t != -2 and np.isfinite(t)][:len(test)]
    test.loc[test.index[:len(thresholds)], "x1"] = thresholds
    test.to_csv(tmp_path / "input.csv", index=False)
    result = run("predict", "--model", tmp_path / "model", "--input", tmp_path / "input.csv")
    assert result.returncode == 0, result.stderr
    got = np.array([float(line) for line in result.stdout.strip().splitlines()[1:]])
    np.testing.assert_allclose(got, model.predict(test), rtol=1e-5, atol=1e-6)
    inspect = json.loads(run("model", "inspect", "--json", tmp_path / "model" / "model.skops").stdout)
    assert inspect["trees"] == len(getattr(model, "estimators_", [model])), inspect


def test_unsupported_and_pickled_models_are_refused_by_name(tmp_path):
    (tmp_path / "input.csv").write_text(",".join(COLUMNS) + "\n" + ",".join("1" for _ in COLUMNS) + "\n")
    save(HuberRegressor(), tmp_path / "huber")
    result = run("predict", "--model", tmp_path / "huber", "--input", tmp_path / "input.csv")
    assert result.returncode == 1 and "HuberRegressor, which Slipway does not serve natively yet" in result.stderr, result.stderr
    save(LinearRegression(), tmp_path / "pickled", serialization_format="cloudpickle")
    result = run("predict", "--model", tmp_path / "pickled", "--input", tmp_path / "input.csv")
    assert result.returncode == 1 and "serialized with cloudpickle, which only Python can read" in result.stderr, result.stderr
    save(Pipeline([("poly", PolynomialFeatures()), ("lr", LinearRegression())]), tmp_path / "poly")
    result = run("predict", "--model", tmp_path / "poly", "--input", tmp_path / "input.csv")
    assert result.returncode == 1 and "PolynomialFeatures, which Slipway does not serve natively yet" in result.stderr, result.stderr
    # A deflated archive (skops.io.dump(..., compression=ZIP_DEFLATED)) is named as such.
    save(RandomForestRegressor(n_estimators=2, max_depth=2), tmp_path / "forest", skops_trusted_types=["sklearn.tree._tree.Tree"])
    source = tmp_path / "forest" / "model.skops"
    with zipfile.ZipFile(source) as original, zipfile.ZipFile(tmp_path / "deflated.skops", "w", zipfile.ZIP_DEFLATED) as out:
        for item in original.infolist():
            out.writestr(item.filename, original.read(item.filename))
    result = run("predict", "--model", tmp_path / "deflated.skops", "--input", tmp_path / "input.csv")
    assert result.returncode == 1 and "compressed (zip method 8)" in result.stderr, result.stderr


@pytest.mark.parametrize("kind", ["pipeline", "forest", "classifier", "boosting", "encoders"])
def test_damaged_skops_files_are_errors_never_crashes(tmp_path, kind):
    if kind == "pipeline":
        save(Pipeline([("scale", StandardScaler()), ("ridge", Ridge())]), tmp_path / "model")
    elif kind == "boosting":
        X, y = data(1, 300)
        model = HistGradientBoostingClassifier(max_iter=3).fit(X, np.where(y > y.median(), "high", "low"))
        mlflow.sklearn.save_model(model, str(tmp_path / "model"), pip_requirements=["scikit-learn"],
                                  skops_trusted_types=["sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor"])
    elif kind == "encoders":
        from sklearn.compose import ColumnTransformer
        from sklearn.impute import SimpleImputer
        from sklearn.preprocessing import OneHotEncoder, OrdinalEncoder
        X, y = data(1, 300)
        X["x3"] = np.where(X.x3 > 1, "high", "low")
        X["x4"] = X.x4.round(-2)
        encode = ColumnTransformer([("num", SimpleImputer(), ["x0", "x1", "x2"]), ("text", OneHotEncoder(handle_unknown="ignore"), ["x3"]),
                                    ("ord", OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1), ["x4"])])
        mlflow.sklearn.save_model(Pipeline([("encode", encode), ("rf", RandomForestRegressor(n_estimators=3, max_depth=4))]).fit(X, y),
                                  str(tmp_path / "model"), skops_trusted_types=["sklearn.tree._tree.Tree", "numpy.dtype"], pip_requirements=["scikit-learn"])
    elif kind == "classifier":
        X, y = data(1, 300)
        model = RandomForestClassifier(n_estimators=3, max_depth=4).fit(X, np.where(y > y.median(), "high", "low"))
        mlflow.sklearn.save_model(model, str(tmp_path / "model"), skops_trusted_types=["sklearn.tree._tree.Tree"], pip_requirements=["scikit-learn"])
    else:
        save(RandomForestRegressor(n_estimators=3, max_depth=4), tmp_path / "model", skops_trusted_types=["sklearn.tree._tree.Tree"])
    (tmp_path / "input.csv").write_text(",".join(COLUMNS) + "\n" + ",".join("1" for _ in COLUMNS) + "\n")
    assert_damaged_copies_never_crash((tmp_path / "model" / "model.skops").read_bytes(), tmp_path, ".skops", tmp_path / "input.csv", count=120, seed=5)


def test_served_from_the_registry(tmp_path):
    """Logged with mlflow.sklearn.log_model and registered: served natively behind an alias, with
    scikit-learn's predictions, and `model inspect` naming the path."""
    import mlflow
    import requests
    from conftest import SlipwayServer, use_mlflow
    from conftest import wait_until
    server = SlipwayServer("sqlite", ["--model", "price@production"]).start()
    try:
        use_mlflow(server.url, "sklearn-serving")
        X, y = data(1, 400)
        model = Pipeline([("scale", StandardScaler()), ("ridge", Ridge(alpha=0.5))]).fit(X, y)
        with mlflow.start_run():
            info = mlflow.sklearn.log_model(model, name="model", registered_model_name="price", input_example=X.head(3))
        version = int(info.registered_model_version)
        mlflow.MlflowClient().set_registered_model_alias("price", "production", str(version))
        wait_until(lambda: requests.get(f"{server.url}/models/price", timeout=10).json().get("version") == str(version), 30, "the version served")
        test, _ = data(3, 50)
        r = requests.post(f"{server.url}/models/price/predict", json=test.to_dict("records"), timeout=10)
        assert r.status_code == 200, r.text
        np.testing.assert_allclose(r.json()["predictions"], model.predict(test), rtol=1e-9)
        described = requests.get(f"{server.url}/models/price", timeout=10).json()
        assert described["format"] == "sklearn-skops", described
    finally:
        server.stop()
