"""The deployment of docs/deploy.md, on loopback: two `slipway server` processes on one PostgreSQL
(a cluster of the test's own, restarted mid-test), artifacts on moto's S3, two `slipway serve`
replicas following the registry through nginx (Debian's package), and nginx in front of all four.
Under load through nginx it flips production, kills one server and one replica with kill -9, and
restarts PostgreSQL. Nothing acknowledged is lost; predictions fail only while in flight on the
killed replica; every flip is served by every replica within a second; a job scheduled every minute
runs once a minute, though two schedulers share it."""
import os
import shutil
import signal
import statistics
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import pytest
import requests

from conftest import POSTGRES_URL, ROOT, SlipwayReplica, SlipwayServer, free_port, use_mlflow, wait_until
from s3_support import MotoServer
from serving_support import FEATURES, log_version, train, wait_for_version

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
PG_SCRIPT = ROOT / "scripts" / "postgres.sh"
MODEL = "deployed"

pytestmark = [pytest.mark.skipif(not POSTGRES_URL, reason="needs PostgreSQL"),
              pytest.mark.skipif(not os.path.exists(NGINX), reason="needs nginx (apt-get install nginx-light)")]


class Nginx:
    """nginx on a free loopback port: MLflow's and Slipway's API to the servers, predictions to the
    replicas. A request that could not reach one upstream goes to the other (a POST to the servers
    only when it was never sent; a prediction always), and an upstream that failed is left alone for 2 s."""

    def __init__(self, servers, replicas):
        self.dir = Path(tempfile.mkdtemp(prefix="slipway-nginx-"))
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"

        def upstream(name, ports):
            lines = "".join(f"        server 127.0.0.1:{p} max_fails=1 fail_timeout=2s;\n" for p in ports)
            return f"    upstream {name} {{\n{lines}        keepalive 32;\n    }}\n"
        user = "user root;\n" if os.geteuid() == 0 else ""
        temp = "".join(f"    {kind}_temp_path {self.dir}/{kind};\n" for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
        (self.dir / "nginx.conf").write_text(f"""{user}worker_processes 1;
error_log {self.dir}/error.log warn;
pid {self.dir}/nginx.pid;
events {{ worker_connections 1024; }}
http {{
    access_log off;
{temp}    client_max_body_size 0;
{upstream("servers", [s.port for s in servers])}{upstream("replicas", [r.port for r in replicas])}
    server {{
        listen 127.0.0.1:{self.port};
        proxy_http_version 1.1;
        proxy_set_header Connection "";
        proxy_set_header Host $http_host;
        proxy_read_timeout 90s;
        proxy_request_buffering off;
        proxy_buffering off;
        proxy_next_upstream error timeout http_502;
        # A prediction changes nothing: sent again to the other replica when one fails or is not ready yet.
        # (Buffered, so that a body already sent to one can be sent again.)
        location /models/ {{
            proxy_pass http://replicas;
            proxy_request_buffering on;
            proxy_next_upstream error timeout http_502 http_503 non_idempotent;
        }}
        location / {{ proxy_pass http://servers; }}
    }}
}}
""")
        self.process = subprocess.Popen([NGINX, "-p", str(self.dir), "-c", str(self.dir / "nginx.conf"), "-g", "daemon off;"],
                                        stdout=subprocess.DEVNULL, stderr=open(self.dir / "stderr.log", "ab"))

        def up():
            try:
                return requests.get(self.url + "/health", timeout=1).status_code == 200
            except requests.ConnectionError:
                return False
        wait_until(up, 20, "nginx to answer")

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=10)


def kill(process_holder):
    process_holder.process.send_signal(signal.SIGKILL)
    process_holder.process.wait()
    process_holder.process = None


