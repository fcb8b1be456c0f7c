"""Native LightGBM evaluation equals the real library: text models trained here with lightgbm
(pinned), predicted by `slipway predict`, compared row by row within 1e-5 relative."""
import subprocess

import lightgbm as lgb
import numpy as np
import pytest

from conftest import BINARY

CASES = {
    "regression": dict(objective="regression", trees=60, leaves=31, features=8),
    "regression-missing": dict(objective="regression", trees=40, leaves=15, features=6, missing=0.2),
    "regression-zero-missing": dict(objective="regression", trees=30, leaves=15, features=5, zeros=0.3, zero_as_missing=True),
    "binary": dict(objective="binary", trees=50, leaves=31, features=10, missing=0.1),
    "multiclass": dict(objective="multiclass", trees=20, leaves=15, features=6, classes=4),
    "poisson": dict(objective="poisson", trees=30, leaves=7, features=4),
    "many-leaves": dict(objective="regression", trees=40, leaves=63, features=20, missing=0.05),
}


def data(rng, rows, features, missing=0.0, zeros=0.0):
    X = rng.normal(size=(rows, features))
    if zeros:
        X[rng.random(X.shape) < zeros] = 0.0
    if missing:
        X[rng.random(X.shape) < missing] = np.nan
    return X


@pytest.mark.parametrize("name", sorted(CASES))
def test_lightgbm_text_parity(tmp_path, name):
    case = CASES[name]
    rng = np.random.default_rng(abs(hash(name)) % 2**32)
    f = case["features"]
    X = data(rng, 2000, f, case.get("missing", 0.0), case.get("zeros", 0.0))
    signal = np.nan_to_num(X[:, 0]) * 2 + np.nan_to_num(X[:, 1]) - np.nan_to_num(X[:, 2 % f])
    if case["objective"] == "binary":
        y = (signal > 0).astype(float)
    elif case["objective"] == "multiclass":
        y = np.digitize(signal, np.quantile(signal, [0.25, 0.5, 0.75])).astype(float)
    elif case["objective"] == "poisson":
        y = rng.poisson(np.exp(np.clip(signal, -2, 2)))
    else:
        y = signal + rng.normal(scale=0.1, size=len(signal))
    params = {"objective": case["objective"], "num_leaves": case["leaves"], "learning_rate": 0.2, "verbose": -1, "seed": 1,
              "min_data_in_leaf": 5, "num_threads": 1}
    if "classes" in case:
        params["num_class"] = case["classes"]
    if case.get("zero_as_missing"):
        params["zero_as_missing"] = True
    booster = lgb.train(params, lgb.Dataset(X, label=y), num_boost_round=case["trees"])
    model = tmp_path / "model.txt"
    booster.save_model(str(model))

    test = data(rng, 500, f, case.get("missing", 0.0), case.get("zeros", 0.0))
    (tmp_path / "input.csv").write_text(",".join(f"Column_{i}" for i in range(f)) + "\n"
                                       + "\n".join(",".join("" if np.isnan(v) else repr(float(v)) for v in row) for row in test) + "\n")
    expected = np.asarray(booster.predict(test)).reshape(len(test), -1)
    result = subprocess.run([str(BINARY), "predict", "--model", str(model), "--input", str(tmp_path / "input.csv")],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    got = np.array([[float(v) for v in line.split(",")] for line in result.stdout.strip().splitlines()[1:]])
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)


def test_bad_lightgbm_files_are_errors(tmp_path):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 3))
    booster = lgb.train({"objective": "regression", "verbose": -1, "num_leaves": 7}, lgb.Dataset(X, label=X[:, 0]), num_boost_round=5)
    text = booster.model_to_string()
    (tmp_path / "input.csv").write_text("Column_0,Column_1,Column_2\n1,2,3\n")
    variants = {"truncated.txt": text[: len(text) // 3], "empty.txt": "", "not-a-model.txt": "hello\nworld\n",
                "bad-child.txt": text.replace("left_child=", "left_child=77 ", 1),
                "bad-objective.txt": text.replace("objective=regression", "objective=lambdarank", 1)}
    for name, content in variants.items():
        (tmp_path / name).write_text(content)
        result = subprocess.run([str(BINARY), "predict", "--model", str(tmp_path / name), "--input", str(tmp_path / "input.csv")],
                                capture_output=True, text=True, timeout=60)
        assert result.returncode == 1 and "error:" in result.stderr, (name, result.returncode, result.stderr[-300:])


def test_mlflow_lightgbm_model_directory(tmp_path):
    import mlflow.lightgbm

    rng = np.random.default_rng(3)
    X = data(rng, 1000, 5, missing=0.1)
    y = (np.nan_to_num(X[:, 0]) > 0).astype(float)
    booster = lgb.train({"objective": "binary", "verbose": -1, "num_leaves": 15}, lgb.Dataset(X, label=y), num_boost_round=20)
    mlflow.lightgbm.save_model(booster, str(tmp_path / "mlflow-model"))
    test = data(rng, 200, 5, missing=0.1)
    (tmp_path / "input.csv").write_text(",".join(f"Column_{i}" for i in range(5)) + "\n"
                                       + "\n".join(",".join("" if np.isnan(v) else repr(float(v)) for v in row) for row in test) + "\n")
    result = subprocess.run([str(BINARY), "predict", "--model", str(tmp_path / "mlflow-model"), "--input", str(tmp_path / "input.csv")],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    got = np.array([float(line) for line in result.stdout.strip().splitlines()[1:]])
    np.testing.assert_allclose(got, booster.predict(test), rtol=1e-5, atol=1e-6)
