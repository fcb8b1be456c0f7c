"""Runtime benchmark: Slipway's native evaluation vs the libraries' own predict, same models, same
rows, same machine, one run. Batch of 100k rows on 1 thread, single-row latency, model load time,
and Slipway's scaling to 2 threads. Predictions are checked against the library's before timing counts."""
import argparse
import json
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

import lightgbm as lgb
import numpy as np
import xgboost as xgb

ROWS, FEATURES = 100_000, 50


def best(fn, repeat=5):
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def latency(fn, rows, n=2000):
    times = []
    for i in range(n):
        row = rows[i % len(rows)][None, :]
        start = time.perf_counter()
        fn(row)
        times.append(time.perf_counter() - start)
    times.sort()
    return times[len(times) // 2] * 1e6, times[len(times) * 99 // 100] * 1e6


def data(rng, rows):
    X = rng.normal(size=(rows, FEATURES))
    X[rng.random(X.shape) < 0.02] = np.nan
    return X


def target(X):
    Z = np.nan_to_num(X)
    return Z[:, 0] * 2 + np.sin(Z[:, 1] * 3) - Z[:, 2] * Z[:, 3] + (Z[:, 4] > 0.5)


def run_slipway(binary, model, X, workdir, threads):
    inp, out = workdir / "input.f64", workdir / "out.f64"
    X.astype("<f8").tofile(inp)
    result = subprocess.run([binary, str(model), str(inp), str(len(X)), str(X.shape[1]), str(out), str(threads)],
                            capture_output=True, text=True, check=True)
    return json.loads(result.stdout), np.fromfile(out, dtype="<f8")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--slipway-bench", required=True)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    train, test = data(rng, 20_000), data(rng, ROWS)
    y = target(train)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)

        booster = xgb.train({"objective": "reg:squarederror", "max_depth": 6, "eta": 0.1, "nthread": 1, "seed": 1},
                            xgb.DMatrix(train, label=y), num_boost_round=200)
        booster.save_model(str(workdir / "xgb.json"))
        booster.set_param({"nthread": 1})
        expected = booster.inplace_predict(test)
        xgb_batch = best(lambda: booster.inplace_predict(test))
        xgb_p50, xgb_p99 = latency(lambda r: booster.inplace_predict(r), test)
        xgb_load = best(lambda: xgb.Booster(model_file=str(workdir / "xgb.json")))
        ours, got = run_slipway(args.slipway_bench, workdir / "xgb.json", test, workdir, args.threads)
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)
        rows.append(("XGBoost 200 trees depth 6", ROWS / xgb_batch, xgb_p50, xgb_p99, xgb_load * 1000, ours))

        lgbm = lgb.train({"objective": "regression", "num_leaves": 63, "learning_rate": 0.1, "verbose": -1, "num_threads": 1, "seed": 1},
                         lgb.Dataset(train, label=y), num_boost_round=200)
        lgbm.save_model(str(workdir / "lgb.txt"))
        expected = lgbm.predict(test, num_threads=1)
        lgb_batch = best(lambda: lgbm.predict(test, num_threads=1))
        lgb_p50, lgb_p99 = latency(lambda r: lgbm.predict(r, num_threads=1), test)
        lgb_load = best(lambda: lgb.Booster(model_file=str(workdir / "lgb.txt")))
        ours, got = run_slipway(args.slipway_bench, workdir / "lgb.txt", test, workdir, args.threads)
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)
        rows.append(("LightGBM 200 trees 63 leaves", ROWS / lgb_batch, lgb_p50, lgb_p99, lgb_load * 1000, ours))
        lleaves_rate = None
        try:
            import lleaves  # bench/runtime/requirements.txt: lleaves 1.3 needs llvmlite<0.44
            compiled = lleaves.Model(model_file=str(workdir / "lgb.txt"))
            compiled.compile(cache=str(workdir / "lgb.so"))
            np.testing.assert_allclose(compiled.predict(test, n_jobs=1), expected, rtol=1e-5, atol=1e-6)
            lleaves_rate = ROWS / best(lambda: compiled.predict(test, n_jobs=1))
        except ImportError:
            pass

    print(f"{ROWS} rows x {FEATURES} features, 2% missing; batch = best of 5; latency = 2000 single-row calls")
    print(f"{'model':30} {'lib rows/s':>11} {'slipway rows/s':>15} {'ratio':>6} | {'slipway ' + str(args.threads) + 'T rows/s':>18} {'scaling':>7} | "
          f"{'lib p50/p99 us':>15} {'slipway p50/p99 us':>19} | {'lib load ms':>11} {'slipway load ms':>15}")
    for name, lib_rate, lib_p50, lib_p99, lib_load, ours in rows:
        print(f"{name:30} {lib_rate:11.0f} {ours['rows_per_s_1']:15.0f} {ours['rows_per_s_1'] / lib_rate:5.2f}x | "
              f"{ours['rows_per_s_n']:18.0f} {ours['rows_per_s_n'] / ours['rows_per_s_1']:6.2f}x | "
              f"{lib_p50:7.1f}/{lib_p99:<7.1f} {ours['single_p50_us']:9.1f}/{ours['single_p99_us']:<9.1f} | "
              f"{lib_load:11.1f} {ours['load_ms']:15.1f}")
    if lleaves_rate:
        lgb_ours = rows[1][5]['rows_per_s_1']
        print(f"{'lleaves (LightGBM compiled)':30} {lleaves_rate:11.0f} {lgb_ours:15.0f} {lgb_ours / lleaves_rate:5.2f}x   (1 thread each)")


if __name__ == "__main__":
    main()
