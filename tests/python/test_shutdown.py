"""A server stops promptly on SIGTERM even with `slipway serve` replicas attached: their long polls
on /api/v1/registry/changes end at once on shutdown instead of running out (23 s before)."""
import signal
import time

import pytest
import requests

from conftest import SlipwayReplica, SlipwayServer, wait_until
from serving_support import metric_samples


def feed_requests(url):
    samples = metric_samples(requests.get(f"{url}/metrics", timeout=5).text)
    return sum(v for name, labels, v in samples
               if name == "slipway_http_requests_total" and labels.get("route", "").endswith("registry/changes"))


@pytest.mark.parametrize("replicas", [1, 3])
def test_server_stops_within_two_seconds_with_replicas_attached(replicas):
    server = SlipwayServer("sqlite").start()
    followers = [SlipwayReplica(server.url, ["absent@production"]).start() for _ in range(replicas)]
    try:
        # Each replica's first poll answers at once; its next one is then held open by the server.
        wait_until(lambda: feed_requests(server.url) >= replicas, 15, "every replica to poll the change feed")
        started = time.monotonic()
        server.process.send_signal(signal.SIGTERM)
        server.process.wait(timeout=30)
        stopped = time.monotonic() - started
        assert stopped < 2.0, f"the server took {stopped:.1f} s to stop"
        assert server.process.returncode == 0, server.log_path.read_text()[-2000:]
        for replica in followers:  # the replicas keep running without their registry
            assert requests.get(f"{replica.url}/health", timeout=5).status_code == 200
        started = time.monotonic()
        followers[0].process.send_signal(signal.SIGTERM)
        followers[0].process.wait(timeout=30)
        assert time.monotonic() - started < 2.0, "a replica took too long to stop"
    finally:
        for replica in followers:
            replica.stop()
        server.stop()
