"""Batch predictions into a table: `slipway predict --model NAME@ALIAS --output-table`, with a model
logged by the real mlflow client. Each row is written once per (id, model, version); a promotion
makes the next run write the new version's rows; a failure or a kill -9 leaves nothing half-written;
the predictions equal xgboost's and lightgbm's own."""
import json
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

import lightgbm as lgb
import numpy as np
import pandas as pd
import pytest
import xgboost as xgb

from conftest import BACKENDS, BINARY, SlipwayServer, use_mlflow, wait_until

FEATURES = ["a", "b", "c", "d"]
# Jobs here are run by hand; a schedule that cannot fire while a test runs keeps the server's
# scheduler from adding a run of its own (a '*/15' job fired at 09:15 in the middle of one).
YEARLY = "0 0 1 1 *"


@pytest.fixture(scope="module", params=BACKENDS)
def server(request):
    s = SlipwayServer(request.param).start()
    yield s
    s.stop()


@pytest.fixture(autouse=True)
def mlflow_on(server):
    use_mlflow(server.url, "prediction-table")


def features(n, seed):
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(rng.normal(size=(n, 4)), columns=FEATURES)
    X.iloc[::13, 1] = np.nan
    return X


def log_xgboost(name, seed):
    import mlflow
    X = features(400, seed)
    booster = xgb.train({"objective": "reg:squarederror", "max_depth": 4, "seed": seed}, xgb.DMatrix(X, label=X.a.fillna(0) * 3 - X.c), 20)
    with mlflow.start_run():
        info = mlflow.xgboost.log_model(booster, name="model", registered_model_name=name)
    return booster, int(info.registered_model_version)


def log_lightgbm(name, seed):
    import mlflow
    X = features(400, seed)
    model = lgb.train({"objective": "regression", "num_leaves": 15, "verbose": -1, "seed": seed},
                      lgb.Dataset(X, label=X.a.fillna(0) * 3 - X.c), 20)
    with mlflow.start_run():
        info = mlflow.lightgbm.log_model(model, name="model", registered_model_name=name)
    return model, int(info.registered_model_version)


def promote(name, version):
    import mlflow
    mlflow.MlflowClient().set_registered_model_alias(name, "production", str(version))


def write_drop(path, n, seed, start):
    """A CSV with a row_id column and the features, as a drop folder receives it."""
    X = features(n, seed)
    frame = X.copy()
    frame.insert(0, "row_id", [f"r{start + i:06d}" for i in range(n)])
    frame.to_csv(path, index=False, float_format="%.17g")
    return frame


def table(server, name, url=None):
    """(id, model, version, prediction, predicted_at) rows of a prediction table, by id and version."""
    query = f"SELECT id, model, version, prediction, predicted_at FROM {name} ORDER BY id, version"
    database = url or server.database_url
    if database and database.startswith("postgres"):
        result = subprocess.run(["psql", database, "-At", "-F", "\t", "-c", query], capture_output=True, text=True)
        if result.returncode != 0 and "does not exist" in result.stderr:
            return []
        assert result.returncode == 0, result.stderr
        out = result.stdout
        return [(i, m, int(v), float(p), int(t)) for i, m, v, p, t in (line.split("\t") for line in out.splitlines())]
    path = url[len("sqlite:"):] if url else Path(server.data_dir, "slipway.db")
    with sqlite3.connect(path) as connection:
        try:
            return connection.execute(query).fetchall()
        except sqlite3.OperationalError as error:
            if "no such table" in str(error):
                return []
            raise


def predict(server, *args, check=True):
    return server.cli("predict", *args, check=check)


