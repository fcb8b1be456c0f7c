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

    # Fewer rows than a block's lanes take the tree-parallel walk: the very same sums.
    lines = (tmp_path / "input.csv").read_text().splitlines()
    (tmp_path / "few.csv").write_text("\n".join(lines[:4]) + "\n")
    result = subprocess.run([str(BINARY), "predict", "--model", str(model), "--input", str(tmp_path / "few.csv")],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    got_few = np.array([[float(v) for v in line.split(",")] for line in result.stdout.strip().splitlines()[1:]])
    assert np.array_equal(got_few, got[:3])


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


def write_csv(path, X):
    rows = "\n".join(",".join("" if np.isnan(v) else repr(float(v)) for v in row) for row in X)
    path.write_text(",".join(f"Column_{i}" for i in range(X.shape[1])) + "\n" + rows + "\n")


def predict(model, csv):
    result = subprocess.run([str(BINARY), "predict", "--model", str(model), "--input", str(csv)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return np.array([[float(v) for v in line.split(",")] for line in result.stdout.strip().splitlines()[1:]])


@pytest.mark.parametrize("objective", ["regression", "multiclass"])
def test_categorical_splits(tmp_path, objective):
    """Two categorical features (one with many categories), with unseen, negative, fractional and
    missing categories at prediction time; 6000 rows so the batch spans threads."""
    rng = np.random.default_rng(11)

    def sample(n):
        X = np.column_stack([rng.normal(size=n), rng.integers(0, 40, n).astype(float), rng.normal(size=n), rng.integers(0, 4, n).astype(float)])
        X[rng.random(n) < 0.05, 1] = np.nan
        X[rng.random(n) < 0.05, 0] = np.nan
        return X

    X = sample(4000)
    signal = np.nan_to_num(X[:, 0]) + np.sin(np.nan_to_num(X[:, 1], nan=7.0)) * 2 + (X[:, 3] == 1)
    params = {"objective": objective, "num_leaves": 31, "learning_rate": 0.2, "verbose": -1, "seed": 1, "num_threads": 1,
              "min_data_per_group": 5, "cat_smooth": 1, "max_cat_threshold": 64}
    if objective == "multiclass":
        params["num_class"] = 3
        y = np.digitize(signal, np.quantile(signal, [0.33, 0.66]))
    else:
        y = signal
    booster = lgb.train(params, lgb.Dataset(X, label=y, categorical_feature=[1, 3]), num_boost_round=40)
    model = tmp_path / "model.txt"
    booster.save_model(str(model))
    assert "cat_threshold=" in model.read_text()
    test = sample(6000)
    test[:50, 1] = rng.integers(40, 90, 50)
    test[50:60, 1] = -rng.integers(1, 5, 10)
    test[60:80, 1] = rng.integers(0, 40, 20) + 0.5
    test[80:90, 1] = -0.5
    write_csv(tmp_path / "input.csv", test)
    expected = np.asarray(booster.predict(test)).reshape(len(test), -1)
    np.testing.assert_allclose(predict(model, tmp_path / "input.csv"), expected, rtol=1e-5, atol=1e-6)


def test_linear_trees(tmp_path):
    """linear_tree=True: each leaf holds a linear model, replaced by the leaf value when one of its features is missing."""
    rng = np.random.default_rng(5)
    X = rng.normal(size=(3000, 5))
    X[rng.random(X.shape) < 0.05] = np.nan
    y = 3 * np.nan_to_num(X[:, 0]) - 2 * np.nan_to_num(X[:, 1]) + np.where(np.nan_to_num(X[:, 2]) > 0, 1.0, -1.0) * np.nan_to_num(X[:, 3])
    booster = lgb.train({"objective": "regression", "linear_tree": True, "num_leaves": 15, "learning_rate": 0.3, "verbose": -1,
                         "seed": 1, "num_threads": 1}, lgb.Dataset(X, label=y), num_boost_round=30)
    model = tmp_path / "model.txt"
    booster.save_model(str(model))
    assert "is_linear=1" in model.read_text()
    test = rng.normal(size=(2000, 5))
    test[rng.random(test.shape) < 0.05] = np.nan
    write_csv(tmp_path / "input.csv", test)
    np.testing.assert_allclose(predict(model, tmp_path / "input.csv").ravel(), booster.predict(test), rtol=1e-5, atol=1e-6)
