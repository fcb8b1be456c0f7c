"""Rate limits on a server with auth: a token bucket per token and route class, per client address
on open routes; 429 REQUEST_LIMIT_EXCEEDED with Retry-After and the RateLimit headers; the MLflow
client waits a 429 out and loses nothing; repeated failed logins from one address back off."""
import time

import pytest
import requests

from conftest import SlipwayServer, unique, wait_until
from test_auth import TOKEN, token

SEARCH = "/api/2.0/mlflow/experiments/search?max_results=1"


@pytest.fixture(scope="module")
def server():
    s = SlipwayServer("sqlite", extra_args=[
        "--auth", "--rate-limit", "read=5/s", "--rate-limit", "write=10/s", "--rate-limit", "open=20/m"]).start()
    yield s
    s.stop()


def bearer(text):
    return {"Authorization": f"Bearer {text}"}


def drain(url, headers, limit=100):
    """Sends until the first 429 and returns it with how many got through."""
    for sent in range(limit):
        r = requests.get(url, headers=headers, timeout=5)
        if r.status_code == 429:
            return r, sent
        assert r.status_code == 200, r.text
    raise AssertionError(f"no 429 after {limit} requests")


def test_a_token_over_its_read_limit(server):
    reader = token(server, unique("reader"), "read")
    limited, sent = drain(server.url + SEARCH, bearer(reader))
    assert 5 <= sent <= 6, sent  # the bucket holds 5 and refills while the requests go out
    assert limited.json()["error_code"] == "REQUEST_LIMIT_EXCEEDED" and "5/s read" in limited.json()["message"]
    assert limited.headers["Retry-After"] == "1"
    assert limited.headers["RateLimit-Policy"] == '"read";q=5;w=1'
    assert limited.headers["RateLimit"] == '"read";r=0;t=1'
    # Another token of the same user has its own bucket; the spent one refills within the window.
    assert requests.get(server.url + SEARCH, headers=bearer(token(server, unique("reader"), "read")), timeout=5).status_code == 200
    wait_until(lambda: requests.get(server.url + SEARCH, headers=bearer(reader), timeout=5).status_code == 200,
               timeout=3, message="the read bucket to refill")


def test_the_mlflow_client_waits_out_a_429(server, monkeypatch):
    from mlflow import MlflowClient

    monkeypatch.setenv("MLFLOW_TRACKING_TOKEN", token(server, unique("writer"), "write"))
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "7")  # MLflow's default (the suite turns retries off)
    client = MlflowClient(server.url, server.url)
    run = client.create_run(client.create_experiment(unique("limited")))
    started = time.monotonic()
    for step in range(30):
        client.log_metric(run.info.run_id, "loss", 1.0 / (step + 1), step=step)
    # 32 writes at 10/s: the client was held back (at least two seconds of Retry-After), and lost nothing.
    assert time.monotonic() - started > 1.5
    history = client.get_metric_history(run.info.run_id, "loss")
    assert sorted(m.step for m in history) == list(range(30))


def test_open_routes_are_counted_per_address(server):
    statuses = [requests.get(server.url + "/health", timeout=5).status_code for _ in range(25)]
    assert statuses.count(200) >= 19 and statuses[-1] == 429, statuses
    r = requests.get(server.url + "/ready", timeout=5)
    assert r.status_code == 429 and r.headers["RateLimit-Policy"] == '"open";q=20;w=60' and int(r.headers["Retry-After"]) >= 1


def test_failed_logins_back_off():
    s = SlipwayServer("sqlite", extra_args=["--auth"]).start()
    try:
        admin = TOKEN.findall(s.log_path.read_text())[0]
        assert requests.get(s.url + SEARCH, headers=bearer(admin), timeout=5).status_code == 200
        guesses = [bearer(f"slw_{'a' * 10}_{i:032d}".replace("0", "b")) for i in range(8)]
        statuses = [requests.get(s.url + SEARCH, headers=guesses[i], timeout=5).status_code for i in range(5)]
        assert statuses == [401] * 5
        blocked = requests.get(s.url + SEARCH, headers=guesses[5], timeout=5)
        assert blocked.status_code == 429 and "Too many failed logins" in blocked.json()["message"]
        assert blocked.headers["Retry-After"] == "1"
        # Even the right token, if not recently seen, waits: guessing gains nothing by being right.
        # A token the server has just checked answers from memory and is not held back.
        assert requests.get(s.url + SEARCH, headers=bearer(admin), timeout=5).status_code == 200
        basic = requests.get(s.url + SEARCH, auth=("admin", "wrong"), timeout=5)
        assert basic.status_code == 429
        # Once the wait is over one more guess is checked (401), and the next wait is twice as long.
        wait_until(lambda: requests.get(s.url + SEARCH, headers=guesses[6], timeout=5).status_code == 401,
                   timeout=4, message="the first backoff to end")
        again = requests.get(s.url + SEARCH, headers=guesses[7], timeout=5)
        assert again.status_code == 429 and again.headers["Retry-After"] == "2"
    finally:
        s.stop()


@pytest.mark.parametrize("args, message", [
    (["--auth", "--rate-limit", "read=fast"], "is not N/s, N/m, N/h or off"),
    (["--auth", "--rate-limit", "everything=5/s"], "CLASS one of read, write, promote, admin, predict, open"),
    (["--rate-limit", "read=5/s"], "--rate-limit counts requests per token: it needs auth on"),
])
def test_bad_rate_limits_are_refused(args, message):
    s = SlipwayServer("sqlite")
    result = s.cli("server", "--port", str(s.port), *args, check=False)
    assert result.returncode != 0 and message in result.stderr, result.stderr
