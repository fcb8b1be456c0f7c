"""ONNX-ML models run natively, without onnxruntime: skl2onnx exports of scikit-learn, onnxmltools
conversions of LightGBM and XGBoost, CatBoost's own export and the opset-5 TreeEnsemble, each
equal to onnxruntime on the same rows (missing values included), for the graph's first output
(labels or values) and for the probabilities when they are put first. Unsupported operators and
damaged files are clear errors, never crashes."""
import json
import subprocess
import warnings

import numpy as np
import onnx
import onnxruntime as ort
import pandas as pd
import pytest
from onnx import helper, numpy_helper

from conftest import BINARY, assert_damaged_copies_never_crash

warnings.filterwarnings("ignore")
FEATURES = 6


def run(*args):
    return subprocess.run([str(BINARY), *map(str, args)], capture_output=True, text=True, timeout=120)


def data(seed, rows, classes=None, text=False, missing=0.0):
    rng = np.random.default_rng(seed)
    X = (rng.normal(size=(rows, FEATURES)) * [1, 3, 0.5, 10, 1, 2] + [0, 5, -1, 100, 0, 0]).astype(np.float32)
    score = X[:, 0] + 0.3 * X[:, 1] - 2 * X[:, 2] + 0.05 * X[:, 3] + np.sin(X[:, 4]) + rng.normal(scale=0.3, size=rows)
    if classes is None:
        y = score
    else:
        y = np.digitize(score, np.quantile(score, np.linspace(0, 1, classes + 1)[1:-1]))
        if text:
            y = np.array(["setosa", "versi,color", "virginica", "other"])[y]
    if missing:
        X = np.where(rng.random(X.shape) < missing, np.nan, X).astype(np.float32)
    return X, y


def write_csv(X, path):
    pd.DataFrame(X, columns=[f"f{i}" for i in range(X.shape[1])]).to_csv(path, index=False, float_format="%.9g")


def reference(model, X):
    """onnxruntime's outputs, ZipMaps as matrices."""
    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    outputs = session.run(None, {session.get_inputs()[0].name: X})
    return [np.array([[row[k] for k in row] for row in o]) if isinstance(o, list) and o and isinstance(o[0], dict) else np.asarray(o)
            for o in outputs]


def first_output_moved(model, index):
    """The same model answering its output `index` first."""
    twin = onnx.ModelProto()
    twin.CopyFrom(model)
    outputs = list(twin.graph.output)
    del twin.graph.output[:]
    twin.graph.output.extend([outputs[index]] + outputs[:index] + outputs[index + 1:])
    return twin


def slipway_predict(model, X, tmp_path, name):
    path = tmp_path / f"{name}.onnx"
    path.write_bytes(model.SerializeToString())
    write_csv(X, tmp_path / "input.csv")
    result = run("predict", "--model", path, "--input", tmp_path / "input.csv", "--output", tmp_path / f"{name}.csv")
    assert result.returncode == 0, result.stderr
    return pd.read_csv(tmp_path / f"{name}.csv", keep_default_na=False)


def check(model, X, tmp_path):
    expected = reference(model, X)
    got = slipway_predict(model, X, tmp_path, "first")
    first = expected[0]
    if first.dtype.kind in "iUO":
        assert list(got.columns) == ["prediction"]
        # Where the two best probabilities tie to float precision, the order of the trees' sums decides: skip those rows.
        decided = np.ones(len(X), dtype=bool)
        if len(expected) > 1 and expected[1].dtype.kind == "f" and expected[1].reshape(len(X), -1).shape[1] > 1:
            top = np.sort(expected[1].reshape(len(X), -1), axis=1)
            decided = top[:, -1] - top[:, -2] > 1e-5
            assert decided.mean() > 0.9
        if first.dtype.kind == "i":
            np.testing.assert_array_equal(got.prediction.astype(np.int64)[decided], first.ravel()[decided])
        else:
            assert list(got.prediction.astype(str)[decided]) == [str(v) for v in first.ravel()[decided]]
    else:
        np.testing.assert_allclose(got.to_numpy(dtype=float).reshape(first.shape), first, rtol=1e-5, atol=1e-5)
    if len(expected) > 1 and expected[1].dtype.kind == "f":
        probabilities = slipway_predict(first_output_moved(model, 1), X, tmp_path, "second")
        np.testing.assert_allclose(probabilities.to_numpy(dtype=float), expected[1].reshape(len(X), -1), rtol=1e-5, atol=1e-5)
    return got


