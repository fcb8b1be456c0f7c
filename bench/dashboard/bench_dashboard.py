"""Dashboard benchmark: an experiment of 100,000 runs (10 params, 20 metrics each) in an MLflow
server and in a Slipway server, in one run.

1. Time to the first 100 rows: in the same headless Chromium (Debian's, through Playwright), a new
   browser context opens the runs table and the clock stops when 100 rows with their run names are
   on screen: MLflow's UI at `#/experiments/<id>/runs` (the React app, ag-grid, its search request)
   and Slipway's `/ui/experiments/<id>` (server-rendered HTML). The viewport is tall enough for 100
   rows on both, so "visible" is literal. Median of --loads cold loads each; ratio MLflow / Slipway.
2. Slipway's server-side render time: --renders sequential GETs over one keep-alive connection of the
   overview (`/`, with 20 registered models of 3 versions and 20 jobs), a model page, the runs page
   (default order), the runs page sorted by a metric, the runs page with a filter, and the second
   page (keyset token); p50 and p95 in ms (target: p95 < 50 ms).
3. Screenshots of both tables under --out.

Filling: Slipway through its MLflow-compatible API (runs/create + runs/log-batch, as the client
does). MLflow through SQL into the database its server created (its REST API would need hours for
100,000 runs on this machine); the server and UI then read them as their own.
"""
import argparse
import http.client
import json
import os
import random
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid

os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
os.environ.setdefault("DO_NOT_TRACK", "true")

import requests  # noqa: E402
from playwright.sync_api import sync_playwright  # noqa: E402

PARAMS, METRICS = 10, 20


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_healthy(url, process, seconds=180):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"server exited early: {process.args}")
        try:
            if requests.get(url + "/health", timeout=1).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise SystemExit(f"server at {url} did not become healthy")


def start(cmd, workdir, env=None):
    port = free_port()
    cmd = [part.replace("PORT", str(port)) for part in cmd]
    process = subprocess.Popen(cmd, stdout=open(f"{workdir}/server.log", "w"), stderr=subprocess.STDOUT,
                               env=env, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    wait_healthy(url, process)
    return process, url


def stop(process):
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)
    except Exception:
        os.killpg(process.pid, signal.SIGKILL)


def synthetic_runs(count, start_ms):
    """The same runs for both servers: (run name, start, params, metrics)."""
    rnd = random.Random(7)
    for i in range(count):
        params = [(f"p{p}", str(rnd.randint(0, 1000))) for p in range(PARAMS)]
        metrics = [(f"m{m:02d}", round(rnd.random(), 6)) for m in range(METRICS)]
        yield f"run-{i}", start_ms + i * 1000, params, metrics


def fill_mlflow(url, database, count, start_ms):
    response = requests.post(url + "/api/2.0/mlflow/experiments/create", json={"name": "bench"})
    response.raise_for_status()
    experiment_id = response.json()["experiment_id"]
    connection = sqlite3.connect(database)
    runs, params, metrics, latest, tags = [], [], [], [], []
    for name, start, run_params, run_metrics in synthetic_runs(count, start_ms):
        run_id = uuid.uuid4().hex
        runs.append((run_id, name, "LOCAL", "bench.py", "", "bench", "FINISHED", start, start + 500, "", "active",
                     f"mlflow-artifacts:/{experiment_id}/{run_id}/artifacts", int(experiment_id)))
        params += [(key, value, run_id) for key, value in run_params]
        metrics += [(key, value, start, run_id, 0, 0) for key, value in run_metrics]
        latest += [(key, value, start, 0, 0, run_id) for key, value in run_metrics]
        tags += [("mlflow.runName", name, run_id), ("mlflow.user", "bench", run_id)]
    connection.executemany(
        "INSERT INTO runs (run_uuid, name, source_type, source_name, entry_point_name, user_id, status, start_time,"
        " end_time, source_version, lifecycle_stage, artifact_uri, experiment_id) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)", runs)
    connection.executemany("INSERT INTO params (key, value, run_uuid) VALUES (?,?,?)", params)
    connection.executemany("INSERT INTO metrics (key, value, timestamp, run_uuid, step, is_nan) VALUES (?,?,?,?,?,?)", metrics)
    connection.executemany("INSERT INTO latest_metrics (key, value, timestamp, step, is_nan, run_uuid) VALUES (?,?,?,?,?,?)", latest)
    connection.executemany("INSERT INTO tags (key, value, run_uuid) VALUES (?,?,?)", tags)
    connection.commit()
    connection.close()
    return experiment_id


