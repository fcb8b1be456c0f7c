"""Whole-process batch scoring: `slipway predict --input in.csv --output out.csv` against what a
Python user runs (pandas `read_csv`, the library's predict on all cores, `to_csv`), each as one
command timed from start to exit, with its peak memory (max RSS) from /usr/bin/time. LightGBM is
also scored through lleaves (the model compiled by LLVM, compile time excluded: cached first).
Outputs are checked against each other before any figure counts."""
import argparse
import shutil
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

import lightgbm as lgb
import numpy as np
import pandas as pd
import xgboost as xgb
from bench_runtime import FEATURES, data, target  # the same rows and target as the runtime benchmark

PYTHON_SIDE = textwrap.dedent("""
    import sys, pandas as pd
    kind, model, inp, out = sys.argv[1:5]
    frame = pd.read_csv(inp)
    if kind == "xgboost":
        import xgboost as xgb
        booster = xgb.Booster(model_file=model)
        predictions = booster.inplace_predict(frame)
    elif kind == "lightgbm":
        import lightgbm as lgb
        predictions = lgb.Booster(model_file=model).predict(frame)
    else:
        import lleaves
        compiled = lleaves.Model(model_file=model)
        compiled.compile(cache=sys.argv[5])
        predictions = compiled.predict(frame.to_numpy())
    pd.DataFrame({"prediction": predictions}).to_csv(out, index=False)
""")


def timed(command):
    """Wall seconds and max RSS (MiB) of one command."""
    result = subprocess.run(["/usr/bin/time", "-f", "%e %M", *command], capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"{command[0]} failed: {result.stderr[-2000:]}")
    seconds, kib = result.stderr.strip().splitlines()[-1].split()
    return float(seconds), int(kib) / 1024


def write_csv(path, rows, digits, rng):
    """`rows` rows written in blocks (pandas' `to_csv`, full precision unless `digits`)."""
    names = [f"f{i}" for i in range(FEATURES)]
    with open(path, "w") as out:
        out.write(",".join(names) + "\n")
        for start in range(0, rows, 200_000):
            block = pd.DataFrame(data(rng, min(200_000, rows - start)), columns=names)
            block.to_csv(out, index=False, header=False, float_format=f"%.{digits}g" if digits else None)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--slipway", required=True)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--memory-rows", type=int, default=10_000_000, help="rows of the second file, for peak memory")
    parser.add_argument("--digits", type=int, default=0, help="significant digits in the CSV (0: pandas' full precision)")
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    train = data(rng, 20_000)
    names = [f"f{i}" for i in range(FEATURES)]
    work = Path(tempfile.mkdtemp(prefix="slipway-scoring-"))
    try:
        booster = xgb.train({"objective": "reg:squarederror", "max_depth": 6, "eta": 0.1, "seed": 1},
                            xgb.DMatrix(train, label=target(train), feature_names=names), num_boost_round=200)
        booster.save_model(str(work / "xgb.json"))
        lgbm = lgb.train({"objective": "regression", "num_leaves": 63, "learning_rate": 0.1, "verbose": -1, "seed": 1},
                         lgb.Dataset(pd.DataFrame(train, columns=names), label=target(train)), num_boost_round=200)
        lgbm.save_model(str(work / "lgb.txt"))
        script = work / "python_side.py"
        script.write_text(PYTHON_SIDE)
        inp = work / "in.csv"
        write_csv(inp, args.rows, args.digits, rng)
        size = inp.stat().st_size / 2**20
        print(f"{args.rows} rows x {FEATURES} features ({size:.0f} MiB, "
              f"{'full precision' if not args.digits else f'{args.digits} significant digits'}, 2% missing), 2 cores, whole process file to file")
        python = sys.executable
        # lleaves compiles once into a cache; the timed run loads the cached object.
        timed([python, str(script), "lleaves", str(work / "lgb.txt"), str(inp), str(work / "warm.csv"), str(work / "lgb.so")])
        results = {}
        for kind, model in [("xgboost", "xgb.json"), ("lightgbm", "lgb.txt"), ("lleaves", "lgb.txt")]:
            results[kind] = timed([python, str(script), kind, str(work / model), str(inp), str(work / f"{kind}.csv"), str(work / "lgb.so")])
        for kind, model in [("xgboost", "xgb.json"), ("lightgbm", "lgb.txt")]:
            results["slipway " + kind] = timed([args.slipway, "predict", "--model", str(work / model), "--input", str(inp),
                                                "--output", str(work / f"slipway-{kind}.csv")])
            ours = pd.read_csv(work / f"slipway-{kind}.csv")["prediction"].to_numpy()
            theirs = pd.read_csv(work / f"{kind}.csv")["prediction"].to_numpy()
            np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-6)
        print(f"{'command':34} {'seconds':>8} {'max RSS MiB':>12} {'slipway is':>11}")
        for kind in ["xgboost", "lightgbm", "lleaves"]:
            ours = results["slipway " + ("xgboost" if kind == "xgboost" else "lightgbm")]
            theirs = results[kind]
            print(f"{'pandas + ' + kind:34} {theirs[0]:8.2f} {theirs[1]:12.0f}")
            if kind != "lleaves":
                print(f"{'slipway predict (' + kind + ')':34} {ours[0]:8.2f} {ours[1]:12.0f}")
            print(f"{'  ratio vs pandas + ' + kind:34} {'':8} {'':12} {theirs[0] / ours[0]:10.2f}x")
        if args.memory_rows:
            big = work / "big.csv"
            with open(big, "wb") as out:  # the first file's rows, repeated: only memory is measured here
                with open(inp, "rb") as source:
                    header = source.readline()
                    body = source.read()
                out.write(header)
                copies = args.memory_rows // args.rows
                for _ in range(copies):
                    out.write(body)
            inp.unlink()
            seconds, rss = timed([args.slipway, "predict", "--model", str(work / "xgb.json"), "--input", str(big),
                                  "--output", str(work / "big-out.csv")])
            print(f"{'slipway predict, ' + str(copies * args.rows) + ' rows (xgboost)':34} {seconds:8.2f} {rss:12.0f}"
                  f"   ({big.stat().st_size / 2**30:.1f} GiB in)")
    finally:
        shutil.rmtree(work)


if __name__ == "__main__":
    main()
