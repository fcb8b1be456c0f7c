"""The table reader against Python's own reading: every case is a CSV or JSON lines file that
`slipway predict` reads, and the values it reads must equal Python's `csv` module + `float` (with
pandas' missing-value tokens), or the file must get a clear error naming its row. Values are seen
through an identity linear model of one feature, whose prediction is the cell's value itself;
missing values through an XGBoost tree that sends them to a leaf of their own."""
import csv
import io
import json
import math
import subprocess

import numpy as np
import pytest
import xgboost as xgb
from conftest import BINARY

csv.field_size_limit(1 << 30)

MISSING = {"", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND", "1.#QNAN",
           "<NA>", "N/A", "NA", "NULL", "NaN", "None", "n/a", "nan", "null"}


def identity_model(path, feature):
    path.write_text(json.dumps({"format": "slipway-linear", "link": "identity", "feature_names": [feature],
                                "coefficients": [1.0], "intercept": 0.0}))
    return path


def missing_model(path, feature):
    """One tree: missing values to a leaf of 100, x < 0 to about -1, else about +1."""
    x = np.array([np.nan, -2, -1, 1, 2] * 20)
    y = np.where(np.isnan(x), 100.0, np.sign(np.nan_to_num(x)))
    booster = xgb.train({"max_depth": 2, "learning_rate": 1.0, "base_score": 0.0, "lambda": 0.0},
                        xgb.DMatrix(x[:, None], label=y, feature_names=[feature]), num_boost_round=1)
    booster.save_model(str(path))
    return booster


def slipway_column(tmp_path, data: bytes, column: str, suffix=".csv", model=None):
    """What Slipway reads in `column` of the file (or predicts from it with `model`), or its error."""
    model = model or identity_model(tmp_path / "model.json", column)
    source = tmp_path / f"input{suffix}"
    source.write_bytes(data)
    result = subprocess.run([str(BINARY), "predict", "--model", str(model), "--input", str(source)],
                            capture_output=True, timeout=120)
    if result.returncode != 0:
        assert result.returncode == 1, result.stderr
        return None, result.stderr.decode()
    lines = result.stdout.decode().splitlines()
    if suffix == ".csv":
        assert lines[0] == "prediction"
        return [float(v) for v in lines[1:]], ""
    return [json.loads(line)["prediction"] for line in lines], ""


def python_column(data: bytes, column: str):
    """Python's reading: csv.reader over the decoded text, float() per cell, pandas' NA tokens as NaN, blank lines skipped."""
    text = data.decode("utf-8-sig", errors="surrogateescape")
    rows = [row for row in csv.reader(io.StringIO(text, newline="")) if row]
    index = rows[0].index(column)
    values = []
    for row in rows[1:]:
        cell = row[index]
        values.append(math.nan if cell.strip() in MISSING else float(cell))
    return values


def same(a, b):
    return len(a) == len(b) and all((math.isnan(x) and math.isnan(y)) or x == y for x, y in zip(a, b))


