"""Webhooks registered with the unmodified MLflow client receive MLflow's registry events in MLflow's
own payload format and signature, through Slipway's outbox; `test_webhook` behaves as against MLflow."""
import base64
import hashlib
import hmac
import json
import time

import pytest
import requests
from mlflow.entities.webhook import WebhookEvent

from conftest import unique, wait_until
from test_webhook_delivery import Receiver, free_port

SECRET = "mlflow-hook-secret"


def verify(headers, body):
    """MLflow's documented verification (docs: webhooks, 'Verifying webhook signatures')."""
    signed = f"{headers['x-mlflow-delivery-id']}.{headers['x-mlflow-timestamp']}.{body.decode()}"
    expected = base64.b64encode(hmac.new(SECRET.encode(), signed.encode(), hashlib.sha256).digest()).decode()
    return hmac.compare_digest(headers["x-mlflow-signature"], "v1," + expected) and abs(time.time() - int(headers["x-mlflow-timestamp"])) < 300


@pytest.fixture()
def receiver():
    r = Receiver(free_port())
    r.start()
    yield r
    r.stop()


def wait_for(receiver, count, timeout=15):
    """The first `count` requests the receiver got, parsed, once they have arrived."""
    wait_until(lambda: len(receiver.received) >= count, timeout, f"{count} webhook requests")
    return [(json.loads(body), headers, body) for _, headers, body in receiver.received]


def test_registry_events_reach_mlflow_webhooks(client, server, receiver):
    name = unique("hooked")
    hook = client.create_webhook(
        name=unique("ci"), url=receiver.url + "/mlflow", secret=SECRET,
        events=[WebhookEvent("registered_model", "created"), WebhookEvent("model_version", "created"),
                WebhookEvent("model_version_tag", "set"), WebhookEvent("model_version_tag", "deleted"),
                WebhookEvent("model_version_alias", "created"), WebhookEvent("model_version_alias", "deleted")])
    client.create_registered_model(name, tags={"team": "risk"}, description="credit risk")
    run = client.create_run(client.create_experiment(unique("hooks")))
    version = client.create_model_version(name, source=f"runs:/{run.info.run_id}/model", run_id=run.info.run_id, tags={"k": "v"})
    client.set_model_version_tag(name, version.version, "validated", "yes")
    client.delete_model_version_tag(name, version.version, "validated")
    client.set_registered_model_alias(name, "champion", version.version)
    client.delete_registered_model_alias(name, "champion")

    got = wait_for(receiver, 6)
    assert len(got) == 6, [g[0] for g in got]
    for payload, headers, body in got:
        assert verify(headers, body), headers
        assert headers["content-type"] == "application/json"
        assert set(payload) == {"entity", "action", "timestamp", "data"}
        assert payload["timestamp"].endswith("+00:00")
    by_kind = {(p["entity"], p["action"]): p["data"] for p, _, _ in got}
    assert by_kind[("registered_model", "created")] == {"name": name, "tags": {"team": "risk"}, "description": "credit risk"}
    assert by_kind[("model_version", "created")] == {
        "name": name, "version": "1", "source": f"runs:/{run.info.run_id}/model", "run_id": run.info.run_id, "tags": {"k": "v"},
        "description": None}
    assert by_kind[("model_version_tag", "set")] == {"name": name, "version": "1", "key": "validated", "value": "yes"}
    assert by_kind[("model_version_tag", "deleted")] == {"name": name, "version": "1", "key": "validated"}
    assert by_kind[("model_version_alias", "created")] == {"name": name, "alias": "champion", "version": "1"}
    assert by_kind[("model_version_alias", "deleted")] == {"name": name, "alias": "champion"}
    # The same deliveries are in Slipway's delivery log, named as MLflow webhooks', each recorded as delivered.
    def logged():
        return requests.get(f"{server.url}/api/v1/deliveries", params={"webhook_id": hook.webhook_id}).json()["deliveries"]
    wait_until(lambda: {d["status"] for d in logged()} == {"delivered"}, 10, "every delivery recorded as delivered")
    deliveries = logged()
    assert len(deliveries) == 6 and {d["webhook_kind"] for d in deliveries} == {"mlflow"}
    assert {d["status"] for d in deliveries} == {"delivered"}

    # Disabled: nothing more arrives for the next change (checked after a later event that does arrive).
    client.update_webhook(hook.webhook_id, status="DISABLED")
    other = client.create_webhook(name=unique("other"), url=receiver.url + "/other", events=[WebhookEvent("registered_model", "created")], secret=SECRET)
    client.create_registered_model(unique("later"))
    got = wait_for(receiver, 7)
    assert [path for path, _, _ in receiver.received].count("/mlflow") == 6
    assert receiver.received[-1][0] == "/other"
    client.delete_webhook(other.webhook_id)
    client.delete_webhook(hook.webhook_id)


def test_test_webhook_as_against_mlflow(client, receiver):
    hook = client.create_webhook(name=unique("t"), url=receiver.url + "/t", secret=SECRET,
                                 events=[WebhookEvent("model_version", "created"), WebhookEvent("model_version_alias", "created")])
    result = client.test_webhook(hook.webhook_id)
    assert result.success and result.response_status == 200 and result.error_message is None or result.error_message == ""
    payload, headers, body = wait_for(receiver, 1)[0]
    assert verify(headers, body)
    assert payload["entity"] == "model_version" and payload["action"] == "created"
    assert payload["data"] == {"name": "example_model", "version": "1", "source": "models:/123", "run_id": "abcd1234abcd5678",
                               "tags": {"example_key": "example_value"}, "description": "An example model version"}

    aliased = client.test_webhook(hook.webhook_id, event=WebhookEvent("model_version_alias", "created"))
    assert aliased.success
    assert json.loads(receiver.received[-1][2])["data"] == {"name": "example_model", "alias": "example_alias", "version": "1"}

    receiver.status = 500
    failed = client.test_webhook(hook.webhook_id)
    assert not failed.success and failed.response_status == 500

    receiver.stop()
    down = client.test_webhook(hook.webhook_id)
    assert not down.success and down.error_message.startswith("Failed to test webhook")
    client.delete_webhook(hook.webhook_id)
