"""Data drift parity with Evidently's data drift preset (0.7.23, run from its own venv): on generated
cases (numerical and categorical columns, small and large references, shifted and unshifted data,
missing values, a category the reference never had), `slipway drift` picks the same test for every
column, reaches the same verdict, and its score is within 1e-6 relative of Evidently's."""
import json
import subprocess

import numpy as np
import pandas as pd
import pytest

from conftest import BINARY, ROOT

EVIDENTLY = ROOT / ".venv-evidently" / "bin" / "python"


def frame(rng, n, shift, missing=0.0, new_category=False):
    columns = {
        "x_normal": rng.normal(shift, 1, n),
        "x_skewed": rng.lognormal(0.2 * shift, 0.6, n),
        "x_uniform": rng.uniform(-1 + shift, 1, n).round(3),
        "x_levels": rng.choice([0.5, 1.5, 2.5, 3.5], n, p=[0.4, 0.3, 0.2, 0.1] if shift == 0 else [0.25, 0.25, 0.25, 0.25]),  # few values, numerical
        "x_binary_float": rng.choice([0.0, 1.0], n, p=[0.7, 0.3] if shift == 0 else [0.55, 0.45]),
        "c_city": rng.choice([0, 1, 2, 3, 4, 5, 6] + ([7] if new_category else []), n),  # whole numbers, few values: categorical
        "c_flag": rng.choice([0, 1], n, p=[0.5, 0.5] if shift == 0 else [0.35, 0.65]),
        "c_grade": rng.choice([1, 2, 3], n),
        "i_count": rng.poisson(20 + 3 * shift, n),  # whole numbers, many values: numerical
    }
    df = pd.DataFrame(columns)
    if missing:
        for name in ("x_normal", "x_levels"):
            df.loc[rng.random(n) < missing, name] = np.nan
    return df


CASES = [
    # (reference rows, current rows, shift, missing share, new category, method)
    (200, 300, 0.0, 0.0, False, None), (200, 300, 0.5, 0.0, False, None), (500, 500, 0.0, 0.1, False, None),
    (1000, 3000, 0.3, 0.0, False, None), (1000, 20000, 0.0, 0.0, False, None), (1000, 20000, 0.15, 0.05, False, None),
    (1001, 2000, 0.0, 0.0, False, None), (1001, 2000, 0.4, 0.0, True, None), (3000, 3000, 0.05, 0.0, False, None),
    (5000, 20000, 0.2, 0.02, False, None), (5000, 800, 1.0, 0.0, False, None), (800, 5000, 0.0, 0.2, True, None),
    (150, 12000, 0.1, 0.0, False, None), (999, 999, 0.2, 0.0, False, None), (2000, 50000, 0.0, 0.0, False, None),
    (2000, 50000, 0.08, 0.0, False, None), (700, 700, 0.0, 0.0, True, None), (12000, 15000, 0.02, 0.01, False, None),
    (3000, 4000, 0.3, 0.0, False, "psi"), (600, 900, 0.2, 0.1, False, "jensenshannon"),
]


@pytest.mark.skipif(not EVIDENTLY.exists(), reason="scripts/test.sh installs Evidently into .venv-evidently")
@pytest.mark.parametrize("case", range(len(CASES)))
def test_every_column_matches_evidently(case, tmp_path):
    n_ref, n_cur, shift, missing, new_category, method = CASES[case]
    rng = np.random.default_rng(100 + case)
    reference, current = frame(rng, n_ref, 0.0, missing), frame(rng, n_cur, shift, missing, new_category)
    reference.to_csv(tmp_path / "reference.csv", index=False)
    current.to_csv(tmp_path / "current.csv", index=False)
    theirs = json.loads(subprocess.run([str(EVIDENTLY), str(ROOT / "tests/python/evidently_drift.py"), str(tmp_path / "reference.csv"),
                                        str(tmp_path / "current.csv"), *([method] if method else [])],
                                       capture_output=True, text=True, check=True).stdout)
    ours = json.loads(subprocess.run([str(BINARY), "drift", "--reference", str(tmp_path / "reference.csv"), "--current", str(tmp_path / "current.csv"),
                                      "--json", *(["--method", method] if method else [])], capture_output=True, text=True, check=True).stdout)
    columns = {c["column"]: c for c in ours["columns"]}
    assert set(columns) == set(theirs["columns"])
    for name, expected in theirs["columns"].items():
        got = columns[name]
        assert got["method"] == expected["method"], (name, got, expected)
        assert got["drifted"] == expected["drifted"], (name, got, expected)
        assert got["score"] == pytest.approx(expected["score"], rel=1e-6, abs=1e-12), (name, got, expected)
    assert ours["drifted_columns"] == theirs["count"] and ours["share"] == pytest.approx(theirs["share"])


def test_drift_cli_reports_bad_input(tmp_path):
    pd.DataFrame({"a": [1.5, 2.5, 3.5], "b": [1, 2, 3]}).to_csv(tmp_path / "ref.csv", index=False)
    pd.DataFrame({"a": [1.5, 2.0]}).to_csv(tmp_path / "cur.csv", index=False)
    result = subprocess.run([str(BINARY), "drift", "--reference", str(tmp_path / "ref.csv"), "--current", str(tmp_path / "cur.csv")],
                            capture_output=True, text=True)
    assert result.returncode == 1 and "lacks the column(s) b" in result.stderr, result.stderr
    (tmp_path / "bad.csv").write_text("a,b\n1.5,2\nhigh,3\n")
    result = subprocess.run([str(BINARY), "drift", "--reference", str(tmp_path / "ref.csv"), "--current", str(tmp_path / "bad.csv")],
                            capture_output=True, text=True)
    assert result.returncode == 1 and "row 3" in result.stderr, result.stderr
    result = subprocess.run([str(BINARY), "drift", "--reference", str(tmp_path / "ref.csv"), "--current", str(tmp_path / "ref.csv"), "--method", "vibes"],
                            capture_output=True, text=True)
    assert result.returncode != 0 and "--method" in result.stderr
    out = subprocess.run([str(BINARY), "drift", "--reference", str(tmp_path / "ref.csv"), "--current", str(tmp_path / "ref.csv")],
                         capture_output=True, text=True, check=True).stdout
    assert "0 of 2 columns drifted" in out and "dataset drift: no" in out