CASES = {
    "plain": b"a,b\n1.5,2\n-3,4e2\n",
    "quoted cells": b'"a","b"\n"1.5","2"\n"-3","4e2"\n',
    "embedded comma": b'name,x\n"Smith, John",1.5\n"Doe, Jane",2.5\n',
    "embedded newline": b'name,x\n"line one\nline two",1.5\n"a\r\nb",2.5\nplain,3.5\n',
    "embedded quotes": b'name,x\n"He said ""hi""",1\n"""",2\n"a,""b"",c",3\n',
    "crlf": b"a,x\r\n1,2.5\r\n3,4.5\r\n",
    "bom": b"\xef\xbb\xbfx,a\n1.25,2\n",
    "no final newline": b"x\n1\n2",
    "blank lines": b"x\n1\n\n2\n\r\n3\n",
    "invalid utf-8 in another column": b"name,x\n\xff\xfe bad,1.5\nok,2.5\n",
    "huge field": b"name,x\n" + b'"' + b"y" * 9_000_000 + b'",7.25\nshort,8.5\n',
    "edges": b"x\n4.9e-324\n2.2250738585072014e-308\n2.2250738585072009e-308\n1e308\n1.7976931348623157e308\n"
             b"-0\n+1.5\ninf\n-Infinity\nINF\n.5\n5.\n1E-5\n 2.5 \n0.1\n1e-400\n1e400\n9007199254740993\n"
             b"3.14159265358979323846264338327950288\n2.4703282292062327e-324\n2.4703282292062328e-324\n"
             b"123456789012345678901234567890e-10\n0.000000000000000000000000000001\n",
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_csv_cells_equal_python(tmp_path, name):
    data = CASES[name]
    column = python_header_last_numeric(data)
    ours, error = slipway_column(tmp_path, data, column)
    assert error == "", error
    assert same(ours, python_column(data, column)), (ours, python_column(data, column))


def python_header_last_numeric(data):
    header = next(csv.reader(io.StringIO(data.decode("utf-8-sig", errors="surrogateescape"), newline="")))
    return "x" if "x" in header else header[0]


@pytest.mark.parametrize("data,words", [
    (b"x,y\n1,2\n3\n", "row 3 has 1 cells; the header has 2"),
    (b"x,y\n1,2\n3,4,5\n", "row 3 has 3 cells; the header has 2"),
    (b"x\n1\n0x1p3\n", "row 3, column 'x': '0x1p3' is not a number"),
    (b"x\n1\n1_000\n", "'1_000' is not a number"),
    (b"x\n1\n\xff\xfe\n", "row 3, column 'x'"),
    (b'x,name\n1,"never ends\n2,b\n', "quoted field that never ends"),
    (b"", "is empty"),
    (b"y\n1\n", "no column 'x'"),
])
def test_csv_errors_name_the_row(tmp_path, data, words):
    ours, error = slipway_column(tmp_path, data, "x")
    assert ours is None and words in error, error


def test_json_lines_equal_python(tmp_path):
    lines = ['{"x": 1.5}', '  {"other": {"nested": [1, {"x": 9}]}, "x": -2e3}  ', '[4.25]', "",
             '{"\\u0078": 7}', '{"x": true}', '{"x": 1e-320, "x": 5}']
    ours, error = slipway_column(tmp_path, ("\n".join(lines) + "\n").encode(), "x", suffix=".jsonl")
    assert error == "", error
    assert ours == [1.5, -2000.0, 4.25, 7.0, 1.0, 1e-320]


def test_missing_values_as_pandas_reads_them(tmp_path):
    """pandas' missing tokens are missing values (and `nan` in any case is NaN, as float reads it);
    in JSON lines `null` and an absent key are."""
    booster = missing_model(tmp_path / "tree.json", "x")
    tokens = sorted(MISSING - {""}) + ["", "NAN", "  NA  ", "-1.5", "2"]
    data = ("n,x\n" + "".join(f"{i},{token}\n" for i, token in enumerate(tokens))).encode()
    ours, error = slipway_column(tmp_path, data, "x", model=tmp_path / "tree.json")
    assert error == "", error
    expected = booster.predict(xgb.DMatrix(np.array(python_column(data, "x"))[:, None], feature_names=["x"]))
    assert ours[:-2] == [100.0] * (len(tokens) - 2) and same(ours, [float(v) for v in expected])
    lines = b'{"x": null}\n{}\n{"y": 3}\n[null]\n{"x": -4}\n'
    ours, error = slipway_column(tmp_path, lines, "x", suffix=".jsonl", model=tmp_path / "tree.json")
    assert error == "", error
    assert ours[:4] == [100.0] * 4 and ours[4] < 0


@pytest.mark.parametrize("line,words", [
    ('{"x": "1"}', "line 2, feature 'x': expected a number, got a string"),
    ('{"x": 1', "line 2 is not valid JSON"),
    ('[1, 2]', "line 2 has 2 values; the model expects 1 features"),
    ('"x"', "line 2 is a string"),
    ('{"x": 1} trailing', "line 2 is not valid JSON"),
])
def test_json_lines_errors_name_the_line(tmp_path, line, words):
    ours, error = slipway_column(tmp_path, ('{"x": 1}\n' + line + "\n").encode(), "x", suffix=".jsonl")
    assert ours is None and words in error, error
