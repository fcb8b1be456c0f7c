"""Tracking benchmark: the same client script against `mlflow server` (SQLite, 1 worker) and
`slipway server` (SQLite), in one run, printing medians and the ratio (MLflow time / Slipway time).

Each operation is timed two ways:
  client - through the unmodified MLflow Python client (what a user's script sees; the client's own
           Python work is included on both sides, which caps the ratio);
  http   - the same requests sent over one keep-alive connection with `http.client` and prebuilt
           JSON bodies: as little client work as Python allows, so the servers' own speed shows.

Operations: ingest (create a run, log 10 params and 1000 metric points with log_batch),
search (filter + order by metric over 500 runs), set alias, get metric history (1000 points).
"""
import argparse
import http.client
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
os.environ.setdefault("DO_NOT_TRACK", "true")
os.environ.setdefault("MLFLOW_SUPPRESS_PRINTING_URL_TO_STDOUT", "true")

import requests  # noqa: E402
from mlflow import MlflowClient  # noqa: E402
from mlflow.entities import Metric, Param, RunTag  # noqa: E402


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_healthy(url, process, seconds=120):
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


def start_mlflow(workdir):
    port = free_port()
    cmd = [sys.executable, "-m", "mlflow", "server", "--backend-store-uri", f"sqlite:///{workdir}/mlflow.db",
           "--serve-artifacts", "--artifacts-destination", f"{workdir}/artifacts", "--host", "127.0.0.1",
           "--port", str(port), "--workers", "1"]
    process = subprocess.Popen(cmd, stdout=open(f"{workdir}/server.log", "w"), stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    wait_healthy(url, process)
    return process, url


def start_slipway(binary, workdir):
    port = free_port()
    cmd = [binary, "server", "--port", str(port), "--data-dir", workdir]
    env = dict(os.environ, LOG_LEVEL="warning")
    process = subprocess.Popen(cmd, stdout=open(f"{workdir}/server.log", "w"), stderr=subprocess.STDOUT, env=env, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    wait_healthy(url, process)
    return process, url


def stop(process):
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=20)
    except Exception:
        os.killpg(process.pid, signal.SIGKILL)


def median_ms(fn, repeat):
    samples = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t0) * 1000)
    return statistics.median(samples)


class RawHTTP:
    """One keep-alive connection; JSON in, JSON out, a non-200 answer is an error."""

    def __init__(self, url):
        host, port = url.removeprefix("http://").split(":")
        self.address = (host, int(port))
        self.connection = http.client.HTTPConnection(*self.address)

    def call(self, method, path, body=None, parse=True):
        data = body if isinstance(body, (str, bytes)) or body is None else json.dumps(body)
        for attempt in range(2):
            try:
                self.connection.request(method, "/api/2.0/mlflow/" + path, body=data, headers={"Content-Type": "application/json"})
                response = self.connection.getresponse()
                payload = response.read()
                break
            except (BrokenPipeError, ConnectionResetError, http.client.RemoteDisconnected):
                # uvicorn closes keep-alive connections idle for 5 s; reconnect once.
                self.connection.close()
                self.connection = http.client.HTTPConnection(*self.address)
                if attempt:
                    raise
        if response.status != 200:
            raise RuntimeError(f"{method} {path}: {response.status} {payload[:200]!r}")
        if not parse:
            return payload
        return json.loads(payload) if payload else {}