class Load:
    """Predictions through nginx, and metric writes through nginx (each acknowledged step kept),
    each on its own thread, every answer recorded with the time its request was sent."""

    def __init__(self, url, run_id):
        self.url, self.run_id = url, run_id
        self.stop = threading.Event()
        self.predictions = []
        self.writes = []
        self.acknowledged = []
        self.threads = [threading.Thread(target=self.predict, args=(i,)) for i in range(2)] + [threading.Thread(target=self.write)]

    def predict(self, _):
        session = requests.Session()
        body = {"instances": [dict.fromkeys(FEATURES, 0.3)] * 5}
        while not self.stop.is_set():
            sent = time.monotonic()
            try:
                r = session.post(f"{self.url}/models/{MODEL}/predict", json=body, timeout=10)
                self.predictions.append((sent, r.status_code, r.json().get("version") if r.status_code == 200 else r.text[:200]))
            except requests.RequestException as error:
                self.predictions.append((sent, 0, str(error)[:200]))

    def write(self):
        session = requests.Session()
        step = 0
        while not self.stop.is_set():
            step += 1
            body = {"run_id": self.run_id, "key": "acknowledged", "value": step, "timestamp": int(time.time() * 1000), "step": step}
            sent = time.monotonic()
            try:
                r = session.post(f"{self.url}/api/2.0/mlflow/runs/log-metric", json=body, timeout=30)
                self.writes.append((sent, r.status_code))
                if r.status_code == 200:
                    self.acknowledged.append(step)
            except requests.RequestException:
                self.writes.append((sent, 0))

    def answered(self, records, since, count, what, limit=30):
        """Waits until `count` requests sent after `since` were answered 200."""
        wait_until(lambda: sum(1 for r in list(records) if r[0] >= since and r[1] == 200) >= count, limit, what)

    def refused(self, since, status, what, limit=30):
        """Waits until a write sent after `since` was answered `status`."""
        wait_until(lambda: any(w[0] >= since and w[1] == status for w in list(self.writes)), limit, what)

    def __enter__(self):
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        for t in self.threads:
            t.join(timeout=30)


def listening(url):
    """How many connections LISTEN for changes (one per server)."""
    out = subprocess.run(["psql", url, "-At", "-c", "SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'LISTEN%'"],
                         capture_output=True, text=True).stdout.strip()
    return int(out or 0)


def failed(records, start, end):
    return [r for r in records if start <= r[0] <= end and r[1] != 200]


