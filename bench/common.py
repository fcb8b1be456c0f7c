"""Helpers the benchmarks share: a free loopback port, waiting for a server to answer, one wrk cell
(req/s, p50/p99, errors), a process's CPU time, and the best time of a few runs. A benchmark imports it with
`sys.path.insert(0, str(Path(__file__).resolve().parent.parent))`."""
import json
import os
import re
import signal
import socket
import subprocess
import tempfile
import time

import requests


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_ready(url, path="/health", timeout=120, method="get", body=None):
    """Until `method url+path` answers 200 (with `body` as JSON), or RuntimeError after `timeout` s."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            if requests.request(method, url + path, json=body, timeout=5).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{url}{path} not ready")


def wrk(url, body, connections, seconds, headers=None):
    """One wrk run (2 threads) posting `body` as JSON to `url` (with `headers`): req/s, p50 and p99 in ms, non-2xx count."""
    script = f'wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\nwrk.body = {json.dumps(json.dumps(body))}\n'
    for name, value in (headers or {}).items():
        script += f'wrk.headers[{json.dumps(name)}] = {json.dumps(value)}\n'
    return wrk_script(url, script, connections, seconds)


def wrk_script(url, script, connections, seconds):
    """One wrk run (2 threads) with a Lua `script` of its own: req/s, p50 and p99 in ms, non-2xx count."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as file:
        file.write(script)
    try:
        out = subprocess.run(["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", file.name, url],
                             capture_output=True, text=True, check=True).stdout
    finally:
        os.unlink(file.name)

    def latency(p):
        value, unit = re.search(rf"^\s+{p}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M).groups()
        return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]

    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket_errors = re.search(r"Socket errors: (.*)", out)
    return {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)), "p50": latency(50), "p99": latency(99),
            "errors": int(errors.group(1)) if errors else 0, "socket_errors": socket_errors.group(1) if socket_errors else ""}


def cpu_seconds(pid):
    """User plus system CPU time a process has used so far, in seconds (Linux /proc)."""
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def best_of(n, fn):
    """The shortest of `n` timed calls of `fn`, in seconds."""
    times = []
    for _ in range(n):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def start(cmd, log, env=None):
    """A process in a session of its own (so `stop` ends its children too), writing to the file `log`."""
    return subprocess.Popen(cmd, stdout=open(log, "w"), stderr=subprocess.STDOUT, env={**os.environ, **(env or {})}, start_new_session=True)


def stop(process):
    """SIGTERM to the process's session, SIGKILL when it is not gone within 20 s."""
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=20)
    except Exception:
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def random_file(path, size):
    """`path` filled with `size` random bytes, unless it is there already."""
    if not os.path.exists(path):
        with open(path, "wb") as f:
            f.write(os.urandom(size))
    return path