def run_suite(url, args):
    """Times every operation against one server; returns {name: median ms}."""
    client = MlflowClient(tracking_uri=url, registry_uri=url)
    raw = RawHTTP(url)
    now = int(time.time() * 1000)
    experiment_id = client.create_experiment("bench")
    metrics = [Metric("loss", 1.0 / (i + 1), now + i, i) for i in range(1000)]
    params = [Param(f"p{i}", str(i)) for i in range(10)]
    metrics_body = [{"key": "loss", "value": 1.0 / (i + 1), "timestamp": now + i, "step": i} for i in range(1000)]
    params_body = [{"key": f"p{i}", "value": str(i)} for i in range(10)]
    results = {}

    def ingest_client():
        run = client.create_run(experiment_id)
        client.log_batch(run.info.run_id, metrics=metrics, params=params)

    metrics_json, params_json = json.dumps(metrics_body), json.dumps(params_body)
    create_json = json.dumps({"experiment_id": experiment_id, "start_time": now})

    def ingest_http():
        run_id = raw.call("POST", "runs/create", create_json)["run"]["info"]["run_id"]
        raw.call("POST", "runs/log-batch", '{"run_id": "%s", "metrics": %s}' % (run_id, metrics_json))
        raw.call("POST", "runs/log-batch", '{"run_id": "%s", "params": %s}' % (run_id, params_json))

    results["ingest (client)"] = median_ms(ingest_client, args.ingest_repeat)
    results["ingest (http)"] = median_ms(ingest_http, args.ingest_repeat)

    # 500 runs to search over.
    search_experiment = client.create_experiment("bench-search")
    for i in range(args.runs):
        run = client.create_run(search_experiment, run_name=f"run-{i}")
        client.log_batch(run.info.run_id,
                         metrics=[Metric("test_mae", (i * 37) % 100, now, 0), Metric("rmse", (i * 53) % 100 + 0.5, now, 0)],
                         params=[Param("model_type", "xgb" if i % 2 else "lgbm"), Param("max_depth", str(i % 10))],
                         tags=[RunTag("team", f"t{i % 5}")])
    query = dict(filter_string="metrics.test_mae < 50 and params.model_type = 'xgb'", order_by=["metrics.rmse ASC"], max_results=100)
    expected = len(client.search_runs([search_experiment], **query))
    search_body = {"experiment_ids": [search_experiment], "filter": query["filter_string"], "order_by": query["order_by"],
                   "max_results": 100, "run_view_type": "ACTIVE_ONLY"}

    search_json = json.dumps(search_body)

    # Checked once; the timed calls only read the bytes (parsing would time the client, not the server).
    assert len(raw.call("POST", "runs/search", search_json).get("runs", [])) == expected

    def search_http():
        raw.call("POST", "runs/search", search_json, parse=False)

    results["search 500 runs (client)"] = median_ms(lambda: client.search_runs([search_experiment], **query), args.repeat)
    results["search 500 runs (http)"] = median_ms(search_http, args.repeat)

    client.create_registered_model("bench-model")
    run = client.create_run(experiment_id)
    for _ in range(2):
        client.create_model_version("bench-model", f"runs:/{run.info.run_id}/model", run_id=run.info.run_id)
    flip = {"v": 1}

    def alias_client():
        flip["v"] = 3 - flip["v"]
        client.set_registered_model_alias("bench-model", "production", str(flip["v"]))

    def alias_http():
        flip["v"] = 3 - flip["v"]
        raw.call("POST", "registered-models/alias", {"name": "bench-model", "alias": "production", "version": str(flip["v"])})

    results["set alias (client)"] = median_ms(alias_client, args.repeat)
    results["set alias (http)"] = median_ms(alias_http, args.repeat)

    history_run = client.create_run(experiment_id)
    client.log_batch(history_run.info.run_id, metrics=metrics)
    history_path = f"metrics/get-history?run_id={history_run.info.run_id}&metric_key=loss&max_results=25000"

    assert len(raw.call("GET", history_path)["metrics"]) == 1000

    def history_http():
        raw.call("GET", history_path, parse=False)

    results["metric history 1000 (client)"] = median_ms(lambda: client.get_metric_history(history_run.info.run_id, "loss"), args.repeat)
    results["metric history 1000 (http)"] = median_ms(history_http, args.repeat)
    return results


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--slipway", required=True, help="path to the slipway binary (a release build)")
    parser.add_argument("--runs", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--ingest-repeat", type=int, default=15)
    args = parser.parse_args()

    results = {}
    for name, start in (("mlflow", start_mlflow), ("slipway", lambda d: start_slipway(args.slipway, d))):
        workdir = tempfile.mkdtemp(prefix=f"bench-{name}-")
        process, url = start(workdir)
        try:
            print(f"running against {name} at {url} ...", flush=True)
            results[name] = run_suite(url, args)
        finally:
            stop(process)
            shutil.rmtree(workdir, ignore_errors=True)

    print()
    print(f"{'operation':34} {'mlflow ms':>11} {'slipway ms':>11} {'ratio':>8}")
    for op in results["mlflow"]:
        m, s = results["mlflow"][op], results["slipway"][op]
        print(f"{op:34} {m:11.2f} {s:11.2f} {m / s:7.1f}x")


if __name__ == "__main__":
    main()
