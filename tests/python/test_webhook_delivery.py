"""Webhook delivery of promotion events: signed like MLflow's webhooks, retried with backoff while the
receiver is down, none lost across a server restart, replayable, and a Slack-shaped payload."""
import base64
import hashlib
import hmac
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from conftest import BACKENDS, SlipwayServer, free_port, use_mlflow, wait_until
from serving_support import log_candidate

SECRET = "s3cret-for-tests"
MODEL = "promo"


class Receiver:
    """A webhook receiver on loopback that can be down (nothing listening) or up (answers `status`)."""

    def __init__(self, port):
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.received = []
        self.status = 200
        self.httpd = None

    def start(self):
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.received.append((self.path, {k.lower(): v for k, v in self.headers.items()}, body))
                self.send_response(receiver.status)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def stop(self):
        if self.httpd:
            self.httpd.shutdown()
            self.httpd.server_close()
            self.httpd = None


def verify(headers, body):
    """The verification MLflow documents for its webhooks."""
    signed = f"{headers['x-mlflow-delivery-id']}.{headers['x-mlflow-timestamp']}.".encode() + body
    expected = base64.b64encode(hmac.new(SECRET.encode(), signed, hashlib.sha256).digest()).decode()
    return headers["x-mlflow-signature"] == "v1," + expected and abs(time.time() - int(headers["x-mlflow-timestamp"])) < 300


@pytest.fixture(params=BACKENDS)
def server(request):
    s = SlipwayServer(request.param, ["--webhook-retry-base-ms", "200"]).start()
    yield s
    s.stop()


def test_deliveries_survive_a_down_receiver_and_a_restart(server):
    use_mlflow(server.url, "webhooks")
    receiver = Receiver(free_port())
    url = server.url
    signed = requests.post(f"{url}/api/v1/webhooks", json={"url": receiver.url + "/events", "events": ["ml.model.*"], "secret": SECRET}).json()
    slack = requests.post(f"{url}/api/v1/webhooks", json={"url": receiver.url + "/slack", "events": ["ml.model.promoted.v1"], "format": "slack"}).json()
    assert signed["signed"] is True and slack["format"] == "slack" and "secret" not in signed
    for body, message in [({"url": "ftp://x", "events": ["*"]}, "http"), ({"url": receiver.url, "events": []}, "at least one"),
                          ({"url": receiver.url, "events": ["ml.model.**"]}, "model.promoted"), ({"url": receiver.url, "events": ["*"], "format": "xml"}, "format")]:
        r = requests.post(f"{url}/api/v1/webhooks", json=body)
        assert r.status_code == 400 and message in r.json()["message"], (body, r.text)

    # The receiver is down: promotions still happen; their deliveries wait and are retried.
    log_candidate(MODEL, 0.40, 1)
    requests.put(f"{url}/api/v1/models/{MODEL}/policy", json={"metric": "test_mae"}).raise_for_status()
    requests.post(f"{url}/api/v1/models/{MODEL}/promote").raise_for_status()
    log_candidate(MODEL, 0.20, 2)
    requests.post(f"{url}/api/v1/models/{MODEL}/promote").raise_for_status()
    events = [e for e in requests.get(f"{url}/api/v1/events").json()["events"] if e["type"].startswith("ml.model.")]
    assert sorted(e["type"] for e in events) == ["ml.model.archived.v1", "ml.model.promoted.v1", "ml.model.promoted.v1"]
    wait_until(lambda: len(ds := requests.get(f"{url}/api/v1/deliveries").json()["deliveries"]) == 5 and all(d["attempts"] >= 2 for d in ds),
               10, "two failed attempts at each of the 5 deliveries")
    pending = requests.get(f"{url}/api/v1/deliveries", params={"status": "pending"}).json()["deliveries"]
    assert len(pending) == 5 and all(d["last_error"] for d in pending)  # 3 events to the signed hook, 2 promotions to Slack

    # A restart in the middle loses nothing; the receiver comes back and everything arrives.
    server.stop()
    server.start()
    receiver.start()
    try:
        wait_until(lambda: len(requests.get(f"{url}/api/v1/deliveries", params={"status": "delivered"}).json()["deliveries"]) == 5, 30, "all 5 delivered")
        by_path = {}
        for path, headers, body in receiver.received:
            by_path.setdefault(path, []).append((headers, body))
        cloud = [json.loads(body) for headers, body in by_path["/events"]]
        assert {e["id"] for e in cloud} == {e["id"] for e in events}  # at least once: every event arrived
        for headers, body in by_path["/events"]:
            assert verify(headers, body), headers
            assert headers["content-type"] == "application/cloudevents+json"
        assert all(e["specversion"] == "1.0" and e["source"] == "/slipway/promotion" for e in cloud)
        texts = sorted(json.loads(body)["text"] for headers, body in by_path["/slack"])
        assert texts == sorted([":rocket: promo v1 promoted to production (test_mae 0.4).",
                                ":rocket: promo v2 promoted to production (test_mae 0.2 vs 0.4), replacing v1."]), texts
        assert all("x-mlflow-signature" not in headers for headers, _ in by_path["/slack"])

        # Replay sends a delivery again, same delivery id; a 500 is recorded and retried.
        first = requests.get(f"{url}/api/v1/deliveries", params={"status": "delivered"}).json()["deliveries"][0]
        receiver.status = 500
        count = len(receiver.received)
        assert requests.post(f"{url}/api/v1/deliveries/{first['id']}/replay").json()["status"] == "pending"
        wait_until(lambda: len(receiver.received) > count, 5, "the replay")
        assert receiver.received[count][1]["x-mlflow-delivery-id"] == first["id"]
        wait_until(lambda: requests.get(f"{url}/api/v1/deliveries", params={"event_id": first["event_id"], "webhook_id": first["webhook_id"]})
                   .json()["deliveries"][0]["last_status_code"] == 500, 5, "the 500 recorded")
        receiver.status = 200
        wait_until(lambda: requests.get(f"{url}/api/v1/deliveries", params={"event_id": first["event_id"], "webhook_id": first["webhook_id"]})
                   .json()["deliveries"][0]["status"] == "delivered", 10, "redelivered after the 500")
        assert requests.post(f"{url}/api/v1/deliveries/nope/replay").status_code == 404
        assert requests.delete(f"{url}/api/v1/webhooks/{slack['id']}").status_code == 200
        assert [w["id"] for w in requests.get(f"{url}/api/v1/webhooks").json()["webhooks"]] == [signed["id"]]
    finally:
        receiver.stop()