def test_drop_folder_runs_write_each_row_once_per_version(server, tmp_path):
    name = "drop-" + server.backend
    booster, v1 = log_xgboost(name, 1)
    promote(name, v1)
    drop = tmp_path / "incoming"
    drop.mkdir()
    first = write_drop(drop / "2026-12-01.csv", 500, 10, 0)
    args = ["--model", f"{name}@production", "--input", str(drop / "*.csv"), "--id", "row_id", "--output-table", "predictions"]

    out = predict(server, *args).stdout
    assert f"{name} v{v1}: 500 rows read from 1 file, 500 new rows in table predictions" in out
    rows = table(server, "predictions")
    assert [r[0] for r in rows] == list(first.row_id) and {(r[1], r[2]) for r in rows} == {(name, v1)}
    expected = booster.predict(xgb.DMatrix(first[FEATURES]))
    np.testing.assert_allclose([r[3] for r in rows], expected, rtol=1e-6, atol=1e-7)
    assert all(abs(r[4] / 1000 - time.time()) < 120 for r in rows)

    out = predict(server, *args).stdout
    assert "500 rows read from 1 file, 0 new rows" in out
    assert len(table(server, "predictions")) == 500

    second = write_drop(drop / "2026-12-02.csv", 300, 11, 500)
    out = predict(server, *args).stdout
    assert "800 rows read from 2 files, 300 new rows" in out
    assert len(table(server, "predictions")) == 800

    booster2, v2 = log_xgboost(name, 2)
    promote(name, v2)
    out = predict(server, *args).stdout
    assert f"{name} v{v2}: 800 rows read from 2 files, 800 new rows" in out
    rows = table(server, "predictions")
    assert len(rows) == 1600
    newest = [r for r in rows if r[2] == v2]
    both = pd.concat([first, second])
    np.testing.assert_allclose([r[3] for r in newest], booster2.predict(xgb.DMatrix(both[FEATURES])), rtol=1e-6, atol=1e-7)
    # NAME/VERSION names the old version directly: its rows are all there already.
    assert "0 new rows" in predict(server, "--model", f"{name}/{v1}", *args[2:]).stdout

    # Read back through the API, in pages, newest first.
    import requests
    seen, token = [], None
    while True:
        r = requests.get(f"{server.url}/api/v1/models/{name}/predictions", params={"limit": 700, **({"page_token": token} if token else {})})
        assert r.status_code == 200, r.text
        seen += r.json()["predictions"]
        token = r.json().get("next_page_token")
        if not token:
            break
    assert len(seen) == 1600 and {(p["id"], p["version"]) for p in seen} == {(r[0], str(r[2])) for r in rows}
    assert {p["kind"] for p in seen} == {"batch"} and {p["table"] for p in seen} == {"predictions"}
    assert [p["at"] for p in seen] == sorted((p["at"] for p in seen), reverse=True)
    first = next(p for p in seen if p["id"] == rows[0][0] and p["version"] == str(rows[0][2]))
    assert first["outputs"] == pytest.approx(rows[0][3])


def test_derived_keys_other_database_and_lightgbm(server, tmp_path):
    name = "lgb-" + server.backend
    model, version = log_lightgbm(name, 3)
    promote(name, version)
    X = features(250, 12)
    lines = tmp_path / "rows.jsonl"
    lines.write_text("".join(json.dumps({k: (None if np.isnan(v) else v) for k, v in row.items()}) + "\n" for row in X.to_dict("records")))
    url = f"sqlite:{tmp_path / 'elsewhere.db'}"
    args = ["--model", f"models:/{name}@production", "--input", str(lines), "--output-table", "scores", "--output-url", url]
    assert "250 new rows in table scores" in predict(server, *args).stdout
    assert "0 new rows" in predict(server, *args).stdout
    rows = table(server, "scores", url)
    digest = __import__("hashlib").sha256(lines.read_bytes()).hexdigest()[:16]
    assert sorted(r[0] for r in rows) == sorted(f"{digest}:{i + 1}" for i in range(250))
    by_row = sorted(rows, key=lambda r: int(r[0].split(":")[1]))
    np.testing.assert_allclose([r[3] for r in by_row], model.predict(X), rtol=1e-12, atol=1e-12)
    assert not table(server, "scores")  # nothing in Slipway's own database
    with sqlite3.connect(tmp_path / "elsewhere.db") as connection:  # the user's database keeps its journal mode
        assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "delete"


