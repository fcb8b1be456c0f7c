"""Serving benchmark: the same XGBoost model (200 trees, depth 6, 8 features) behind Slipway and
behind FastAPI + uvicorn (1 worker), and a Hummingbird hello-world that only decodes the same JSON
(the ceiling), each loaded by the same wrk settings in one run; Slipway also with its prediction log
off, and with auth on every route (a predict token per request). Prints req/s, p50/p99 and ratios."""
import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import requests
import xgboost as xgb

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from common import cpu_seconds, free_port, wait_ready, wrk  # noqa: E402

HERE = Path(__file__).resolve().parent
FEATURES = [f"f{i}" for i in range(8)]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--slipway", required=True)
    parser.add_argument("--ceiling", required=True)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--auth-rounds", type=int, default=6, help="interleaved rounds of the auth on/off comparison")
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    X = rng.normal(size=(5000, 8))
    booster = xgb.train({"objective": "reg:squarederror", "max_depth": 6, "eta": 0.1, "seed": 1},
                        xgb.DMatrix(X, label=X[:, 0] * 2 + np.sin(X[:, 1]), feature_names=FEATURES), 200)
    work = Path(tempfile.mkdtemp(prefix="slipway-bench-serving-"))
    booster.save_model(str(work / "model.ubj"))
    processes = []
    try:
        slipway_port, fastapi_port, ceiling_port = free_port(), free_port(), free_port()
        slipway = f"http://127.0.0.1:{slipway_port}"
        processes.append(subprocess.Popen([args.slipway, "server", "--port", str(slipway_port), "--data-dir", str(work / "data"),
                                           "--model", "bench@production"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        wait_ready(slipway)
        import mlflow
        mlflow.set_tracking_uri(slipway)
        with mlflow.start_run():
            info = mlflow.xgboost.log_model(booster, name="model", registered_model_name="bench")
        mlflow.MlflowClient().set_registered_model_alias("bench", "production", info.registered_model_version)
        wait_ready(slipway, "/ready")

        # The same store and model with the prediction log off: what logging every request costs.
        nolog_port = free_port()
        nolog = f"http://127.0.0.1:{nolog_port}"
        processes.append(subprocess.Popen([args.slipway, "server", "--port", str(nolog_port), "--data-dir", str(work / "data"),
                                           "--model", "bench@production", "--prediction-log-sample", "0"],
                                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        wait_ready(nolog, "/ready")

        # The same again with auth on every route, prediction included (--auth --serving-auth), a predict token on every
        # request, and a rate limit on predict set high enough never to refuse: every request takes from its token's bucket.
        def cli(*command):
            return subprocess.run([args.slipway, *command, "--data-dir", str(work / "data")], check=True, capture_output=True, text=True).stdout
        cli("users", "add", "bench")
        token = cli("tokens", "create", "wrk", "--user", "bench", "--scope", "predict").strip()
        auth_port = free_port()
        auth = f"http://127.0.0.1:{auth_port}"
        auth_process = len(processes)
        processes.append(subprocess.Popen([args.slipway, "server", "--port", str(auth_port), "--data-dir", str(work / "data"),
                                           "--model", "bench@production", "--auth", "--serving-auth",
                                           "--rate-limit", "predict=100000000/s"],
                                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        wait_ready(auth, "/ready")
        bearer = {"Authorization": f"Bearer {token}"}
        assert requests.post(auth + "/models/bench/predict", json={"instances": [dict.fromkeys(FEATURES, 0.5)]}).status_code == 401

        processes.append(subprocess.Popen([sys.executable, "-m", "uvicorn", "fastapi_app:app", "--port", str(fastapi_port), "--workers", "1",
                                           "--log-level", "warning"], cwd=HERE, env={**os.environ, "MODEL_FILE": str(work / "model.ubj")},
                                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        processes.append(subprocess.Popen([args.ceiling, str(ceiling_port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        fastapi, ceiling = f"http://127.0.0.1:{fastapi_port}", f"http://127.0.0.1:{ceiling_port}"
        wait_ready(fastapi, "/docs")

        one = {"instances": [dict(zip(FEATURES, map(float, X[0])))]}
        batch = {"instances": [dict(zip(FEATURES, map(float, row))) for row in X[:100]]}
        wait_ready(ceiling, "/models/bench/predict", method="post", body=one)
        a = np.array(requests.post(slipway + "/models/bench/predict", json=batch).json()["predictions"])
        b = np.array(requests.post(fastapi + "/models/bench/predict", json=batch).json()["predictions"])
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)  # same predictions before timing counts
        requests.post(ceiling + "/models/bench/predict", json=one).raise_for_status()

        print(f"wrk -t2, {args.seconds} s per cell; XGBoost 200 trees depth 6, 8 features; p50/p99 in ms")
        print(f"{'load':22} {'server':9} {'req/s':>9} {'p50':>7} {'p99':>7} {'errors':>6}  ratio")
        logged = {}
        for label, body, connections in [("1 row, -c64", one, 64), ("1 row, -c4", one, 4), ("100 rows, -c64", batch, 64)]:
            results = {name: wrk(url + "/models/bench/predict", body, connections, args.seconds, bearer if name == "auth" else None)
                       for name, url in [("fastapi", fastapi), ("slipway", slipway), ("auth", auth), ("no log", nolog), ("ceiling", ceiling)]}
            logged[label] = (results["slipway"], results["no log"], results["auth"])
            for name, r in results.items():
                ratio = ""
                if name == "slipway":
                    ratio = (f"{r['rps'] / results['fastapi']['rps']:.1f}x FastAPI, {r['rps'] / results['ceiling']['rps']:.2f} of ceiling")
                print(f"{label:22} {name:9} {r['rps']:9.0f} {r['p50']:7.2f} {r['p99']:7.2f} {r['errors']:6d}  {ratio} {r['socket_errors']}")
        print("slipway = prediction log on, every request (the default); no log = --prediction-log-sample 0; "
              "auth = slipway with --auth --serving-auth --rate-limit predict=100000000/s and a predict token on every request")
        for label, (on, off, authed) in logged.items():
            print(f"  log on vs off, {label:16} {on['rps'] / off['rps']:.2f} of the req/s, p99 {on['p99'] / off['p99']:.2f}x")
            print(f"  auth+limits on vs off, {label:8} {authed['rps'] / on['rps']:.2f} of the req/s, p99 {authed['p99'] / on['p99']:.2f}x")

        # Auth on vs off, interleaved so that both see the same noise of the shared cores: the median req/s of each
        # and the server's CPU time per request (user + system), which the other tenants of the machine disturb less.
        on, off = {"rps": [], "cpu": []}, {"rps": [], "cpu": []}
        for _ in range(args.auth_rounds):
            for into, url, process, headers in [(off, slipway, processes[0], None), (on, auth, processes[auth_process], bearer)]:
                before = cpu_seconds(process.pid)
                r = wrk(url + "/models/bench/predict", one, 64, args.seconds, headers)
                into["rps"].append(r["rps"])
                into["cpu"].append((cpu_seconds(process.pid) - before) / (r["rps"] * args.seconds) * 1e6)
        median = statistics.median
        print(f"auth+limits A/B, 1 row, -c64, {args.auth_rounds} interleaved rounds of {args.seconds} s:")
        print(f"  off: median {median(off['rps']):.0f} req/s, {median(off['cpu']):.1f} us CPU per request  {[round(x) for x in off['rps']]}")
        print(f"  on:  median {median(on['rps']):.0f} req/s, {median(on['cpu']):.1f} us CPU per request  {[round(x) for x in on['rps']]}")
        print(f"  on/off: {median(on['rps']) / median(off['rps']):.3f} of the req/s, {median(on['cpu']) / median(off['cpu']):.3f}x the CPU per request")
    finally:
        for p in processes:
            p.terminate()
        for p in processes:
            p.wait(timeout=20)


if __name__ == "__main__":
    main()
