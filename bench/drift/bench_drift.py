"""Data drift, whole process, file in to verdict out: `slipway drift --reference R --current C --json`
against Evidently 0.7.23's `Report([DataDriftPreset()])` on the same files (read with pandas, run,
the result as JSON: tests/python/evidently_drift.py). 100 columns: 80 numerical (4 decimals), 20
categorical (whole numbers, 3 to 10 values); the current data drifts in a quarter of them. Both sides'
verdicts are compared before any figure counts."""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[2]
EVIDENTLY = ROOT / ".venv-evidently" / "bin" / "python"
NUMERICAL, CATEGORICAL = 80, 20


def write(path, rows, seed, shift):
    """A CSV of `rows` rows in blocks of 200k; columns 0-19 and categories 0-4 move by `shift`."""
    rng = np.random.default_rng(seed)
    with open(path, "w") as out:
        names = [f"n{i}" for i in range(NUMERICAL)] + [f"c{i}" for i in range(CATEGORICAL)]
        out.write(",".join(names) + "\n")
        for start in range(0, rows, 200_000):
            n = min(200_000, rows - start)
            block = {}
            for i in range(NUMERICAL):
                moved = shift if i < 20 else 0.0
                block[f"n{i}"] = rng.normal(moved, 1 + 0.01 * i, n)
            for i in range(CATEGORICAL):
                levels = 3 + i % 8
                p = np.ones(levels) / levels
                if i < 5 and shift:
                    p = np.linspace(1, 2, levels)
                    p /= p.sum()
                block[f"c{i}"] = rng.choice(levels, n, p=p)
            pd.DataFrame(block).to_csv(out, index=False, header=False, float_format="%.4f")
    os.sync()  # the file is on disk before anything is timed: no writeback under the first tool measured


def timed(command):
    result = subprocess.run(["/usr/bin/time", "-f", "%e %M", *command], capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"{command[0]} failed: {result.stderr[-2000:]}")
    seconds, kib = result.stderr.strip().splitlines()[-1].split()
    return float(seconds), int(kib) / 1024, result.stdout


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--slipway", required=True)
    parser.add_argument("--reference-rows", type=int, default=100_000)
    parser.add_argument("--rows", default="100000,1000000,5000000", help="current window sizes for slipway")
    parser.add_argument("--evidently-rows", default="100000,1000000", help="current window sizes Evidently also runs")
    args = parser.parse_args()
    sizes = [int(x) for x in args.rows.split(",")]
    theirs_sizes = {int(x) for x in args.evidently_rows.split(",") if x}
    work = Path(tempfile.mkdtemp(prefix="slipway-drift-bench-"))
    try:
        reference = work / "reference.csv"
        write(reference, args.reference_rows, 1, 0.0)
        print(f"reference {args.reference_rows} rows; 100 columns (80 numerical, 20 categorical); 2 cores, whole process")
        print(f"{'current rows':>12} {'CSV MiB':>8} {'slipway s':>10} {'RSS MiB':>8} {'evidently s':>12} {'RSS MiB':>8} {'faster':>7} {'memory':>7}")
        for rows in sizes:
            current = work / f"current-{rows}.csv"
            write(current, rows, 2 + rows, 0.1)
            ours = timed([args.slipway, "drift", "--reference", str(reference), "--current", str(current), "--json"])
            mine = json.loads(ours[2])
            line = f"{rows:>12} {current.stat().st_size / 2**20:>8.0f} {ours[0]:>10.2f} {ours[1]:>8.0f}"
            if rows in theirs_sizes:
                theirs = timed([str(EVIDENTLY), str(ROOT / "tests/python/evidently_drift.py"), str(reference), str(current)])
                other = json.loads(theirs[2])
                verdicts = {c["column"]: c["drifted"] for c in mine["columns"]}
                disagree = [name for name, c in other["columns"].items() if c["drifted"] != verdicts.get(name)]
                assert not disagree, f"verdicts differ on {disagree}"
                line += f" {theirs[0]:>12.2f} {theirs[1]:>8.0f} {theirs[0] / ours[0]:>6.1f}x {ours[1] / theirs[1]:>7.3f}"
            print(line + f"   ({mine['drifted_columns']} columns drifted)", flush=True)
            current.unlink()
    finally:
        shutil.rmtree(work)


if __name__ == "__main__":
    main()