def skl(model, X, ml=None):
    from skl2onnx import to_onnx
    return to_onnx(model, X[:1], target_opset={"": 21, "ai.onnx.ml": ml} if ml else None)


def sklearn_cases():
    from sklearn import ensemble, linear_model, tree
    return {
        "forest-binary": (lambda: ensemble.RandomForestClassifier(30, max_depth=8, random_state=0), 2, False),
        "forest-3-text": (lambda: ensemble.RandomForestClassifier(30, max_depth=8, random_state=0), 3, True),
        "extra-trees-4": (lambda: ensemble.ExtraTreesClassifier(20, random_state=0), 4, False),
        "tree-regressor": (lambda: tree.DecisionTreeRegressor(max_depth=8, random_state=0), None, False),
        "forest-regressor": (lambda: ensemble.RandomForestRegressor(30, max_depth=8, random_state=0), None, False),
        "gb-regressor": (lambda: ensemble.GradientBoostingRegressor(n_estimators=40, random_state=0), None, False),
        "gb-binary": (lambda: ensemble.GradientBoostingClassifier(n_estimators=30, random_state=0), 2, False),
        "gb-3": (lambda: ensemble.GradientBoostingClassifier(n_estimators=20, random_state=0), 3, True),
        "logistic-binary": (lambda: linear_model.LogisticRegression(max_iter=2000), 2, False),
        "logistic-3-text": (lambda: linear_model.LogisticRegression(max_iter=2000), 3, True),
        "linear": (lambda: linear_model.LinearRegression(), None, False),
        "ridge": (lambda: linear_model.Ridge(alpha=2.0), None, False),
    }


@pytest.mark.parametrize("kind", list(sklearn_cases()))
def test_skl2onnx_exports_equal_onnxruntime(tmp_path, kind):
    make, classes, text = sklearn_cases()[kind]
    X, y = data(1, 1200, classes, text)
    model = make().fit(X, y)
    test, _ = data(2, 500, classes, text)
    check(skl(model, X), test, tmp_path)


def test_pipelines_with_imputers_scalers_encoders_and_missing_values(tmp_path):
    from sklearn import compose, ensemble, impute, linear_model, pipeline, preprocessing
    X, y = data(1, 1200, missing=0.1)
    cats = np.random.default_rng(3).integers(0, 4, size=(len(X), 2)).astype(np.float32)
    X = np.c_[X, cats]
    y = y + cats[:, 0] * 2
    test, _ = data(2, 400, missing=0.1)
    test = np.c_[test, np.random.default_rng(4).integers(0, 5, size=(len(test), 2)).astype(np.float32)]  # category 4 is unknown
    numeric = list(range(FEATURES))
    linear = pipeline.make_pipeline(
        compose.ColumnTransformer([
            ("num", pipeline.make_pipeline(impute.SimpleImputer(), preprocessing.StandardScaler(), preprocessing.MinMaxScaler()), numeric),
            ("cat", preprocessing.OneHotEncoder(handle_unknown="ignore"), [FEATURES, FEATURES + 1])]),
        linear_model.Ridge()).fit(X, y)
    check(skl(linear, X, 3), test, tmp_path)
    forest = pipeline.make_pipeline(
        compose.ColumnTransformer([("num", impute.SimpleImputer(strategy="median"), numeric),
                                   ("cat", preprocessing.OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1), [FEATURES, FEATURES + 1])]),
        ensemble.RandomForestRegressor(20, max_depth=6, random_state=0)).fit(X, y)
    check(skl(forest, X, 3), test, tmp_path)
    normalized = pipeline.make_pipeline(impute.SimpleImputer(), preprocessing.Normalizer(), linear_model.LogisticRegression()).fit(X, (y > np.median(y)).astype(int))
    check(skl(normalized, X), test, tmp_path)


def test_isolation_forest_graph_of_arithmetic_operators(tmp_path):
    from sklearn.ensemble import IsolationForest
    X, _ = data(1, 800)
    model = IsolationForest(n_estimators=30, random_state=0).fit(X)
    onnx_model = skl(model, X, 3)
    test, _ = data(2, 300)
    test[:20] *= 8  # outliers
    check(onnx_model, test, tmp_path)


