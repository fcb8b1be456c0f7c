"""Fixtures for the end-to-end suite: a real `slipway server` on loopback, on SQLite and (when
SLIPWAY_TEST_POSTGRES_URL is set) on PostgreSQL, talked to by the real, unmodified mlflow client."""
import os
import signal
import socket
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

import pytest
import requests

os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
os.environ.setdefault("DO_NOT_TRACK", "true")
# A failing server should fail the test now, not after minutes of client retries.
os.environ.setdefault("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
os.environ.setdefault("MLFLOW_HTTP_REQUEST_TIMEOUT", "60")
os.environ.setdefault("MLFLOW_SUPPRESS_PRINTING_URL_TO_STDOUT", "true")

ROOT = Path(__file__).resolve().parents[2]
BINARY = Path(os.environ.get("SLIPWAY_BIN", ROOT / ".build" / "debug" / "slipway"))
POSTGRES_URL = os.environ.get("SLIPWAY_TEST_POSTGRES_URL", "")
BACKENDS = ["sqlite"] + (["postgres"] if POSTGRES_URL else [])


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def new_postgres_database() -> str:
    """Creates an empty database on the test server and returns its URL."""
    name = "slipway_py_" + uuid.uuid4().hex[:12]
    subprocess.run(["psql", POSTGRES_URL, "-q", "-c", f"CREATE DATABASE {name}"], check=True, capture_output=True)
    base, _, _ = POSTGRES_URL.rpartition("/")
    return f"{base}/{name}"


def wait_healthy(process, url, log_path, what):
    """Waits until a started process answers /health; fails with its log if it exits or takes 30 s."""
    deadline = time.time() + 30
    while time.time() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited: {Path(log_path).read_text()}")
        try:
            if requests.get(url + "/health", timeout=1).status_code == 200:
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.05)
    raise RuntimeError(f"{what} did not become healthy in 30 s")


def wait_until(predicate, timeout=5.0, message="the condition", interval=0.02):
    """Polls `predicate` until it returns something truthy, and returns that; fails naming `message`
    (and the last value seen) once `timeout` seconds have passed. For waiting on an observable state
    instead of sleeping for "long enough"."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {message} (last: {value!r})")
        time.sleep(interval)


def use_mlflow(url, experiment):
    """Points the mlflow client's global state at a server (other modules leave theirs) and an experiment."""
    import mlflow
    mlflow.set_tracking_uri(url)
    mlflow.set_registry_uri(url)
    mlflow.set_experiment(experiment)


class SlipwayServer:
    """One `slipway server` process; restartable on the same data."""

    def __init__(self, backend: str, extra_args=(), env=None):
        self.backend = backend
        self.extra_args = list(extra_args)
        # Variables added to the environment of the server and of `cli` (S3 credentials, ...).
        self.env = {**os.environ, **env} if env else None
        self.data_dir = tempfile.mkdtemp(prefix="slipway-e2e-")
        self.database_url = new_postgres_database() if backend == "postgres" else None
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process = None
        self.log_path = Path(self.data_dir) / "server.log"

    def command(self, *args) -> list:
        cmd = [str(BINARY), *args, "--data-dir", self.data_dir]
        if self.database_url:
            cmd += ["--database-url", self.database_url]
        return cmd

    def start(self):
        log = open(self.log_path, "ab")
        self.process = subprocess.Popen(self.command("server", "--port", str(self.port), *self.extra_args), stdout=log, stderr=subprocess.STDOUT, env=self.env)
        wait_healthy(self.process, self.url, self.log_path, "slipway server")
        return self

    def stop(self, sig=signal.SIGTERM):
        if self.process and self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def cli(self, *args, check=True) -> subprocess.CompletedProcess:
        """Runs a `slipway` command against this server's store."""
        result = subprocess.run(self.command(*args), capture_output=True, text=True, timeout=60, env=self.env)
        if check and result.returncode != 0:
            raise AssertionError(f"slipway {' '.join(args)} failed ({result.returncode}): {result.stderr}")
        return result


@pytest.fixture(scope="module", params=BACKENDS)
def server(request):
    s = SlipwayServer(request.param).start()
    yield s
    s.stop()


@pytest.fixture()
def fresh_server(request):
    """A server of its own for tests that stop and restart it (sqlite, and postgres when available)."""
    servers = []

    def make(backend):
        s = SlipwayServer(backend)
        servers.append(s)
        return s

    yield make
    for s in servers:
        s.stop(signal.SIGKILL)


@pytest.fixture()
def client(server):
    import mlflow
    from mlflow import MlflowClient

    mlflow.set_tracking_uri(server.url)
    mlflow.set_registry_uri(server.url)
    yield MlflowClient(tracking_uri=server.url, registry_uri=server.url)
    if mlflow.active_run():
        mlflow.end_run()


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


class SlipwayReplica:
    """One `slipway serve` process following a registry server."""

    def __init__(self, registry_url: str, models, extra_args=()):
        self.registry_url = registry_url
        self.models = list(models)
        self.extra_args = list(extra_args)
        self.cache_dir = tempfile.mkdtemp(prefix="slipway-replica-")
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process = None
        self.log_path = Path(self.cache_dir) / "replica.log"

    def start(self):
        args = [str(BINARY), "serve", "--registry", self.registry_url, "--port", str(self.port), "--cache-dir", self.cache_dir]
        for model in self.models:
            args += ["--model", model]
        log = open(self.log_path, "ab")
        self.process = subprocess.Popen(args + self.extra_args, stdout=log, stderr=subprocess.STDOUT)
        wait_healthy(self.process, self.url, self.log_path, "slipway serve")
        return self

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
            # A graceful stop exits 0: no crash on the way out (the registry's connections closed last).
            assert self.process.returncode == 0, (self.process.returncode, self.log_path.read_text()[-3000:])
        self.process = None


def assert_damaged_copies_never_crash(original: bytes, tmp_path, suffix: str, input_path, count: int, seed: int):
    """`slipway predict` on `count` damaged copies of a model file (every third cut short, the
    others with 1-7 random bytes changed): each must succeed or fail with a clear error, never crash."""
    import numpy as np
    rng = np.random.default_rng(seed)
    for i in range(count):
        damaged = bytearray(original)
        if i % 3 == 0:
            damaged = damaged[: rng.integers(0, len(damaged))]
        else:
            for _ in range(rng.integers(1, 8)):
                damaged[rng.integers(0, len(damaged))] = rng.integers(0, 256)
        path = tmp_path / f"damaged-{i}{suffix}"
        path.write_bytes(bytes(damaged))
        result = subprocess.run([str(BINARY), "predict", "--model", str(path), "--input", str(input_path)], capture_output=True, text=True, timeout=120)
        assert result.returncode in (0, 1), (i, result.returncode, result.stderr[-500:])
        assert result.returncode == 0 or result.stderr.startswith("error:"), (i, result.stderr[-500:])
