"""Servers sharing a PostgreSQL database hear each other's changes at once (LISTEN/NOTIFY): a flip
made through one server is served by a replica of the other within a second, though the replica
polls only once a minute; a listening connection cut again and again misses nothing (each
reconnection reads the changes numbered after the last one seen); a token revoked through one
server stops working on the other at once, though tokens are kept for a while."""
import contextlib
import statistics
import subprocess
import tempfile
import threading
import time

import pytest
import requests

from conftest import BACKENDS, SlipwayReplica, SlipwayServer, use_mlflow, wait_until
from serving_support import log_version, train, wait_for_version


def servers(*extra):
    """Two servers on one PostgreSQL database and one artifact store (a shared directory)."""
    if "postgres" not in BACKENDS:
        pytest.skip("needs PostgreSQL")
    shared = ["--artifacts-destination", tempfile.mkdtemp(prefix="slipway-shared-artifacts-"), *extra]
    first = SlipwayServer("postgres", shared).start()
    second = SlipwayServer("postgres", shared)
    second.database_url = first.database_url
    return first, second.start()


@pytest.fixture()
def pair():
    first, second = servers()
    yield first, second
    second.stop()
    first.stop()


def sql(url, statement):
    """The rows `statement` returns, as lines of text."""
    result = subprocess.run(["psql", url, "-At", "-c", statement], capture_output=True, text=True, timeout=30)
    return [line for line in result.stdout.splitlines() if line]


def flips(client, replica, name, a, b, count, limit):
    latencies = []
    for i in range(count):
        target = b if i % 2 == 0 else a
        client.set_registered_model_alias(name, "production", target)
        latencies.append(wait_for_version(replica.url, target, name=name, limit=limit))
    return latencies


@contextlib.contextmanager
def following(first, second, experiment, name, seeds):
    """Two versions of `name` logged through the second server, production on the first, and a
    replica of the first server that re-reads aliases only once a minute (so only the change feed
    is quick); yields (client, replica, a, b)."""
    from mlflow import MlflowClient
    use_mlflow(second.url, experiment)
    client = MlflowClient()
    a, b = (log_version(name, train(seed)) for seed in seeds)
    client.set_registered_model_alias(name, "production", a)
    replica = SlipwayReplica(first.url, [f"{name}@production"], ["--poll-ms", "60000"]).start()
    try:
        wait_for_version(replica.url, a, name=name, limit=10)
        yield client, replica, a, b
    finally:
        replica.stop()


def test_a_flip_through_one_server_reaches_a_replica_of_the_other_within_a_second(pair):
    first, second = pair
    with following(first, second, "propagation", "propagated", (1, 2)) as (client, replica, a, b):
        latencies = flips(client, replica, "propagated", a, b, 20, 1.0)
        print(f"\nflip through the second server -> served by the first's replica, ms: median {statistics.median(latencies) * 1000:.0f}, "
              f"max {max(latencies) * 1000:.0f}")


def test_changes_announced_while_the_listener_reconnects_are_not_missed(pair):
    first, second = pair
    name = "cut-listener"
    stop = threading.Event()
    cuts = []
    listening = "FROM pg_stat_activity WHERE query LIKE 'LISTEN%' AND pid <> pg_backend_pid()"

    def cut():
        # Ends every listening connection (both servers') as soon as one is back: flips land while they are away.
        while not stop.is_set():
            wait_until(lambda: stop.is_set() or sql(first.database_url, f"SELECT count(*) {listening}") != ["0"], 10, "a listener to reconnect")
            cuts.extend(sql(first.database_url, f"SELECT pg_terminate_backend(pid) {listening}"))
    cutter = threading.Thread(target=cut)
    with following(first, second, "propagation-cuts", name, (3, 4)) as (client, replica, a, b):
        cutter.start()
        try:
            latencies = flips(client, replica, name, a, b, 20, 3.0)
        finally:
            stop.set()
            cutter.join()
        assert len(cuts) >= 10, "the listening connections were not cut"
        print(f"\n{len(cuts)} listening connections cut during 20 flips; flip -> served ms: median {statistics.median(latencies) * 1000:.0f}, "
              f"max {max(latencies) * 1000:.0f}")
        # Listening again afterwards: a flip is quick again.
        assert max(flips(client, replica, name, a, b, 4, 1.0)) < 1.0


def test_a_token_revoked_through_one_server_is_refused_by_the_other_at_once():
    first, second = servers("--auth")
    try:
        first.cli("users", "add", "reader")
        token = first.cli("tokens", "create", "short", "--user", "reader", "--scope", "read").stdout.strip()
        reader = {"Authorization": f"Bearer {token}"}
        # The second server now keeps this token for a while (2 s by default).
        assert requests.get(f"{second.url}/api/2.0/mlflow/experiments/search", params={"max_results": 1}, headers=reader, timeout=10).status_code == 200
        first.cli("tokens", "revoke", token)
        started = time.monotonic()
        wait_until(lambda: requests.get(f"{second.url}/api/2.0/mlflow/experiments/search", params={"max_results": 1}, headers=reader,
                                        timeout=10).status_code == 401, 1.0, "the second server to refuse the revoked token")
        print(f"\nrevoked through the first server, refused by the second after {(time.monotonic() - started) * 1000:.0f} ms")
    finally:
        second.stop()
        first.stop()
