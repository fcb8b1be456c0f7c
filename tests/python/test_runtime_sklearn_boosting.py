"""scikit-learn's boosted trees and IsolationForest saved by mlflow in the skops format, read
natively: GradientBoosting and HistGradientBoosting regressors and classifiers (labels and
probabilities, missing values for HistGradientBoosting) and IsolationForest equal scikit-learn's."""
import subprocess

import mlflow.sklearn
import numpy as np
import pandas as pd
import pytest
from sklearn.ensemble import (GradientBoostingClassifier, GradientBoostingRegressor, HistGradientBoostingClassifier,
                              HistGradientBoostingRegressor, IsolationForest)

from conftest import BINARY

COLUMNS = [f"x{i}" for i in range(5)]
TRUSTED = ["sklearn.tree._tree.Tree", "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor"]


def run(*args):
    return subprocess.run([str(BINARY), *map(str, args)], capture_output=True, text=True, timeout=60)


def data(seed, rows, missing=0.0):
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(rng.normal(size=(rows, len(COLUMNS))) * [1, 3, 0.5, 10, 2] + [0, 5, -1, 100, 0], columns=COLUMNS)
    score = X.x0 + 0.3 * X.x1 - 2 * X.x2 + 0.05 * X.x3 + np.sin(X.x4) + rng.normal(scale=0.5, size=rows)
    if missing:
        X = X.mask(rng.random(X.shape) < missing)
    return X, score


def predictions(tmp_path, model, test, predict_fn="predict"):
    path = tmp_path / f"model-{predict_fn}"
    mlflow.sklearn.save_model(model, str(path), skops_trusted_types=TRUSTED, pyfunc_predict_fn=predict_fn, pip_requirements=["scikit-learn"])
    test.to_csv(tmp_path / "input.csv", index=False)
    result = run("predict", "--model", path, "--input", tmp_path / "input.csv", "--output", tmp_path / "out.csv")
    assert result.returncode == 0, result.stderr
    return pd.read_csv(tmp_path / "out.csv", keep_default_na=False)


REGRESSORS = {
    "gb": (lambda: GradientBoostingRegressor(n_estimators=60, max_depth=4, learning_rate=0.1, random_state=0), 0.0),
    "gb-huber-subsample": (lambda: GradientBoostingRegressor(loss="huber", n_estimators=30, subsample=0.7, random_state=0), 0.0),
    "hgb": (lambda: HistGradientBoostingRegressor(max_iter=80, random_state=0), 0.1),
    "hgb-poisson": (lambda: HistGradientBoostingRegressor(loss="poisson", max_iter=40, random_state=0), 0.1),
}


@pytest.mark.parametrize("kind", REGRESSORS)
def test_boosted_regressors_equal_scikit_learn(tmp_path, kind):
    make, missing = REGRESSORS[kind]
    X, y = data(1, 2000, missing)
    if kind.endswith("poisson"):
        y = np.exp(y / 10)
    model = make().fit(X, y)
    test, _ = data(2, 800, missing)
    got = predictions(tmp_path, model, test)
    np.testing.assert_allclose(got.prediction, model.predict(test), rtol=1e-5, atol=1e-6)


CLASSIFIERS = {
    "gb": (lambda: GradientBoostingClassifier(n_estimators=40, max_depth=3, random_state=0), 0.0),
    "hgb": (lambda: HistGradientBoostingClassifier(max_iter=50, random_state=0), 0.1),
}


@pytest.mark.parametrize("classes", [2, 3])
@pytest.mark.parametrize("kind", CLASSIFIERS)
def test_boosted_classifiers_equal_scikit_learn(tmp_path, kind, classes):
    make, missing = CLASSIFIERS[kind]
    X, score = data(1, 2000, missing)
    labels = np.array(["low", "mid", "high"])[np.digitize(score, np.quantile(score, np.linspace(0, 1, classes + 1)[1:-1]))]
    model = make().fit(X, labels)
    test, _ = data(2, 800, missing)
    got = predictions(tmp_path, model, test, "predict")
    assert list(got.prediction) == list(model.predict(test))
    got = predictions(tmp_path, model, test, "predict_proba")
    np.testing.assert_allclose(got.to_numpy(), model.predict_proba(test), rtol=1e-5, atol=1e-6)


def test_gradient_boosting_refuses_missing_values_like_scikit_learn(tmp_path):
    X, y = data(1, 300)
    model = GradientBoostingRegressor(n_estimators=5).fit(X, y)
    mlflow.sklearn.save_model(model, str(tmp_path / "m"), skops_trusted_types=TRUSTED, pip_requirements=["scikit-learn"])
    (tmp_path / "input.csv").write_text(",".join(COLUMNS) + "\n1,2,,4,5\n")
    result = run("predict", "--model", tmp_path / "m", "--input", tmp_path / "input.csv")
    assert result.returncode == 1 and "missing value" in result.stderr, result.stderr


@pytest.mark.parametrize("max_features", [1.0, 0.6])
def test_isolation_forest_equals_scikit_learn(tmp_path, max_features):
    X, _ = data(1, 1500, 0.05)
    model = IsolationForest(n_estimators=60, max_features=max_features, contamination=0.05, random_state=0).fit(X)
    test, _ = data(2, 600, 0.05)
    test.iloc[:20] *= 8  # outliers
    got = predictions(tmp_path, model, test)
    np.testing.assert_array_equal(got.prediction.astype(float), model.predict(test))
    # score_samples, for callers that ask for the score itself.
    text = (tmp_path / "model-predict" / "MLmodel").read_text().replace("predict_fn: predict", "predict_fn: score_samples")
    (tmp_path / "model-predict" / "MLmodel").write_text(text)
    result = run("predict", "--model", tmp_path / "model-predict", "--input", tmp_path / "input.csv", "--output", tmp_path / "scores.csv")
    assert result.returncode == 0, result.stderr
    np.testing.assert_allclose(pd.read_csv(tmp_path / "scores.csv").prediction, model.score_samples(test), rtol=1e-5)
