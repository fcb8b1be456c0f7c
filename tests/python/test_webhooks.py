"""MLflow webhook registrations (traces/webhooks.jsonl): create, get, list, update, delete."""
import pytest
import requests
from mlflow.entities.webhook import WebhookEvent
from mlflow.exceptions import MlflowException

from conftest import unique


def test_webhook_crud(client, server):
    name = unique("anchors-hook")
    events = [WebhookEvent("model_version", "created"), WebhookEvent("model_version_alias", "created")]
    hook = client.create_webhook(name=name, url="https://127.0.0.1:9/mlflow-hook", events=events,
                                 description="trace only", secret="s3cr3t", status="DISABLED")
    assert hook.name == name and str(hook.status).endswith("DISABLED")
    fetched = client.get_webhook(hook.webhook_id)
    assert fetched.url == "https://127.0.0.1:9/mlflow-hook"
    assert {(str(e.entity), str(e.action)) for e in fetched.events} == {(str(e.entity), str(e.action)) for e in events}
    assert hook.webhook_id in [w.webhook_id for w in client.list_webhooks()]
    updated = client.update_webhook(hook.webhook_id, description="updated")
    assert updated.description == "updated"
    raw = requests.get(f"{server.url}/api/2.0/mlflow/webhooks/{hook.webhook_id}", timeout=10).json()
    assert "secret" not in raw["webhook"]
    client.delete_webhook(hook.webhook_id)
    with pytest.raises(MlflowException) as err:
        client.get_webhook(hook.webhook_id)
    assert err.value.error_code == "RESOURCE_DOES_NOT_EXIST"


def test_bad_webhooks_are_rejected(server):
    url = f"{server.url}/api/2.0/mlflow/webhooks"
    for body in [{"name": "x", "url": "not-a-url", "events": [{"entity": "MODEL_VERSION", "action": "CREATED"}]},
                 {"name": "x", "url": "http://127.0.0.1/h", "events": []},
                 {"name": "x", "url": "http://127.0.0.1/h", "events": [{"entity": "RUN", "action": "CREATED"}]},
                 {"url": "http://127.0.0.1/h", "events": [{"entity": "MODEL_VERSION", "action": "CREATED"}]}]:
        response = requests.post(url, json=body, timeout=10)
        assert response.status_code == 400, body
        assert response.json()["error_code"] == "INVALID_PARAMETER_VALUE"