class Connection:
    """One keep-alive HTTP connection."""

    def __init__(self, url):
        self.address = url.removeprefix("http://").split(":")
        self.connection = http.client.HTTPConnection(self.address[0], int(self.address[1]))

    def request(self, method, path, body=None):
        self.connection.request(method, path, body=body, headers={"Content-Type": "application/json"})
        response = self.connection.getresponse()
        payload = response.read()
        if response.status // 100 != 2:
            raise RuntimeError(f"{method} {path}: {response.status} {payload[:300]!r}")
        return payload


def fill_slipway(url, count, start_ms, threads=4):
    experiment_id = json.loads(Connection(url).request(
        "POST", "/api/2.0/mlflow/experiments/create", json.dumps({"name": "bench"})))["experiment_id"]
    runs = list(synthetic_runs(count, start_ms))
    errors = []

    def worker(part):
        connection = Connection(url)
        try:
            for name, start, params, metrics in runs[part::threads]:
                created = json.loads(connection.request("POST", "/api/2.0/mlflow/runs/create", json.dumps(
                    {"experiment_id": experiment_id, "run_name": name, "start_time": start})))
                run_id = created["run"]["info"]["run_id"]
                connection.request("POST", "/api/2.0/mlflow/runs/log-batch", json.dumps({
                    "run_id": run_id,
                    "params": [{"key": k, "value": v} for k, v in params],
                    "metrics": [{"key": k, "value": v, "timestamp": start, "step": 0} for k, v in metrics],
                }))
                connection.request("POST", "/api/2.0/mlflow/runs/update", json.dumps(
                    {"run_id": run_id, "status": "FINISHED", "end_time": start + 500}))
        except Exception as error:  # reported after join
            errors.append(error)

    workers = [threading.Thread(target=worker, args=(i,)) for i in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    if errors:
        raise SystemExit(f"filling Slipway failed: {errors[0]}")
    return experiment_id


def register_models(url, count=20, versions=3):
    """Registered models for the overview: each with `versions` versions, production on the newest,
    previous on the one before, and a yearly promote job (run once, so it has a last run)."""
    connection = Connection(url)
    for i in range(count):
        name = f"model-{i:02d}"
        connection.request("POST", "/api/2.0/mlflow/registered-models/create", json.dumps({"name": name}))
        for v in range(versions):
            connection.request("POST", "/api/2.0/mlflow/model-versions/create", json.dumps({"name": name, "source": f"models:/m-{i}-{v}"}))
        for alias, version in [("production", versions), ("previous", versions - 1)]:
            connection.request("POST", "/api/2.0/mlflow/registered-models/alias", json.dumps({"name": name, "alias": alias, "version": str(version)}))
        connection.request("POST", "/api/v1/jobs", json.dumps({"name": f"promote-{name}", "kind": "promote", "model": name, "schedule": "0 0 1 1 *"}))
        try:
            connection.request("POST", f"/api/v1/jobs/promote-{name}/run")
        except RuntimeError:
            pass  # no policy: the run fails, and is recorded as failed


ROWS_VISIBLE = {
    # 100 rendered rows showing a run name (ag-grid draws the name in a pinned part of the row).
    "mlflow": """() => new Set([...document.querySelectorAll('.ag-row')]
                   .filter(r => /run-\\d+/.test(r.textContent)).map(r => r.getAttribute('row-index'))).size >= 100""",
    "slipway": """() => [...document.querySelectorAll('#runs tbody tr')]
                   .filter(r => /run-\\d+/.test(r.textContent)).length >= 100""",
}


def time_first_rows(browser, url, kind, loads, screenshot):
    times = []
    for i in range(loads):
        context = browser.new_context(viewport={"width": 1600, "height": 4400})
        page = context.new_page()
        started = time.perf_counter()
        page.goto(url)
        try:
            page.wait_for_function(ROWS_VISIBLE[kind], polling="raf", timeout=120_000)
        except Exception:
            page.screenshot(path=screenshot.replace(".png", "-timeout.png"))
            raise SystemExit(f"{kind}: 100 rows did not appear at {url} (screenshot {screenshot.replace('.png', '-timeout.png')})")
        times.append(time.perf_counter() - started)
        if i == loads - 1:
            page.screenshot(path=screenshot)
        context.close()
    return times


def render_times(url, paths, count):
    connection = Connection(url)
    results = {}
    for label, path in paths:
        connection.request("GET", path)  # warm
        samples = []
        for _ in range(count):
            started = time.perf_counter()
            connection.request("GET", path)
            samples.append((time.perf_counter() - started) * 1000)
        samples.sort()
        results[label] = (statistics.median(samples), samples[int(0.95 * (len(samples) - 1))])
    return results


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--slipway", required=True)
    parser.add_argument("--runs", type=int, default=100_000)
    parser.add_argument("--loads", type=int, default=5)
    parser.add_argument("--renders", type=int, default=200)
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    parser.add_argument("--out", default="bench/dashboard/output")
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    workdir = tempfile.mkdtemp(prefix="slipway-dashboard-bench-")
    start_ms = int(time.time() * 1000) - args.runs * 1000
    servers = []
    try:
        os.makedirs(f"{workdir}/mlflow")
        mlflow, mlflow_url = start(
            [sys.executable, "-m", "mlflow", "server", "--backend-store-uri", f"sqlite:///{workdir}/mlflow/mlflow.db",
             "--serve-artifacts", "--artifacts-destination", f"{workdir}/mlflow/artifacts",
             "--host", "127.0.0.1", "--port", "PORT", "--workers", "1"], f"{workdir}/mlflow")
        servers.append(mlflow)
        t = time.perf_counter()
        mlflow_experiment = fill_mlflow(mlflow_url, f"{workdir}/mlflow/mlflow.db", args.runs, start_ms)
        print(f"MLflow: {args.runs} runs written with SQL in {time.perf_counter() - t:.1f} s", flush=True)

        os.makedirs(f"{workdir}/slipway")
        slipway, slipway_url = start([args.slipway, "server", "--port", "PORT", "--data-dir", f"{workdir}/slipway"],
                                     f"{workdir}/slipway", env=dict(os.environ, LOG_LEVEL="warning"))
        servers.append(slipway)
        t = time.perf_counter()
        slipway_experiment = fill_slipway(slipway_url, args.runs, start_ms)
        print(f"Slipway: {args.runs} runs logged through its MLflow API in {time.perf_counter() - t:.1f} s", flush=True)
        register_models(slipway_url)

        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=args.chromium, args=["--no-sandbox"])
            first = {}
            for kind, url in [("mlflow", f"{mlflow_url}/#/experiments/{mlflow_experiment}/runs"),
                              ("slipway", f"{slipway_url}/ui/experiments/{slipway_experiment}")]:
                time_first_rows(browser, url, kind, 1, f"{args.out}/{kind}-warmup.png")  # server caches, JIT
                first[kind] = time_first_rows(browser, url, kind, args.loads, f"{args.out}/{kind}-runs.png")
            browser.close()

        base = f"/ui/experiments/{slipway_experiment}"
        table = json.loads(Connection(slipway_url).request("GET", f"/api/v1/experiments/{slipway_experiment}/table"))
        second = table["next"]
        paths = [("overview / (20 models, 20 jobs)", "/"), ("model page", "/ui/models/model-07"), ("runs page", base),
                 ("runs page, order by metrics.m03", base + "?order_by=metrics.m03+DESC"),
                 ("runs page, filter metrics.m01 > 0.9", base + "?filter=metrics.m01+%3E+0.9"),
                 ("runs page 2 (next token)", second)]
        renders = render_times(slipway_url, paths, args.renders)

        print()
        print(f"Runs table, {args.runs} runs x ({PARAMS} params, {METRICS} metrics); time until 100 rows are visible,"
              f" new browser context each load, median of {args.loads} (headless Chromium {args.chromium}):")
        mlflow_median, slipway_median = statistics.median(first["mlflow"]), statistics.median(first["slipway"])
        print(f"  MLflow UI  {mlflow_median * 1000:8.0f} ms   (loads: {', '.join(f'{x * 1000:.0f}' for x in first['mlflow'])})")
        print(f"  Slipway    {slipway_median * 1000:8.0f} ms   (loads: {', '.join(f'{x * 1000:.0f}' for x in first['slipway'])})")
        print(f"  ratio MLflow / Slipway: {mlflow_median / slipway_median:.1f}x")
        print()
        print(f"Slipway server-side render, {args.renders} sequential GETs each (ms, request sent to body read):")
        for label, (p50, p95) in renders.items():
            print(f"  {label:40s} p50 {p50:7.2f}   p95 {p95:7.2f}")
        print()
        print(f"Screenshots: {args.out}/mlflow-runs.png, {args.out}/slipway-runs.png")
    finally:
        for process in servers:
            stop(process)
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
