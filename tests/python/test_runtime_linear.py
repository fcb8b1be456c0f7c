"""Linear models in Slipway's JSON format, written from scikit-learn by the two-line snippet of
docs/runtime.md, predict what scikit-learn predicts."""
import json
import subprocess

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LinearRegression, LogisticRegression, PoissonRegressor, Ridge

from conftest import BINARY


def export(model, link, path):
    # The snippet from docs/runtime.md:
    json.dump({"format": "slipway-linear", "link": link, "feature_names": list(model.feature_names_in_),
               "coefficients": np.atleast_2d(model.coef_).tolist(), "intercept": np.atleast_1d(model.intercept_).tolist()}, open(path, "w"))


def run(*args):
    return subprocess.run([str(BINARY), *map(str, args)], capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("kind", ["linear", "ridge", "logistic-binary", "logistic-multinomial", "poisson"])
def test_linear_parity(tmp_path, kind):
    rng = np.random.default_rng(3)
    X = pd.DataFrame(rng.normal(size=(800, 6)), columns=[f"x{i}" for i in range(6)])
    signal = X.x0 * 2 - X.x1 + 0.5 * X.x2
    if kind == "linear":
        model, link, y = LinearRegression(), "identity", signal + rng.normal(scale=0.1, size=len(X))
    elif kind == "ridge":
        model, link, y = Ridge(alpha=3.0), "identity", signal
    elif kind == "logistic-binary":
        model, link, y = LogisticRegression(), "logistic", (signal > 0).astype(int)
    elif kind == "logistic-multinomial":
        model, link, y = LogisticRegression(max_iter=500), "softmax", np.digitize(signal, [-1, 1])
    else:
        model, link, y = PoissonRegressor(), "exp", rng.poisson(np.exp(np.clip(signal, -2, 2) / 2))
    model.fit(X, y)
    export(model, link, tmp_path / "model.json")
    test = pd.DataFrame(rng.normal(size=(300, 6)), columns=X.columns)
    test[list(reversed(test.columns))].to_csv(tmp_path / "input.csv", index=False)  # columns found by name
    if kind.startswith("logistic"):
        expected = model.predict_proba(test)
        if kind == "logistic-binary":
            expected = expected[:, 1:]
    else:
        expected = model.predict(test).reshape(-1, 1)
    result = run("predict", "--model", tmp_path / "model.json", "--input", tmp_path / "input.csv")
    assert result.returncode == 0, result.stderr
    got = np.array([[float(v) for v in line.split(",")] for line in result.stdout.strip().splitlines()[1:]])
    np.testing.assert_allclose(got, expected, rtol=1e-9, atol=1e-12)
    inspect = run("model", "inspect", "--json", tmp_path / "model.json")
    assert json.loads(inspect.stdout)["format"] == "linear"


def test_bad_linear_documents_are_errors(tmp_path):
    (tmp_path / "input.csv").write_text("a,b\n1,2\n")
    good = {"format": "slipway-linear", "link": "identity", "feature_names": ["a", "b"], "coefficients": [1.0, 2.0], "intercept": 0.5}
    result = run("predict", "--model", _write(tmp_path / "good.json", good), "--input", tmp_path / "input.csv")
    assert result.returncode == 0 and result.stdout.splitlines()[1] == "5.5", result.stderr
    bad = {
        "link.json": {**good, "link": "probit"},
        "widths.json": {**good, "coefficients": [[1.0, 2.0], [1.0]]},
        "names.json": {**good, "feature_names": ["a"]},
        "intercepts.json": {**good, "intercept": [1.0, 2.0]},
        "strings.json": {**good, "coefficients": ["1", 2.0]},
        "empty.json": {**good, "coefficients": []},
        "softmax-one-row.json": {**good, "link": "softmax"},
        "logistic-rows.json": {**good, "link": "logistic", "coefficients": [[1.0, 2.0], [3.0, 4.0]], "intercept": [0, 0]},
    }
    for name, document in bad.items():
        result = run("predict", "--model", _write(tmp_path / name, document), "--input", tmp_path / "input.csv")
        assert result.returncode == 1 and "error: Linear model" in result.stderr, (name, result.stderr)
    (tmp_path / "missing.csv").write_text("a,b\n1,\n")
    result = run("predict", "--model", tmp_path / "good.json", "--input", tmp_path / "missing.csv")
    assert result.returncode == 1 and "missing feature 'b'" in result.stderr, result.stderr


def _write(path, document):
    path.write_text(json.dumps(document))
    return path