def test_bad_inputs_write_nothing(server, tmp_path):
    name = "bad-" + server.backend
    _, version = log_xgboost(name, 4)
    promote(name, version)
    good = tmp_path / "a.csv"
    write_drop(good, 50, 20, 0)
    base = ["--model", f"{name}@production", "--output-table", "guarded"]

    result = predict(server, *base, "--input", str(good), "--id", "key", check=False)
    assert result.returncode == 1 and "no id column 'key'" in result.stderr

    broken = tmp_path / "b.csv"
    broken.write_text(good.read_text() + "r999999,1,oops,2,3\n")
    result = predict(server, *base, "--input", str(tmp_path / "*.csv"), "--id", "row_id", check=False)
    assert result.returncode == 1 and "b.csv' row 52, column 'b': 'oops' is not a number" in result.stderr
    assert table(server, "guarded") == []  # a.csv's rows were not kept either

    url = f"sqlite:{tmp_path / 'other.db'}"
    with sqlite3.connect(tmp_path / "other.db") as connection:
        connection.execute("CREATE TABLE taken (id TEXT, note TEXT)")
        connection.execute("INSERT INTO taken VALUES ('x', 'kept')")
    result = predict(server, *base[:2], "--input", str(good), "--id", "row_id", "--output-table", "taken", "--output-url", url, check=False)
    assert result.returncode == 1 and "Table 'taken' exists but cannot hold these predictions: it lacks model, version, prediction" in result.stderr
    with sqlite3.connect(tmp_path / "other.db") as connection:
        assert connection.execute("SELECT * FROM taken").fetchall() == [("x", "kept")]

    for model, message in [("nosuch@production", "nosuch"), (f"{name}/99", "99")]:
        result = predict(server, "--model", model, "--input", str(good), "--output-table", "guarded", check=False)
        assert result.returncode == 1 and message in result.stderr and "error:" in result.stderr
    result = predict(server, *base[:2], "--input", str(good), "--output-table", "bad-name;", check=False)
    assert result.returncode == 1 and "is not an output table name" in result.stderr
    result = predict(server, *base[:2], "--input", str(good), "--output-table", "t", "--output-url", "mysql://x", check=False)
    assert result.returncode == 1 and "is not a database URL" in result.stderr


def test_kill_during_a_write_leaves_no_partial_batch(server, tmp_path):
    if server.backend != "sqlite":
        pytest.skip("the target database here is a SQLite file; the server's backend does not matter")
    name = "killed"
    _, version = log_xgboost(name, 5)
    promote(name, version)
    big = tmp_path / "big.csv"
    write_drop(big, 400_000, 30, 0)
    out_db = tmp_path / "out.db"
    with sqlite3.connect(out_db) as connection:  # a user's database in WAL mode, so that the write shows in the WAL file
        connection.execute("PRAGMA journal_mode = WAL")
    command = server.command("predict", "--model", f"{name}@production", "--input", str(big), "--id", "row_id",
                             "--output-table", "batch", "--output-url", f"sqlite:{out_db}")
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    wal = Path(str(out_db) + "-wal")
    # Rows are going into the file (the transaction has spilled pages into the WAL): kill it there.
    wait_until(lambda: process.poll() is not None or (wal.exists() and wal.stat().st_size > 256 << 10), timeout=120, message="the write to start")
    assert process.poll() is None, "the job finished before it could be killed; make the input larger"
    process.send_signal(signal.SIGKILL)
    process.wait()
    # All or nothing: the kill lands inside the transaction (nothing is there), or, on a fast machine, just
    # after its commit (everything is); never a part of the batch.
    after_kill = len(table(server, "batch", f"sqlite:{out_db}"))
    assert after_kill in (0, 400_000), after_kill
    result = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert f"{400_000 - after_kill} new rows" in result.stdout, result.stdout
    assert len(table(server, "batch", f"sqlite:{out_db}")) == 400_000