@pytest.mark.parametrize("kind", ["regressor", "binary", "multiclass"])
def test_onnxmltools_lightgbm_and_xgboost_equal_onnxruntime(tmp_path, kind):
    import lightgbm
    import xgboost
    from onnxmltools import convert_lightgbm, convert_xgboost
    from onnxmltools.convert.common.data_types import FloatTensorType
    classes = {"regressor": None, "binary": 2, "multiclass": 3}[kind]
    X, y = data(1, 1500, classes, missing=0.1)
    test, _ = data(2, 500, classes, missing=0.1)
    types = [("input", FloatTensorType([None, FEATURES]))]
    if classes:
        lgb = lightgbm.LGBMClassifier(n_estimators=40, num_leaves=15, verbose=-1).fit(X, y)
        xgb = xgboost.XGBClassifier(n_estimators=40, max_depth=4).fit(X, y)
    else:
        lgb = lightgbm.LGBMRegressor(n_estimators=40, num_leaves=15, verbose=-1).fit(X, y)
        xgb = xgboost.XGBRegressor(n_estimators=40, max_depth=4).fit(X, y)
    check(convert_lightgbm(lgb, initial_types=types, zipmap=True), test, tmp_path)
    check(convert_xgboost(xgb, initial_types=types), test, tmp_path)


@pytest.mark.parametrize("kind", ["regressor", "binary", "multiclass"])
def test_catboost_export_equals_onnxruntime(tmp_path, kind):
    import catboost
    classes = {"regressor": None, "binary": 2, "multiclass": 3}[kind]
    X, y = data(1, 1500, classes)
    test, _ = data(2, 500, classes)
    model = (catboost.CatBoostClassifier if classes else catboost.CatBoostRegressor)(iterations=40, depth=5, verbose=0, thread_count=1, train_dir=str(tmp_path / "catboost_info")).fit(X, y)
    model.save_model(str(tmp_path / "catboost.onnx"), format="onnx")
    check(onnx.load(str(tmp_path / "catboost.onnx")), test, tmp_path)


def tree_ensemble_v5(regressor):
    """The opset-5 TreeEnsemble equal to an opset-1 TreeEnsembleRegressor node's trees."""
    a = {x.name: helper.get_attribute_value(x) for x in regressor.attribute}
    nodes = list(zip(a["nodes_treeids"], a["nodes_nodeids"]))
    index = {key: i for i, key in enumerate(nodes)}
    splits = [i for i, m in enumerate(a["nodes_modes"]) if m != b"LEAF"]
    split_index = {i: k for k, i in enumerate(splits)}
    leaves, leaf_index = [], {}
    for t, n, target, w in zip(a["target_treeids"], a["target_nodeids"], a["target_ids"], a["target_weights"]):
        leaf_index[index[(t, n)]] = len(leaves)
        leaves.append((target, w))

    def child(tree, node_id):
        i = index[(tree, node_id)]
        return (leaf_index[i], 1) if i in leaf_index else (split_index[i], 0)

    trues = [child(a["nodes_treeids"][i], a["nodes_truenodeids"][i]) for i in splits]
    falses = [child(a["nodes_treeids"][i], a["nodes_falsenodeids"][i]) for i in splits]
    roots = [split_index[index[(t, 0)]] for t in sorted(set(a["nodes_treeids"]))]
    mode = {b"BRANCH_LEQ": 0, b"BRANCH_LT": 1, b"BRANCH_GTE": 2, b"BRANCH_GT": 3}
    return helper.make_node(
        "TreeEnsemble", regressor.input, regressor.output, domain="ai.onnx.ml", n_targets=a.get("n_targets", 1), aggregate_function=0 if a.get("aggregate_function", b"SUM") == b"AVERAGE" else 1,
        post_transform=0, tree_roots=roots, nodes_featureids=[a["nodes_featureids"][i] for i in splits],
        nodes_splits=numpy_helper.from_array(np.array([a["nodes_values"][i] for i in splits], dtype=np.float32)),
        nodes_modes=numpy_helper.from_array(np.array([mode[a["nodes_modes"][i]] for i in splits], dtype=np.uint8)),
        nodes_truenodeids=[t for t, _ in trues], nodes_trueleafs=[l for _, l in trues],
        nodes_falsenodeids=[f for f, _ in falses], nodes_falseleafs=[l for _, l in falses],
        nodes_missing_value_tracks_true=[a["nodes_missing_value_tracks_true"][i] for i in splits] if "nodes_missing_value_tracks_true" in a else [0] * len(splits),
        leaf_targetids=[t for t, _ in leaves], leaf_weights=numpy_helper.from_array(np.array([w for _, w in leaves], dtype=np.float32)))


