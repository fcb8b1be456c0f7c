"""Tracking ingest on PostgreSQL, side by side in one run: `log-batch` requests (10 metrics each, a
fresh step per request, spread over 8 runs) from wrk against
  - mlflow server (its default workers) on PostgreSQL: the peer;
  - one slipway server on PostgreSQL;
  - two slipway servers on one PostgreSQL database behind nginx (round robin, keepalive);
each on a database of its own. Prints requests/s, p50/p99 and the ratios. All of it, wrk and
PostgreSQL included, shares this machine's cores: a second server only helps when one is not
already using them."""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import requests  # noqa: E402

from common import free_port, start, stop, wait_ready, wrk_script  # noqa: E402

LUA = """
local runs = %s
local counter = 0
local id = 0
local threads = 0
function setup(thread)
    thread:set("id", threads)
    threads = threads + 1
end
function init(args)
    counter = 0
end
function request()
    counter = counter + 1
    local step = id * 100000000 + counter
    local metrics = {}
    for k = 0, 9 do
        metrics[#metrics + 1] = string.format('{"key":"m%%d","value":%%d.5,"timestamp":%%d,"step":%%d}', k, counter, 1700000000000 + step, step)
    end
    local body = string.format('{"run_id":"%%s","metrics":[%%s]}', runs[(counter %% #runs) + 1], table.concat(metrics, ","))
    return wrk.format("POST", "/api/2.0/mlflow/runs/log-batch", {["Content-Type"] = "application/json"}, body)
end
"""


def database(base):
    name = "bench_" + uuid.uuid4().hex[:10]
    subprocess.run(["psql", base, "-q", "-c", f"CREATE DATABASE {name}"], check=True, capture_output=True)
    return base.rpartition("/")[0] + "/" + name


def nginx(workdir, ports):
    port = free_port()
    directory = Path(workdir) / "nginx"
    directory.mkdir()
    upstream = "".join(f"        server 127.0.0.1:{p};\n" for p in ports)
    temp = "".join(f"    {kind}_temp_path {directory}/{kind};\n" for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    user = "user root;\n" if os.geteuid() == 0 else ""
    (directory / "nginx.conf").write_text(f"""{user}worker_processes 1;
error_log {directory}/error.log warn;
pid {directory}/nginx.pid;
events {{ worker_connections 4096; }}
http {{
    access_log off;
{temp}    upstream servers {{
{upstream}        keepalive 64;
    }}
    server {{
        listen 127.0.0.1:{port};
        location / {{
            proxy_pass http://servers;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
        }}
    }}
}}
""")
    nginx_binary = shutil.which("nginx") or "/usr/sbin/nginx"
    process = start([nginx_binary, "-p", str(directory), "-c", str(directory / "nginx.conf"), "-g", "daemon off;"], directory / "stderr.log")
    return process, f"http://127.0.0.1:{port}"


def runs_on(url, count=8):
    experiment = requests.post(f"{url}/api/2.0/mlflow/experiments/create", json={"name": f"ingest-{uuid.uuid4().hex[:8]}"}, timeout=30).json()["experiment_id"]
    return [requests.post(f"{url}/api/2.0/mlflow/runs/create", json={"experiment_id": experiment, "start_time": 0}, timeout=30).json()["run"]["info"]["run_id"]
            for _ in range(count)]


def load(url, runs, connections, seconds):
    return wrk_script(url, LUA % ("{" + ",".join(json.dumps(r) for r in runs) + "}"), connections, seconds)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--slipway", required=True)
    parser.add_argument("--postgres", required=True)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", default="4,32")
    args = parser.parse_args()
    workdir = tempfile.mkdtemp(prefix="bench-ingest-")
    processes = []
    try:
        setups = {}
        port = free_port()
        processes.append(start([sys.executable, "-m", "mlflow", "server", "--backend-store-uri", database(args.postgres).replace("postgres://", "postgresql+psycopg2://"),
                                "--host", "127.0.0.1", "--port", str(port)], f"{workdir}/mlflow.log", {"MLFLOW_DISABLE_TELEMETRY": "true"}))
        setups["mlflow server"] = f"http://127.0.0.1:{port}"
        port = free_port()
        processes.append(start([args.slipway, "server", "--port", str(port), "--data-dir", f"{workdir}/one", "--database-url", database(args.postgres)],
                               f"{workdir}/one.log", {"LOG_LEVEL": "warning"}))
        setups["slipway x1"] = f"http://127.0.0.1:{port}"
        shared = database(args.postgres)
        ports = [free_port(), free_port()]
        for i, p in enumerate(ports):
            processes.append(start([args.slipway, "server", "--port", str(p), "--data-dir", f"{workdir}/two-{i}", "--database-url", shared],
                                   f"{workdir}/two-{i}.log", {"LOG_LEVEL": "warning"}))
        for p in ports:
            wait_ready(f"http://127.0.0.1:{p}")
        proxy, proxy_url = nginx(workdir, ports)
        processes.append(proxy)
        setups["slipway x2 + nginx"] = proxy_url
        for name, url in setups.items():
            try:
                wait_ready(url, timeout=180)
            except RuntimeError:
                for log in Path(workdir).glob("*.log"):
                    print(f"--- {log.name}\n" + log.read_text()[-3000:])
                raise SystemExit(f"{name} at {url} did not start")
        results = {}
        for name, url in setups.items():
            runs = runs_on(url)
            for c in [int(c) for c in args.connections.split(",")]:
                results[(name, c)] = load(url, runs, c, args.seconds)
        print(f"\nlog-batch of 10 metrics, wrk -t2, {args.seconds} s per cell, PostgreSQL 15 on loopback (fsync off), all on this machine's cores")
        print(f"{'setup':<22}{'conns':>6}{'req/s':>10}{'p50 ms':>9}{'p99 ms':>9}{'non-2xx':>9}")
        for (name, c), r in results.items():
            print(f"{name:<22}{c:>6}{r['rps']:>10.0f}{r['p50']:>9.2f}{r['p99']:>9.2f}{r['errors']:>9}")
        for c in [int(c) for c in args.connections.split(",")]:
            one, two, peer = results[("slipway x1", c)], results[("slipway x2 + nginx", c)], results[("mlflow server", c)]
            print(f"-c{c}: slipway x1 / mlflow {one['rps'] / peer['rps']:.1f}x; slipway x2 + nginx / slipway x1 {two['rps'] / one['rps']:.2f}x")
    finally:
        for process in reversed(processes):
            stop(process)
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