def test_predict_job_reads_each_new_file_once(server, tmp_path):
    import requests
    name = "job-" + server.backend
    _, v1 = log_xgboost(name, 6)
    promote(name, v1)
    drop = tmp_path / "incoming"
    drop.mkdir()
    job = "demand-15min-" + server.backend
    out = server.cli("jobs", "add", job, "--kind", "predict", "--model", f"{name}@production", "--input", str(drop / "*.csv"),
                     "--id", "row_id", "--output-table", "job_predictions", "--schedule", YEARLY).stdout
    assert f"{job}: predict {name}@production at '{YEARLY}'" in out
    assert f"predict {drop}/*.csv -> job_predictions" in server.cli("jobs", "list").stdout

    assert "no new files" in server.cli("jobs", "run", job).stdout
    write_drop(drop / "a.csv", 500, 40, 0)
    assert f"v{v1}: 500 rows read from 1 new file, 500 new rows in table job_predictions" in server.cli("jobs", "run", job).stdout
    assert "no new files" in server.cli("jobs", "run", job).stdout

    _, v2 = log_xgboost(name, 7)
    promote(name, v2)
    write_drop(drop / "b.csv", 300, 41, 500)
    assert f"v{v2}: 300 rows read from 1 new file, 300 new rows" in server.cli("jobs", "run", job).stdout
    # A backfill over modification times reads a.csv again with v2 (and records nothing as read).
    backfilled = requests.post(f"{server.url}/api/v1/jobs/{job}/run", json={"since": "1h"}).json()
    assert backfilled["status"] == "succeeded" and f"v{v2}: 800 rows read from 2 new files, 500 new rows" in backfilled["output"], backfilled

    broken = drop / "c.csv"
    broken.write_text("row_id,a,b,c,d\nr900000,1,2,3,4\nr900001,1,x,3,4\n")
    failed = server.cli("jobs", "run", job, check=False)
    assert failed.returncode == 1 and "c.csv' row 3, column 'b': 'x' is not a number" in failed.stdout
    write_drop(broken, 20, 42, 900_000)  # fixed: read again, as a whole
    assert f"v{v2}: 20 rows read from 1 new file, 20 new rows" in server.cli("jobs", "run", job).stdout

    rows = table(server, "job_predictions")
    assert len(rows) == 1320 and len({r[0] for r in rows}) == 820
    assert {r[2] for r in rows if r[0] < "r000500"} == {v1, v2} and {r[2] for r in rows if r[0] >= "r000500"} == {v2}
    runs = requests.get(f"{server.url}/api/v1/jobs/{job}/runs").json()["runs"]
    assert [r["status"] for r in runs] == ["succeeded", "failed", "succeeded", "succeeded", "succeeded", "succeeded", "succeeded"]
    query = "SELECT DISTINCT job_run FROM job_predictions ORDER BY job_run"
    if server.database_url:
        written_by = set(subprocess.run(["psql", server.database_url, "-At", "-c", query], capture_output=True, text=True, check=True).stdout.split())
    else:
        with sqlite3.connect(Path(server.data_dir, "slipway.db")) as connection:
            written_by = {r[0] for r in connection.execute(query)}
    assert written_by == {runs[0]["id"], runs[2]["id"], runs[3]["id"], runs[5]["id"]}