def test_tree_ensemble_of_opset_5_equals_onnxruntime(tmp_path):
    from sklearn.ensemble import RandomForestRegressor
    X, y = data(1, 1000, missing=0.1)
    model = skl(RandomForestRegressor(20, max_depth=7, random_state=0).fit(X, y), X)
    node = next(n for n in model.graph.node if n.op_type == "TreeEnsembleRegressor")
    v5 = helper.make_model(helper.make_graph([tree_ensemble_v5(node)], "v5", list(model.graph.input), list(model.graph.output)),
                           opset_imports=[helper.make_opsetid("", 21), helper.make_opsetid("ai.onnx.ml", 5)])
    v5.ir_version = 10
    test, _ = data(2, 400, missing=0.1)
    check(v5, test, tmp_path)
    inspect = json.loads(run("model", "inspect", "--json", tmp_path / "first.onnx").stdout)
    assert inspect["format"] == "onnx" and inspect["trees"] == 20, inspect


def test_mlflow_onnx_flavor_loads_and_serves_the_same_answers(tmp_path):
    import mlflow.onnx
    from sklearn.ensemble import RandomForestClassifier
    X, y = data(1, 800, 3, text=True)
    model = skl(RandomForestClassifier(20, max_depth=6, random_state=0).fit(X, y), X)
    mlflow.onnx.save_model(model, str(tmp_path / "mlflow-model"))
    test, _ = data(2, 200, 3, text=True)
    write_csv(test, tmp_path / "input.csv")
    result = run("predict", "--model", tmp_path / "mlflow-model", "--input", tmp_path / "input.csv", "--output", tmp_path / "out.csv")
    assert result.returncode == 0, result.stderr
    got = pd.read_csv(tmp_path / "out.csv", keep_default_na=False)
    assert list(got.prediction) == list(reference(model, test)[0])
    inspect = json.loads(run("model", "inspect", "--json", tmp_path / "mlflow-model").stdout)
    assert inspect["format"] == "onnx" and inspect["output_kind"] == "classIndex", inspect


def test_unsupported_operators_and_inputs_are_named_at_load(tmp_path):
    from skl2onnx import to_onnx
    from skl2onnx.common.data_types import StringTensorType
    from sklearn.preprocessing import OneHotEncoder
    from sklearn.svm import SVC
    X, y = data(1, 200, 2)
    (tmp_path / "svc.onnx").write_bytes(to_onnx(SVC().fit(X, y), X[:1]).SerializeToString())
    result = run("model", "inspect", tmp_path / "svc.onnx")
    assert result.returncode == 1 and "ai.onnx.ml:SVMClassifier" in result.stderr, result.stderr
    text = OneHotEncoder().fit(np.array([["a"], ["b"]]))
    (tmp_path / "text.onnx").write_bytes(to_onnx(text, initial_types=[("x", StringTensorType([None, 1]))]).SerializeToString())
    result = run("model", "inspect", tmp_path / "text.onnx")
    assert result.returncode == 1 and "input 'x'" in result.stderr and "text" in result.stderr, result.stderr
    (tmp_path / "junk.onnx").write_bytes(b"\x08\x07not a model at all")
    result = run("model", "inspect", tmp_path / "junk.onnx")
    assert result.returncode == 1 and result.stderr.startswith("error:"), result.stderr


@pytest.mark.parametrize("kind", ["forest", "pipeline"])
def test_damaged_onnx_files_are_errors_never_crashes(tmp_path, kind):
    from sklearn import ensemble, impute, linear_model, pipeline, preprocessing
    X, y = data(1, 300, 3)
    if kind == "forest":
        model = skl(ensemble.RandomForestClassifier(4, max_depth=4, random_state=0).fit(X, y), X)
    else:
        model = skl(pipeline.make_pipeline(impute.SimpleImputer(), preprocessing.StandardScaler(), linear_model.LogisticRegression()).fit(X, y), X)
    write_csv(X[:3], tmp_path / "input.csv")
    assert_damaged_copies_never_crash(model.SerializeToString(), tmp_path, ".onnx", tmp_path / "input.csv", count=150, seed=7)
