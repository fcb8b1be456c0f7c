"""Native XGBoost evaluation equals the real library: models trained here with xgboost (pinned),
predicted by `slipway predict`, compared row by row within 1e-5 relative (1e-6 absolute near 0)."""
import subprocess

import numpy as np
import pytest
import xgboost as xgb

from conftest import BINARY


def make_data(rng, rows, features, missing=0.0):
    X = rng.normal(size=(rows, features)).astype(np.float64)
    if missing:
        X[rng.random(X.shape) < missing] = np.nan
    return X


CASES = {
    "regression": dict(objective="reg:squarederror", trees=60, depth=6, features=8),
    "regression-missing": dict(objective="reg:squarederror", trees=40, depth=5, features=6, missing=0.2),
    "binary-logistic": dict(objective="binary:logistic", trees=50, depth=4, features=10, missing=0.1),
    "binary-logitraw": dict(objective="binary:logitraw", trees=20, depth=3, features=5),
    "multi-softprob": dict(objective="multi:softprob", trees=15, depth=4, features=6, classes=4),
    "multi-softmax": dict(objective="multi:softmax", trees=15, depth=4, features=6, classes=3),
    "poisson": dict(objective="count:poisson", trees=30, depth=3, features=4),
    "many-features": dict(objective="reg:squarederror", trees=30, depth=6, features=120, missing=0.05),
    "dart": dict(objective="binary:logistic", trees=20, depth=3, features=5, booster="dart"),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_xgboost_json_parity(tmp_path, name):
    case = CASES[name]
    rng = np.random.default_rng(abs(hash(name)) % 2**32)
    features = case["features"]
    X = make_data(rng, 600, features, case.get("missing", 0.0))
    signal = np.nan_to_num(X[:, 0]) * 2 + np.nan_to_num(X[:, 1]) - np.nan_to_num(X[:, 2 % features])
    objective = case["objective"]
    if objective.startswith("binary"):
        y = (signal > 0).astype(float)
    elif objective.startswith("multi"):
        y = np.digitize(signal, np.quantile(signal, np.linspace(0, 1, case["classes"] + 1)[1:-1])).astype(float)
    elif objective == "count:poisson":
        y = rng.poisson(np.exp(np.clip(signal, -2, 2)))
    else:
        y = signal + rng.normal(scale=0.1, size=len(signal))
    params = {"objective": objective, "max_depth": case["depth"], "eta": 0.3, "seed": 1}
    if "classes" in case:
        params["num_class"] = case["classes"]
    if case.get("booster") == "dart":
        params.update(booster="dart", rate_drop=0.2, skip_drop=0.0)
    booster = xgb.train(params, xgb.DMatrix(X, label=y), num_boost_round=case["trees"])
    model = tmp_path / "model.json"
    booster.save_model(str(model))

    test = make_data(rng, 400, features, case.get("missing", 0.0))
    header = ",".join(f"f{i}" for i in range(features))
    rows = "\n".join(",".join("" if np.isnan(v) else repr(float(v)) for v in row) for row in test)
    (tmp_path / "input.csv").write_text(header + "\n" + rows + "\n")
    expected = booster.predict(xgb.DMatrix(test)).reshape(len(test), -1)

    result = subprocess.run([str(BINARY), "predict", "--model", str(model), "--input", str(tmp_path / "input.csv")],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    got = np.array([[float(v) for v in line.split(",")] for line in lines[1:]])
    assert got.shape == expected.shape
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)

    # Fewer rows than a block's lanes take the tree-parallel walk: the very same sums.
    few = tmp_path / "few.csv"
    few.write_text(header + "\n" + "\n".join(rows.splitlines()[:5]) + "\n")
    result = subprocess.run([str(BINARY), "predict", "--model", str(model), "--input", str(few)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    got_few = np.array([[float(v) for v in line.split(",")] for line in result.stdout.strip().splitlines()[1:]])
    assert np.array_equal(got_few, got[:5])


def test_bad_model_files_are_errors_not_crashes(tmp_path):
    rng = np.random.default_rng(0)
    X = make_data(rng, 100, 3)
    booster = xgb.train({"objective": "reg:squarederror", "max_depth": 3}, xgb.DMatrix(X, label=X[:, 0]), num_boost_round=5)
    good = tmp_path / "good.json"
    booster.save_model(str(good))
    data = good.read_bytes()
    (tmp_path / "input.csv").write_text("a,b,c\n1,2,3\n")
    variants = {
        "truncated.json": data[: len(data) // 2],
        "empty.json": b"",
        "not-xgboost.json": b'{"hello": "world"}',
        "garbage.json": bytes(rng.integers(0, 256, size=2000, dtype=np.uint8)),
        "bad-child.json": data.replace(b'"left_children":[1', b'"left_children":[99999', 1),
        "cycle.json": data.replace(b'"left_children":[1', b'"left_children":[0', 1),
        "bad-objective.json": data.replace(b'"reg:squarederror"', b'"rank:pairwise"'),
    }
    for name, content in variants.items():
        path = tmp_path / name
        path.write_bytes(content)
        result = subprocess.run([str(BINARY), "predict", "--model", str(path), "--input", str(tmp_path / "input.csv")],
                                capture_output=True, text=True, timeout=60)
        assert result.returncode == 1, (name, result.returncode, result.stderr[-500:])
        assert "error:" in result.stderr, name
    wrong_width = tmp_path / "wide.csv"
    wrong_width.write_text("a,b\n1,2\n")
    result = subprocess.run([str(BINARY), "predict", "--model", str(good), "--input", str(wrong_width)], capture_output=True, text=True)
    assert result.returncode == 1 and "expects 3 features" in result.stderr


def run_predict(model, csv):
    result = subprocess.run([str(BINARY), "predict", "--model", str(model), "--input", str(csv)], capture_output=True, text=True, timeout=120)
    return result


def read_predictions(stdout):
    lines = stdout.strip().splitlines()
    return np.array([[float(v) for v in line.split(",")] for line in lines[1:]])


@pytest.mark.parametrize("objective,classes", [("binary:logistic", 0), ("multi:softprob", 3), ("reg:squarederror", 0)])
def test_ubjson_and_mlflow_model_directory(tmp_path, objective, classes):
    import mlflow.xgboost

    rng = np.random.default_rng(5)
    X = make_data(rng, 500, 6, missing=0.1)
    signal = np.nan_to_num(X[:, 0]) - np.nan_to_num(X[:, 3])
    y = (signal > 0).astype(float) if classes == 0 and objective.startswith("binary") else signal
    params = {"objective": objective, "max_depth": 4}
    if classes:
        params["num_class"] = classes
        y = np.digitize(signal, [-0.5, 0.5]).astype(float)
    booster = xgb.train(params, xgb.DMatrix(X, label=y), num_boost_round=25)
    booster.save_model(str(tmp_path / "model.ubj"))
    mlflow.xgboost.save_model(booster, str(tmp_path / "mlflow-model"))
    assert "model.ubj" in (tmp_path / "mlflow-model" / "MLmodel").read_text()

    test = make_data(rng, 300, 6, missing=0.1)
    csv = tmp_path / "input.csv"
    csv.write_text(",".join(f"f{i}" for i in range(6)) + "\n" + "\n".join(",".join("" if np.isnan(v) else repr(float(v)) for v in row) for row in test) + "\n")
    expected = booster.predict(xgb.DMatrix(test)).reshape(len(test), -1)
    for model in (tmp_path / "model.ubj", tmp_path / "mlflow-model"):
        result = run_predict(model, csv)
        assert result.returncode == 0, result.stderr
        np.testing.assert_allclose(read_predictions(result.stdout), expected, rtol=1e-5, atol=1e-6)


def test_bad_ubjson_and_directories_are_errors(tmp_path):
    rng = np.random.default_rng(1)
    X = make_data(rng, 100, 3)
    booster = xgb.train({"objective": "reg:squarederror", "max_depth": 3}, xgb.DMatrix(X, label=X[:, 0]), num_boost_round=5)
    booster.save_model(str(tmp_path / "good.ubj"))
    data = (tmp_path / "good.ubj").read_bytes()
    csv = tmp_path / "input.csv"
    csv.write_text("a,b,c\n1,2,3\n")
    for name, content in {"truncated.ubj": data[: len(data) // 3], "garbage.ubj": bytes(rng.integers(0, 256, 3000, dtype=np.uint8)),
                          "huge-count.ubj": b"[#L\x7f\xff\xff\xff\xff\xff\xff\xff"}.items():
        (tmp_path / name).write_bytes(content)
        result = run_predict(tmp_path / name, csv)
        assert result.returncode == 1 and "error:" in result.stderr, (name, result.stderr[-300:])
    empty_dir = tmp_path / "not-a-model"
    empty_dir.mkdir()
    assert "MLmodel" in run_predict(empty_dir, csv).stderr
    sk_dir = tmp_path / "sklearn-model"
    sk_dir.mkdir()
    (sk_dir / "MLmodel").write_text("flavors:\n  sklearn:\n    pickled_model: model.pkl\n")
    result = run_predict(sk_dir, csv)
    assert result.returncode == 1 and "serialized with pickle, which only Python can read" in result.stderr, result.stderr
    (sk_dir / "MLmodel").write_text("flavors:\n  python_function:\n    loader_module: mlflow.pyfunc.model\n")
    result = run_predict(sk_dir, csv)
    assert result.returncode == 1 and "no xgboost, lightgbm, sklearn or onnx flavor" in result.stderr, result.stderr


def write_csv(path, names, X):
    rows = "\n".join(",".join("" if np.isnan(v) else repr(float(v)) for v in row) for row in X)
    path.write_text(",".join(names) + "\n" + rows + "\n")


@pytest.mark.parametrize("onehot", [False, True])
def test_categorical_splits(tmp_path, onehot):
    """Categorical features (codes 0..K-1), trained with partition or one-hot splits; the test rows add
    unseen, negative, fractional and missing categories. 6000 rows, so a batch spans threads."""
    rng = np.random.default_rng(7 + onehot)
    rows, cats = 3000, 25

    def sample(n):
        X = np.column_stack([rng.normal(size=n), rng.integers(0, cats, n).astype(float), rng.normal(size=n), rng.integers(0, 5, n).astype(float)])
        X[rng.random(n) < 0.05, 1] = np.nan
        return X

    X = sample(rows)
    effect = np.sin(np.nan_to_num(X[:, 1], nan=3.0)) * 2 + (X[:, 3] == 2)
    y = ((X[:, 0] + effect) > 0.5).astype(float)
    kinds = ["q", "c", "q", "c"]
    params = {"objective": "binary:logistic", "max_depth": 5, "eta": 0.3, "seed": 1, "tree_method": "hist",
              "max_cat_to_onehot": 64 if onehot else 1}
    booster = xgb.train(params, xgb.DMatrix(X, label=y, feature_types=kinds, enable_categorical=True), num_boost_round=40)
    model = tmp_path / "model.json"
    booster.save_model(str(model))
    test = sample(6000)
    test[:50, 1] = rng.integers(cats, cats + 40, 50)        # unseen
    test[50:60, 1] = -rng.integers(1, 5, 10)                # negative
    test[60:80, 1] = rng.integers(0, cats, 20) + 0.5        # fractional
    names = ["f0", "f1", "f2", "f3"]
    write_csv(tmp_path / "input.csv", names, test)
    expected = booster.predict(xgb.DMatrix(test, feature_types=kinds, enable_categorical=True)).reshape(len(test), -1)
    result = run_predict(model, tmp_path / "input.csv")
    assert result.returncode == 0, result.stderr
    np.testing.assert_allclose(read_predictions(result.stdout), expected, rtol=1e-5, atol=1e-6)
    inspect = subprocess.run([str(BINARY), "model", "inspect", str(model)], capture_output=True, text=True, timeout=60)
    assert inspect.returncode == 0, inspect.stderr
    assert "categorical splits" in inspect.stdout and "binary:logistic" in inspect.stdout


def test_json_lines_input_and_output(tmp_path):
    """JSON lines in (objects by name with null or absent keys as missing, or arrays by position)
    predict exactly what the CSV does; --output .jsonl writes JSON lines."""
    import json
    rng = np.random.default_rng(4)
    X = make_data(rng, 400, 3, missing=0.1)
    booster = xgb.train({"objective": "multi:softprob", "num_class": 3, "max_depth": 3},
                        xgb.DMatrix(X, label=rng.integers(0, 3, 400), feature_names=["a", "b", "c"]), num_boost_round=10)
    booster.save_model(str(tmp_path / "model.json"))
    test = make_data(rng, 50, 3, missing=0.2)
    write_csv(tmp_path / "input.csv", ["a", "b", "c"], test)
    lines = []
    for i, row in enumerate(test):
        if i % 3 == 0:
            lines.append(json.dumps([None if np.isnan(v) else float(v) for v in row]))
        else:
            obj = {name: (None if np.isnan(v) else float(v)) for name, v in zip("abc", row)}
            if i % 3 == 2:
                obj = {k: v for k, v in obj.items() if v is not None}  # absent = missing
            obj["id"] = i  # extra keys are ignored
            lines.append(json.dumps(obj))
    (tmp_path / "input.jsonl").write_text("\n".join(lines) + "\n")
    from_csv = read_predictions(run_predict(tmp_path / "model.json", tmp_path / "input.csv").stdout)
    result = run_predict(tmp_path / "model.json", tmp_path / "input.jsonl")
    assert result.returncode == 0, result.stderr
    from_jsonl = np.array([json.loads(line)["probabilities"] for line in result.stdout.splitlines()])
    np.testing.assert_array_equal(from_jsonl, from_csv)
    np.testing.assert_allclose(from_csv, booster.predict(xgb.DMatrix(test, feature_names=["a", "b", "c"])), rtol=1e-5, atol=1e-6)
    out = subprocess.run([str(BINARY), "predict", "--model", str(tmp_path / "model.json"), "--input", str(tmp_path / "input.csv"),
                          "--output", str(tmp_path / "out.jsonl")], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0 and len((tmp_path / "out.jsonl").read_text().splitlines()) == 50
    (tmp_path / "bad.jsonl").write_text('{"a": 1}\n{"a": "x"}\n')
    bad = run_predict(tmp_path / "model.json", tmp_path / "bad.jsonl")
    assert bad.returncode == 1 and "line 2, feature 'a'" in bad.stderr
    (tmp_path / "bad2.jsonl").write_text('[1, 2]\n')
    bad = run_predict(tmp_path / "model.json", tmp_path / "bad2.jsonl")
    assert bad.returncode == 1 and "expects 3" in bad.stderr