def test_model_from_a_running_server(server, tmp_path):
    name = "remote-" + server.backend
    booster, version = log_xgboost(name, 8)
    promote(name, version)
    frame = write_drop(tmp_path / "in.csv", 120, 50, 0)
    out = tmp_path / "out.csv"
    # No store here: the model comes from the server, its files checked against their digests.
    subprocess.run([str(BINARY), "predict", "--registry", server.url, "--model", f"{name}@production", "--data-dir", str(tmp_path / "cache"),
                    "--input", str(tmp_path / "in.csv"), "--output", str(out)], check=True, capture_output=True)
    np.testing.assert_allclose(pd.read_csv(out)["prediction"], booster.predict(xgb.DMatrix(frame[FEATURES])), rtol=1e-6, atol=1e-7)
    url = f"sqlite:{tmp_path / 'remote.db'}"
    result = subprocess.run([str(BINARY), "predict", "--registry", server.url, "--model", f"{name}/{version}", "--data-dir", str(tmp_path / "cache"),
                             "--input", str(tmp_path / "in.csv"), "--id", "row_id", "--output-table", "t", "--output-url", url],
                            capture_output=True, text=True)
    assert result.returncode == 0 and "120 new rows in table t" in result.stdout, result.stderr
    result = subprocess.run([str(BINARY), "predict", "--registry", server.url, "--model", f"{name}@nosuch", "--input", str(tmp_path / "in.csv"),
                             "--data-dir", str(tmp_path / "cache")], capture_output=True, text=True)
    assert result.returncode == 1 and f"Cannot use model {name}@nosuch" in result.stderr


def test_sql_source(server, tmp_path):
    """Rows from a SELECT on SQLite and on PostgreSQL (when there is one), predicted into a table."""
    name = "sql-" + server.backend
    booster, version = log_xgboost(name, 9)
    promote(name, version)
    frame = features(300, 60)
    frame.insert(0, "row_id", range(1000, 1300))
    frame["updated_at"] = range(300)
    sources = [f"sqlite:{tmp_path / 'source.db'}"]
    with sqlite3.connect(tmp_path / "source.db") as connection:
        frame.to_sql("features", connection, index=False)
    if server.database_url:
        sources.append(server.database_url)
        values = ",".join("(" + ",".join("NULL" if pd.isna(v) else repr(float(v)) if k in FEATURES else str(int(v)) for k, v in row.items()) + ")"
                          for row in frame.to_dict("records"))
        subprocess.run(["psql", server.database_url, "-q", "-c",
                        "CREATE TABLE features (row_id BIGINT, a DOUBLE PRECISION, b DOUBLE PRECISION, c REAL, d DOUBLE PRECISION, updated_at INTEGER);"
                        f"INSERT INTO features VALUES {values}"], check=True, capture_output=True)
    expected = booster.predict(xgb.DMatrix(frame[FEATURES]))
    for source in sources:
        out_url = f"sqlite:{tmp_path / ('from-' + source[:6] + '.db')}"
        args = ["--model", f"{name}@production", "--source-url", source, "--query", "SELECT * FROM features WHERE updated_at >= 100 ORDER BY row_id",
                "--id", "row_id", "--output-table", "scored", "--output-url", out_url]
        assert "200 rows read from the source query, 200 new rows in table scored" in predict(server, *args).stdout
        assert "0 new rows" in predict(server, *args).stdout
        rows = table(server, "scored", out_url)
        assert [r[0] for r in rows] == [str(i) for i in range(1100, 1300)]
        # PostgreSQL's REAL column holds c as float32: compare loosely there.
        np.testing.assert_allclose([r[3] for r in rows], expected[100:], rtol=1e-6 if source.startswith("sqlite") else 1e-3, atol=1e-6)
    for query, message in [("SELECT * FROM nosuch", "The source query failed"), ("SELECT row_id, a, b, c FROM features", "no column 'd'"),
                           ("SELECT a, b, c, d FROM features", "no id column 'row_id'")]:
        result = predict(server, "--model", f"{name}@production", "--source-url", sources[0], "--query", query, "--id", "row_id",
                         "--output-table", "scored2", "--output-url", f"sqlite:{tmp_path / 'x.db'}", check=False)
        assert result.returncode == 1 and message in result.stderr, result.stderr
    assert table(server, "scored2", f"sqlite:{tmp_path / 'x.db'}") == []


