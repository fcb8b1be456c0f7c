"""scikit-learn serving and batch benchmark, one run, side by side.

The same RandomForestClassifier (100 trees, 8 features, 3 classes) served four ways under the same
wrk settings: `mlflow models serve` (FastAPI + uvicorn, 2 workers, the peer), Slipway natively from
the skops file, Slipway through its Python worker pool (the cloudpickled copy, 2 workers), and a
Hummingbird hello-world that only decodes the same JSON (the ceiling). Then batch prediction of
100,000 rows, labels (`predict`) and probabilities (`predict_proba`): scikit-learn (n_jobs=1),
onnxruntime (1 thread, skl2onnx export) and `slipway predict --threads 1` (the whole command, CSV in,
CSV out)."""
import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import requests
from sklearn.ensemble import RandomForestClassifier

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from common import best_of, free_port, wait_ready, wrk  # noqa: E402

FEATURES = [f"f{i}" for i in range(8)]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--slipway", required=True)
    parser.add_argument("--ceiling", required=True)
    parser.add_argument("--seconds", type=int, default=10)
    args = parser.parse_args()
    import mlflow
    import mlflow.sklearn
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(20_000, 8)), columns=FEATURES)
    y = np.digitize(X.f0 + np.sin(X.f1) + 0.5 * X.f2 * X.f3 + rng.normal(scale=0.3, size=len(X)), [-0.5, 0.5])
    model = RandomForestClassifier(n_estimators=100, max_depth=12, random_state=0, n_jobs=1).fit(X, y)
    work = Path(tempfile.mkdtemp(prefix="slipway-bench-sklearn-"))
    mlflow.sklearn.save_model(model, str(work / "skops"), skops_trusted_types=["sklearn.tree._tree.Tree"], input_example=X.head(2),
                              pip_requirements=["scikit-learn"])
    processes = []
    try:
        ports = {name: free_port() for name in ["slipway", "mlflow", "ceiling"]}
        slipway = f"http://127.0.0.1:{ports['slipway']}"
        processes.append(subprocess.Popen(
            [args.slipway, "server", "--port", str(ports["slipway"]), "--data-dir", str(work / "data"), "--model", "native@production",
             "--model", "pool@production", "--python", sys.executable, "--python-workers", "2", "--prediction-log-sample", "0"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        wait_ready(slipway, "/health")
        mlflow.set_tracking_uri(slipway)
        client = mlflow.MlflowClient()
        for name, options in [("native", {"skops_trusted_types": ["sklearn.tree._tree.Tree"]}), ("pool", {"serialization_format": "cloudpickle"})]:
            with mlflow.start_run():
                info = mlflow.sklearn.log_model(model, name="model", registered_model_name=name, input_example=X.head(2),
                                                pip_requirements=["scikit-learn"], **options)
            client.set_registered_model_alias(name, "production", info.registered_model_version)
        processes.append(subprocess.Popen(
            [sys.executable, "-m", "mlflow", "models", "serve", "-m", str(work / "skops"), "--env-manager", "local", "-p", str(ports["mlflow"]),
             "-w", "2"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            env={**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}))  # it runs `uvicorn` by name
        processes.append(subprocess.Popen([args.ceiling, str(ports["ceiling"])], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        one = {"dataframe_records": [dict(zip(FEATURES, map(float, X.iloc[0])))]}
        urls = {"mlflow serve": f"http://127.0.0.1:{ports['mlflow']}/invocations", "slipway native": slipway + "/models/native/predict",
                "slipway pool": slipway + "/models/pool/predict", "ceiling": f"http://127.0.0.1:{ports['ceiling']}/models/bench/predict"}
        for name, url in urls.items():
            wait_ready(url, "", method="post", body=one)
        described = {n: requests.get(f"{slipway}/models/{n}").json()["format"] for n in ["native", "pool"]}
        assert described == {"native": "sklearn-skops", "pool": "python-worker"}, described
        rows = {"dataframe_records": X.head(50).to_dict("records")}
        expected = list(model.predict(X.head(50)))
        for name in ["mlflow serve", "slipway native", "slipway pool"]:
            got = requests.post(urls[name], json=rows).json()["predictions"]
            assert [int(v) for v in got] == expected, name  # same answers before timing counts

        print(f"wrk -t2, {args.seconds} s per cell; RandomForestClassifier 100 trees depth<=12, 8 features, 1 row per request; p50/p99 in ms")
        print(f"{'load':8} {'server':15} {'req/s':>9} {'p50':>8} {'p99':>8} {'errors':>6}  ratio")
        for connections in [16, 64, 4]:
            results = {name: wrk(url, one, connections, args.seconds) for name, url in urls.items()}
            for name, r in results.items():
                ratio = ""
                if name.startswith("slipway"):
                    ratio = f"{r['rps'] / results['mlflow serve']['rps']:.1f}x mlflow serve, {r['rps'] / results['ceiling']['rps']:.2f} of ceiling"
                print(f"-c{connections:<6} {name:15} {r['rps']:9.0f} {r['p50']:8.2f} {r['p99']:8.2f} {r['errors']:6d}  {ratio}")
    finally:
        for p in processes:
            p.terminate()
        for p in processes:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()

    # Batch: 100,000 rows, one thread each: labels (`predict`, MLflow's default predict_fn) and
    # probabilities (`predict_proba`). onnxruntime computes both in one run.
    test = pd.DataFrame(rng.normal(size=(100_000, 8)), columns=FEATURES)
    test.to_csv(work / "batch.csv", index=False)
    import onnxruntime as ort
    from skl2onnx import to_onnx
    onx = to_onnx(model, test.to_numpy(np.float32)[:1], options={id(model): {"zipmap": False}})
    options = ort.SessionOptions()
    options.intra_op_num_threads = options.inter_op_num_threads = 1
    session = ort.InferenceSession(onx.SerializeToString(), options, providers=["CPUExecutionProvider"])
    as_float = test.to_numpy(np.float32)
    onnx_s = best_of(3, lambda: session.run(None, {session.get_inputs()[0].name: as_float}))
    probabilities_dir = work / "proba"
    mlflow.sklearn.save_model(model, str(probabilities_dir), skops_trusted_types=["sklearn.tree._tree.Tree"], pyfunc_predict_fn="predict_proba",
                              pip_requirements=["scikit-learn"])
    print("\nbatch of 100,000 rows, one thread each, best of 3")
    for method, model_dir in [("predict", work / "skops"), ("predict_proba", probabilities_dir)]:
        sklearn_s = best_of(3, lambda: getattr(model, method)(test))
        command = [args.slipway, "predict", "--model", str(model_dir), "--input", str(work / "batch.csv"), "--output", str(work / "out.csv"),
                   "--threads", "1"]
        slipway_s = best_of(3, lambda: subprocess.run(command, check=True, capture_output=True))
        got = pd.read_csv(work / "out.csv").to_numpy()
        expected = getattr(model, method)(test)
        if method == "predict":
            # A row whose two best classes tie within float rounding may take either label.
            top2 = np.sort(model.predict_proba(test), axis=1)[:, -2:]
            clear = top2[:, 1] - top2[:, 0] > 1e-5
            assert (got[:, 0][clear] == expected[clear]).all()
        else:
            np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)
        print(f"  {method}: scikit-learn (in memory) {sklearn_s * 1000:6.0f} ms, onnxruntime run (in memory, float32) {onnx_s * 1000:6.0f} ms, "
              f"slipway predict (whole command, CSV in/out) {slipway_s * 1000:6.0f} ms: "
              f"{sklearn_s / slipway_s:.1f}x scikit-learn, {onnx_s / slipway_s:.2f}x onnxruntime")


if __name__ == "__main__":
    main()