def test_two_servers_two_replicas_behind_nginx_through_kills_and_a_database_restart(tmp_path):
    import mlflow
    from mlflow import MlflowClient
    env = dict(line.removeprefix("export ").split("=", 1)
               for line in subprocess.run([str(PG_SCRIPT), "start"], capture_output=True, text=True, check=True).stdout.splitlines())
    moto = MotoServer()
    moto.bucket("deploy")
    destination = ["--artifacts-destination", "s3://deploy/artifacts"]
    servers = [SlipwayServer("postgres", destination + ["--job-heartbeat-ms", "500"], env=moto.env()) for _ in range(2)]
    for s in servers:
        s.database_url = env["SLIPWAY_TEST_POSTGRES_URL"]
    replicas = []
    nginx = None
    try:
        for s in servers:
            s.start()
        replica_ports = [free_port(), free_port()]
        # nginx needs the replicas' ports before they start, and they need nginx to reach the registry.
        placeholders = [type("R", (), {"port": p}) for p in replica_ports]
        nginx = Nginx(servers, placeholders)
        use_mlflow(nginx.url, "deployment")
        client = MlflowClient()
        a, b = log_version(MODEL, train(1)), log_version(MODEL, train(2))
        client.set_registered_model_alias(MODEL, "production", a)
        for port in replica_ports:
            r = SlipwayReplica(nginx.url, [f"{MODEL}@production"], ["--poll-ms", "60000"])
            r.port, r.url = port, f"http://127.0.0.1:{port}"
            replicas.append(r.start())
        for r in replicas:
            wait_for_version(r.url, a, name=MODEL, limit=30)
        # A job every minute, on both schedulers.
        job = requests.post(f"{nginx.url}/api/v1/jobs", json={"name": "minutely", "kind": "command", "command": ["/bin/true"], "schedule": "* * * * *"},
                            timeout=10)
        assert job.status_code == 201, job.text
        with mlflow.start_run() as run:
            pass

        flip_latencies = {r.url: [] for r in replicas}

        def flip(count):
            for i in range(count):
                target = b if client.get_model_version_by_alias(MODEL, "production").version == str(a) else a
                client.set_registered_model_alias(MODEL, "production", target)
                flipped = time.monotonic()
                for r in replicas:
                    wait_for_version(r.url, target, name=MODEL, limit=1.0)
                    flip_latencies[r.url].append(time.monotonic() - flipped)

        windows = {}
        with Load(nginx.url, run.info.run_id) as load:
            load.answered(load.predictions, 0, 100, "the prediction load to be under way")
            load.answered(load.writes, 0, 20, "the write load to be under way")
            flip(10)
            # kill -9 one server: the other answers everything, flips included.
            windows["server killed"] = start = time.monotonic()
            kill(servers[0])
            load.answered(load.writes, start, 100, "writes to go on through the other server")
            flip(4)
            windows["server killed"] = (start, time.monotonic())
            servers[0].start()
            # kill -9 one replica: nginx sends predictions to the other.
            start = time.monotonic()
            kill(replicas[0])
            load.answered(load.predictions, start, 500, "predictions to go on through the other replica")
            replicas[0].start()
            windows["replica killed"] = (start, time.monotonic())
            current = client.get_model_version_by_alias(MODEL, "production").version
            wait_for_version(replicas[0].url, current, name=MODEL, limit=30)
            # PostgreSQL restarts: serving goes on; writes wait it out; the listeners reconnect and catch up.
            start = time.monotonic()
            subprocess.run([str(PG_SCRIPT), "pause", env["SLIPWAY_PG_DIR"]], check=True)
            load.refused(start, 503, "writes to be answered 503 while PostgreSQL is down")
            subprocess.run([str(PG_SCRIPT), "resume", env["SLIPWAY_PG_DIR"]], check=True)
            wait_until(lambda: requests.get(f"{nginx.url}/api/2.0/mlflow/registered-models/get", params={"name": MODEL}, timeout=5).status_code == 200,
                       30, "the servers to reach PostgreSQL again")
            windows["database restarted"] = (start, time.monotonic())
            wait_until(lambda: listening(env["SLIPWAY_TEST_POSTGRES_URL"]) == 2, 10, "both servers to listen for changes again")
            flip(6)
            load.answered(load.writes, time.monotonic(), 20, "writes to go on after the restart")

        # Every flip, on every replica, within a second (wait_for_version's limit); the figures:
        for url, latencies in flip_latencies.items():
            print(f"\nreplica {url}: {len(latencies)} flips, flip -> served ms median {statistics.median(latencies) * 1000:.0f}, "
                  f"max {max(latencies) * 1000:.0f}")
        # Predictions: failures only while the replica was being killed (those in flight on it).
        replica_window = windows["replica killed"]
        # In flight on the killed process: sent a moment before the kill, or as it happened.
        outside = [p for p in load.predictions if p[1] != 200 and not (replica_window[0] - 1 <= p[0] <= replica_window[0] + 0.5)]
        print(f"predictions: {len(load.predictions)}, failed when the replica was killed: {len(failed(load.predictions, replica_window[0] - 1, replica_window[1]))}, "
              f"failed otherwise: {len(outside)}")
        assert not outside, outside[:5]
        assert {p[2] for p in load.predictions if p[1] == 200} <= {str(a), str(b)}
        # Writes: failures only in flight on the killed server, or while the database was down.
        server_window, database_window = windows["server killed"], windows["database restarted"]
        stray = [w for w in load.writes if w[1] != 200 and not (server_window[0] - 1 <= w[0] <= server_window[0] + 0.5)
                 and not (database_window[0] <= w[0] <= database_window[1])]
        print(f"writes: {len(load.writes)}, acknowledged {len(load.acknowledged)}, failed when the server was killed: "
              f"{len(failed(load.writes, server_window[0] - 1, server_window[0] + 0.5))}, while the database restarted: "
              f"{len(failed(load.writes, *database_window))} (statuses {sorted({w[1] for w in failed(load.writes, *database_window)})}), otherwise: {len(stray)}")
        assert not stray, stray[:5]
        # The database's outage is said as such: 503, which the MLflow client waits out. (Now and then
        # one write sent as PostgreSQL went down gets no answer before the client's 30 s timeout: 0 here.
        # Not understood yet; it is not acknowledged, so nothing is lost.)
        assert {w[1] for w in failed(load.writes, *database_window)} <= {503, 0}
        # Nothing acknowledged is lost.
        history = client.get_metric_history(run.info.run_id, "acknowledged")
        assert set(load.acknowledged) <= {m.step for m in history}
        # The minutely job: at least one run by now (the test crosses a minute), never two in one minute.
        wait_until(lambda: len(requests.get(f"{nginx.url}/api/v1/jobs/minutely/runs", timeout=10).json().get("runs", [])) >= 1, 70,
                   "the minutely job to run")
        runs = requests.get(f"{nginx.url}/api/v1/jobs/minutely/runs", timeout=10).json()["runs"]
        minutes = [r["started_at"] // 60_000 for r in runs]
        assert len(minutes) == len(set(minutes)), runs
        print(f"minutely job: {len(runs)} run(s) in minutes {sorted(minutes)}, never two in one minute")
    finally:
        if nginx:
            nginx.stop()
        for r in replicas:
            if r.process:
                r.process.kill()
                r.process.wait()
        for s in servers:
            s.stop(signal.SIGKILL)
        moto.stop()
        subprocess.run([str(PG_SCRIPT), "stop", env["SLIPWAY_PG_DIR"]], check=False)


def test_a_backup_of_the_database_and_the_bucket_restores_into_a_working_store(tmp_path):
    """docs/deploy.md's backup (pg_dump, then a copy of the bucket) and restore (pg_restore into a new
    database, the copy into a new bucket): the restored store serves the same model, byte for byte."""
    import mlflow
    from mlflow import MlflowClient
    from conftest import new_postgres_database
    moto = MotoServer()
    s3 = moto.client()
    moto.bucket("original")
    moto.bucket("restored")
    original = SlipwayServer("postgres", ["--artifacts-destination", "s3://original/ml"], env=moto.env()).start()
    restored = None
    try:
        use_mlflow(original.url, "backed-up")
        version = log_version(MODEL, train(5))
        MlflowClient().set_registered_model_alias(MODEL, "production", version)
        with mlflow.start_run() as run:
            for step in range(50):
                mlflow.log_metric("loss", 1 / (step + 1), step=step)
        before = Path(mlflow.artifacts.download_artifacts(f"models:/{MODEL}@production", dst_path=str(tmp_path / "before")))

        # Backup: the database first, then the bucket (an object written in between is only in the bucket: harmless).
        dump = tmp_path / "slipway.dump"
        subprocess.run(["pg_dump", "-Fc", "-f", str(dump), original.database_url], check=True)
        copy = tmp_path / "bucket"
        for key in moto.objects("original"):
            (copy / key).parent.mkdir(parents=True, exist_ok=True)
            s3.download_file("original", key, str(copy / key))
        original.stop()

        # Restore into a new database and a new bucket, under a new prefix.
        target = new_postgres_database()
        subprocess.run(["pg_restore", "--no-owner", "-d", target, str(dump)], check=True)
        for path in copy.rglob("*"):
            if path.is_file():
                s3.upload_file(str(path), "restored", "copy/" + str(path.relative_to(copy / "ml")))
        restored = SlipwayServer("postgres", ["--artifacts-destination", "s3://restored/copy"], env=moto.env())
        restored.database_url = target
        restored.start()
        use_mlflow(restored.url, "backed-up")
        after = Path(mlflow.artifacts.download_artifacts(f"models:/{MODEL}@production", dst_path=str(tmp_path / "after")))
        files = sorted(p.relative_to(before) for p in before.rglob("*") if p.is_file())
        assert files == sorted(p.relative_to(after) for p in after.rglob("*") if p.is_file())
        for relative in files:
            assert (before / relative).read_bytes() == (after / relative).read_bytes()
        history = MlflowClient().get_metric_history(run.info.run_id, "loss")
        assert [m.step for m in history] == list(range(50))
        # The restored store loads and checks the model's digests as it serves.
        rows = tmp_path / "rows.csv"
        rows.write_text(",".join(FEATURES) + "\n" + ",".join(["0.5"] * len(FEATURES)) + "\n")
        predicted = restored.cli("predict", "--model", f"{MODEL}@production", "--input", str(rows), "--artifacts-destination", "s3://restored/copy")
        assert predicted.stdout.strip()
    finally:
        original.stop()
        if restored:
            restored.stop()
        moto.stop()