def test_predict_job_over_a_sql_source_with_a_watermark(server, tmp_path):
    """Each run reads the rows above the highest watermark read before; a time column works on PostgreSQL."""
    name = "wm-" + server.backend
    booster, version = log_xgboost(name, 10)
    promote(name, version)
    frame = features(90, 70)
    frame.insert(0, "row_id", range(90))
    frame["seq"] = range(90)
    sources = [("sqlite", f"sqlite:{tmp_path / 'src.db'}", "seq")]
    with sqlite3.connect(tmp_path / "src.db") as connection:
        frame.iloc[:50].to_sql("incoming", connection, index=False)

    def psql(sql):
        subprocess.run(["psql", server.database_url, "-q", "-c", sql], check=True, capture_output=True)

    def pg_rows(part):
        return ",".join(f"({int(r.row_id)}, {', '.join('NULL' if pd.isna(getattr(r, f)) else repr(float(getattr(r, f))) for f in FEATURES)}, "
                        f"TIMESTAMP '2026-12-01 00:00:00' + INTERVAL '{int(r.seq)} minutes')" for r in part.itertuples())
    if server.database_url:
        psql("CREATE TABLE incoming (row_id BIGINT, a DOUBLE PRECISION, b DOUBLE PRECISION, c DOUBLE PRECISION, d DOUBLE PRECISION, updated_at TIMESTAMP);"
             f"INSERT INTO incoming VALUES {pg_rows(frame.iloc[:50])}")
        sources.append(("postgres", server.database_url, "updated_at"))
    expected = dict(zip(frame.row_id, booster.predict(xgb.DMatrix(frame[FEATURES]))))
    for kind, url, column in sources:
        job = f"wm-{server.backend}-{kind}"
        out_url = f"sqlite:{tmp_path / (job + '.db')}"
        server.cli("jobs", "add", job, "--kind", "predict", "--model", f"{name}@production", "--source-url", url,
                   "--query", "SELECT * FROM incoming", "--watermark", column, "--id", "row_id", "--output-table", "hourly",
                   "--output-url", out_url, "--schedule", YEARLY)
        assert "50 rows read" in server.cli("jobs", "run", job).stdout
        assert "no new rows" in server.cli("jobs", "run", job).stdout
        if kind == "sqlite":
            with sqlite3.connect(tmp_path / "src.db") as connection:
                frame.iloc[50:].to_sql("incoming", connection, index=False, if_exists="append")
        else:
            psql(f"INSERT INTO incoming VALUES {pg_rows(frame.iloc[50:])}")
        out = server.cli("jobs", "run", job).stdout
        assert "40 rows read" in out and "40 new rows" in out, out
        rows = table(server, "hourly", out_url)
        assert sorted(int(r[0]) for r in rows) == list(range(90))
        np.testing.assert_allclose([r[3] for r in rows], [expected[int(r[0])] for r in rows], rtol=1e-6, atol=1e-7)
        # A backfill over a range reads it again, whatever was read; the newest version adds its rows,
        # and the job's watermark does not move.
        _, v2 = log_xgboost(name, 11 if kind == "sqlite" else 12)
        promote(name, v2)
        since, until = ("20", "30") if kind == "sqlite" else ("2026-12-01 00:20:00", "2026-12-01 00:30:00")
        out = server.cli("jobs", "run", job, "--since", since, "--until", until).stdout
        assert f"v{v2}: 10 rows read" in out and "10 new rows" in out, out
        assert "no new rows" in server.cli("jobs", "run", job).stdout
        assert sorted(int(r[0]) for r in table(server, "hourly", out_url) if r[2] == v2) == list(range(20, 30))
        promote(name, version)
    bad = server.cli("jobs", "add", "wm-bad", "--kind", "predict", "--model", name, "--source-url", sources[0][1], "--query", "SELECT 1",
                     "--output-table", "t", "--schedule", "0 * * * *", check=False)
    assert bad.returncode != 0 and "watermark" in bad.stderr
