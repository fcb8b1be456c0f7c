"""Per-model and per-experiment permissions in MLflow's vocabulary on a server with auth: a model's creator gets
MANAGE; MANAGE grants others READ, EDIT, MANAGE or NO_PERMISSIONS through MLflow's auth API (the
classic registered-models/permissions routes and 3.x's users/permissions routes); NO_PERMISSIONS
hides the model from searches and refuses it everywhere (MLflow's API, /api/v1, the dashboard);
READ lets look, EDIT change, MANAGE delete; grants follow a rename and go with a deletion;
--default-permission READ gives MLflow's default."""
import pytest
import requests

from conftest import BACKENDS, SlipwayServer, unique
from test_auth import TOKEN, token

API = "/api/2.0/mlflow"


@pytest.fixture(scope="module", params=BACKENDS)
def server(request):
    s = SlipwayServer(request.param, extra_args=["--auth"]).start()
    yield s
    s.stop()


class As:
    """Requests as one token's user."""

    def __init__(self, server, text):
        self.url, self.headers = server.url, {"Authorization": f"Bearer {text}"}

    def call(self, method, path, **kwargs):
        return requests.request(method, self.url + path, headers=self.headers, timeout=10, **kwargs)

    def mlflow(self, method, path, body=None):
        if method == "GET":
            return self.call(method, API + path, params=body)
        return self.call(method, API + path, json=body or {})


def names(client, path="/registered-models/search", key="registered_models"):
    r = client.mlflow("GET", path, {"max_results": 1000} if "registered" in path else None)
    assert r.status_code == 200, r.text
    return {m["name"] for m in r.json().get(key, [])}


def test_hide_protect_share_rename_delete(server):
    alice = As(server, token(server, unique("alice"), "write", "promote"))
    bob_name = unique("bob")
    bob = As(server, token(server, bob_name, "write", "promote"))
    admin = As(server, TOKEN.findall(server.log_path.read_text())[0])
    model = unique("private")
    assert alice.mlflow("POST", "/registered-models/create", {"name": model}).status_code == 200
    run = alice.mlflow("POST", "/runs/create", {"experiment_id": "0"}).json()["run"]["info"]["run_id"]
    version = alice.mlflow("POST", "/model-versions/create", {"name": model, "source": f"runs:/{run}/model", "run_id": run})
    assert version.status_code == 200, version.text
    alice_name = alice.call("GET", "/api/3.0/mlflow/users/current/permissions").json()
    assert {"resource_type": "registered_model", "resource_pattern": model, "permission": "MANAGE"}.items() <= alice_name["permissions"][0].items()

    # With no grant of his own, bob has the default (MANAGE: the scopes decide).
    assert model in names(bob)
    # Alice hides it from bob (classic route).
    r = alice.mlflow("POST", "/registered-models/permissions/create", {"name": model, "username": bob_name, "permission": "NO_PERMISSIONS"})
    assert r.status_code == 200 and r.json()["registered_model_permission"]["permission"] == "NO_PERMISSIONS", r.text
    assert model not in names(bob) and model in names(alice)
    assert model not in {v["name"] for v in bob.mlflow("GET", "/model-versions/search", {"filter": f"name='{model}'"}).json().get("model_versions", [])}
    for method, path, body in [("GET", "/registered-models/get", {"name": model}), ("GET", "/model-versions/get", {"name": model, "version": "1"}),
                               ("POST", "/registered-models/set-tag", {"name": model, "key": "k", "value": "v"}),
                               ("POST", "/model-versions/create", {"name": model, "source": f"runs:/{run}/model"}),
                               ("DELETE", "/registered-models/delete", {"name": model})]:
        refused = bob.mlflow(method, path, body)
        assert refused.status_code == 403 and refused.json()["error_code"] == "PERMISSION_DENIED", (path, refused.text)
    # A one-item list in place of the name is the name (as the handlers read it), and checked as such.
    for method, path, body in [("DELETE", "/registered-models/delete", {"name": [model]}),
                               ("POST", "/registered-models/get-latest-versions", {"name": [model]}),
                               ("POST", "/registered-models/rename", {"name": [model], "new_name": unique("free")})]:
        refused = bob.mlflow(method, path, body)
        assert refused.status_code == 403, (path, refused.text)
    for method, path in [("GET", f"/api/v1/models/{model}/decisions"), ("GET", f"/ui/models/{model}"), ("PUT", f"/api/v1/models/{model}/policy"),
                         ("POST", f"/api/v1/models/{model}/rollback")]:
        assert bob.call(method, path, json={"metric": "mae"}).status_code == 403, path
    assert alice.call("GET", f"/api/v1/models/{model}/decisions").status_code == 200
    # The same through the MLflow client.
    from mlflow import MlflowClient
    from mlflow.exceptions import MlflowException
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MLFLOW_TRACKING_TOKEN", bob.headers["Authorization"].split()[1])
        client = MlflowClient(server.url, server.url)
        assert model not in {m.name for m in client.search_registered_models(max_results=1000)}
        with pytest.raises(MlflowException, match="PERMISSION_DENIED"):
            client.get_registered_model(model)
        with pytest.raises(MlflowException, match="PERMISSION_DENIED"):
            client.set_registered_model_alias(model, "production", "1")
    # Nor does the overview name it to him.
    assert model not in {m["name"] for m in bob.call("GET", "/api/v1/overview").json()["models"]}
    assert model not in bob.call("GET", "/").text and model in alice.call("GET", "/").text

    # READ: bob looks but does not change.
    r = alice.mlflow("PATCH", "/registered-models/permissions/update", {"name": model, "username": bob_name, "permission": "READ"})
    assert r.status_code == 200, r.text
    assert model in names(bob) and bob.mlflow("GET", "/registered-models/get", {"name": model}).status_code == 200
    assert bob.mlflow("POST", "/registered-models/set-tag", {"name": model, "key": "k", "value": "v"}).status_code == 403
    assert bob.mlflow("POST", "/registered-models/alias", {"name": model, "alias": "candidate", "version": "1"}).status_code == 403
    # He cannot raise himself: managing grants needs MANAGE.
    r = bob.mlflow("PATCH", "/registered-models/permissions/update", {"name": model, "username": bob_name, "permission": "MANAGE"})
    assert r.status_code == 403, r.text

    # EDIT (3.x route): bob changes, but does not delete.
    r = alice.call("POST", "/api/3.0/mlflow/users/permissions/revoke", json={"username": bob_name, "resource_type": "registered_model", "resource_id": model})
    assert r.status_code == 200, r.text
    r = alice.call("POST", "/api/3.0/mlflow/users/permissions/grant",
                   json={"username": bob_name, "resource_type": "registered_model", "resource_id": model, "permission": "EDIT"})
    assert r.status_code == 200, r.text
    assert bob.mlflow("POST", "/registered-models/set-tag", {"name": model, "key": "k", "value": "v"}).status_code == 200
    assert bob.mlflow("POST", "/registered-models/alias", {"name": model, "alias": "candidate", "version": "1"}).status_code == 200
    assert bob.mlflow("DELETE", "/registered-models/delete", {"name": model}).status_code == 403
    got = bob.call("GET", "/api/3.0/mlflow/users/permissions/get", params={"username": bob_name, "resource_type": "registered_model", "resource_id": model})
    assert got.json() == {"allowed": True, "permission": "EDIT"}, got.text
    listed = admin.call("GET", "/api/3.0/mlflow/users/permissions/list", params={"username": bob_name}).json()
    assert listed["is_admin"] is False and [(p["resource_pattern"], p["permission"]) for p in listed["permissions"]] == [(model, "EDIT")]
    assert bob.call("GET", "/api/3.0/mlflow/users/permissions/list", params={"username": "someone-else"}).status_code == 403

    # The grants follow a rename and go with a deletion.
    renamed = model + "-renamed"
    assert alice.mlflow("POST", "/registered-models/rename", {"name": model, "new_name": renamed}).status_code == 200
    got = alice.mlflow("GET", "/registered-models/permissions/get", {"name": renamed, "username": bob_name})
    assert got.status_code == 200 and got.json()["registered_model_permission"]["permission"] == "EDIT", got.text
    assert alice.mlflow("DELETE", "/registered-models/delete", {"name": renamed}).status_code == 200
    assert alice.mlflow("GET", "/registered-models/permissions/get", {"name": renamed, "username": bob_name}).status_code in (403, 404)
    assert admin.mlflow("GET", "/registered-models/permissions/get", {"name": renamed, "username": bob_name}).status_code == 404


def test_mistakes_are_mlflow_errors(server):
    admin = As(server, TOKEN.findall(server.log_path.read_text())[0])
    model, user = unique("m"), unique("u")
    token(server, user, "read")
    admin.mlflow("POST", "/registered-models/create", {"name": model})
    bad = admin.mlflow("POST", "/registered-models/permissions/create", {"name": model, "username": user, "permission": "OWNER"})
    assert bad.status_code == 400 and "Invalid permission 'OWNER'. Valid permissions are: ('NO_PERMISSIONS', 'READ', 'EDIT', 'MANAGE')" in bad.json()["message"]
    assert admin.mlflow("POST", "/registered-models/permissions/create", {"name": model, "username": "nobody-at-all", "permission": "READ"}).status_code == 404
    assert admin.mlflow("POST", "/registered-models/permissions/create", {"name": model, "username": user, "permission": "READ"}).status_code == 200
    again = admin.mlflow("POST", "/registered-models/permissions/create", {"name": model, "username": user, "permission": "READ"})
    assert again.status_code == 400 and again.json()["error_code"] == "RESOURCE_ALREADY_EXISTS"
    assert admin.mlflow("POST", "/registered-models/permissions/create", {"name": model, "permission": "READ"}).status_code == 400
    wrong_type = admin.call("POST", "/api/3.0/mlflow/users/permissions/grant",
                            json={"username": user, "resource_type": "prompt", "resource_id": "p", "permission": "READ"})
    assert wrong_type.status_code == 400 and "registered_model" in wrong_type.json()["message"]
    assert admin.mlflow("DELETE", "/registered-models/permissions/delete", {"name": model, "username": unique("x")}).status_code == 404
    # Grants are for resources that exist: none waits for a model or an experiment to come.
    ahead = admin.mlflow("POST", "/registered-models/permissions/create", {"name": unique("later"), "username": user, "permission": "READ"})
    assert ahead.status_code == 404 and "granted on existing resources" in ahead.json()["message"]
    assert admin.mlflow("POST", "/experiments/permissions/create", {"experiment_id": "987654", "username": user, "permission": "READ"}).status_code == 404
    # Removing a user removes their grants: a user of the same name added later starts without them.
    server.cli("users", "remove", user)
    server.cli("users", "add", user)
    assert admin.mlflow("GET", "/registered-models/permissions/get", {"name": model, "username": user}).status_code == 404


def test_mlflows_default_permission_read():
    s = SlipwayServer("sqlite", extra_args=["--auth", "--default-permission", "READ"]).start()
    try:
        alice, bob = As(s, token(s, unique("alice"), "write")), As(s, token(s, unique("bob"), "write"))
        model, own = unique("shared"), unique("own")
        alice.mlflow("POST", "/registered-models/create", {"name": model}).raise_for_status()
        assert bob.mlflow("GET", "/registered-models/get", {"name": model}).status_code == 200
        assert bob.mlflow("POST", "/registered-models/set-tag", {"name": model, "key": "k", "value": "v"}).status_code == 403
        bob.mlflow("POST", "/registered-models/create", {"name": own}).raise_for_status()
        assert bob.mlflow("POST", "/registered-models/set-tag", {"name": own, "key": "k", "value": "v"}).status_code == 200
    finally:
        s.stop()
    bad = SlipwayServer("sqlite").cli("server", "--auth", "--default-permission", "OWNER", check=False)
    assert bad.returncode != 0 and "Invalid permission 'OWNER'" in bad.stderr


def test_experiments_and_their_runs(server):
    alice = As(server, token(server, unique("alice"), "write"))
    bob_name = unique("bob")
    bob = As(server, token(server, bob_name, "write"))
    experiment = alice.mlflow("POST", "/experiments/create", {"name": unique("secret")}).json()["experiment_id"]
    run = alice.mlflow("POST", "/runs/create", {"experiment_id": experiment}).json()["run"]["info"]
    run_id = run["run_id"]
    assert alice.mlflow("POST", "/runs/log-metric", {"run_id": run_id, "key": "loss", "value": 0.5, "timestamp": 1, "step": 0}).status_code == 200
    logged = alice.mlflow("POST", "/logged-models", {"experiment_id": experiment, "name": "m"})
    assert logged.status_code == 200, logged.text
    logged_id = logged.json()["model"]["info"]["model_id"]
    artifact = f"/api/2.0/mlflow-artifacts/artifacts/{experiment}/{run_id}/artifacts/notes.txt"
    assert alice.call("PUT", artifact, data=b"private").status_code == 200

    def experiments(client):
        return {e["experiment_id"] for e in client.mlflow("POST", "/experiments/search", {"max_results": 1000}).json().get("experiments", [])}

    assert experiment in experiments(bob)
    r = alice.mlflow("POST", "/experiments/permissions/create", {"experiment_id": experiment, "username": bob_name, "permission": "NO_PERMISSIONS"})
    assert r.status_code == 200 and r.json()["experiment_permission"]["experiment_id"] == experiment, r.text
    assert experiment not in experiments(bob) and experiment in experiments(alice)
    refusals = [("GET", "/experiments/get", {"experiment_id": experiment}), ("GET", "/runs/get", {"run_id": run_id}),
                ("GET", "/metrics/get-history", {"run_id": run_id, "metric_key": "loss"}),
                ("POST", "/runs/search", {"experiment_ids": [experiment]}),
                ("POST", "/runs/log-metric", {"run_id": run_id, "key": "loss", "value": 9, "timestamp": 2, "step": 1}),
                ("POST", "/runs/create", {"experiment_id": experiment})]
    for method, path, body in refusals:
        refused = bob.mlflow(method, path, body)
        assert refused.status_code == 403 and refused.json()["error_code"] == "PERMISSION_DENIED", (path, refused.text)
    for method, path in [("GET", artifact), ("GET", f"{API}/logged-models/{logged_id}"), ("PATCH", f"{API}/logged-models/{logged_id}"),
                         ("GET", f"/ui/experiments/{experiment}"), ("GET", f"/api/v1/runs/{run_id}/page"),
                         ("GET", f"/api/v1/runs/compare?runs={run_id}"), ("GET", f"/api/v1/experiments/{experiment}/table")]:
        assert bob.call(method, path).status_code == 403, path
    assert experiment not in {e["id"] for e in bob.call("GET", "/api/v1/experiments/overview").json()["experiments"]}
    # Other spellings of the same ids and paths are the same experiment.
    for method, path, body in [("GET", "/experiments/get", {"experiment_id": "0" + experiment}), ("GET", "/experiments/get", {"experiment_id": "+" + experiment}),
                               ("POST", "/runs/search", {"experiment_ids": experiment}), ("POST", "/runs/log-metric",
                               {"run_id": [run_id], "key": "loss", "value": 9, "timestamp": 2, "step": 1}),
                               ("POST", "/experiments/delete", {"experiment_id": [experiment]})]:
        assert bob.mlflow(method, path, body).status_code == 403, (path, body)
    listing = bob.call("GET", "/api/2.0/mlflow-artifacts/artifacts", params={"path": f"{experiment}/{run_id}/artifacts"})
    assert listing.status_code == 403, listing.text
    import http.client
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    connection.request("GET", f"/api/2.0/mlflow-artifacts/artifacts/{experiment}%2F{run_id}%2Fartifacts%2Fnotes.txt", headers=bob.headers)
    assert connection.getresponse().status == 403
    connection.close()
    # A version of his own model may not point at the hidden run.
    own = unique("own")
    assert bob.mlflow("POST", "/registered-models/create", {"name": own}).status_code == 200
    for body in [{"name": own, "source": f"runs:/{run_id}/model", "run_id": run_id}, {"name": own, "source": f"runs:/{run_id}/model"},
                 {"name": own, "source": f"mlflow-artifacts:/{experiment}/{run_id}/artifacts/model"}]:
        assert bob.mlflow("POST", "/model-versions/create", body).status_code == 403, body
    # Nor may he start runs in an experiment hidden from him by leaving its id out (the Default experiment then).
    alice.mlflow("POST", "/experiments/permissions/create", {"experiment_id": "0", "username": bob_name, "permission": "READ"}).raise_for_status()
    assert bob.mlflow("POST", "/runs/create", {}).status_code == 403

    # READ: bob reads the runs and their files, but logs nothing.
    alice.mlflow("PATCH", "/experiments/permissions/update", {"experiment_id": experiment, "username": bob_name, "permission": "READ"}).raise_for_status()
    assert bob.mlflow("GET", "/runs/get", {"run_id": run_id}).status_code == 200
    assert bob.call("GET", artifact).content == b"private"
    assert bob.call("GET", f"{API}/logged-models/{logged_id}").status_code == 200
    assert bob.call("PATCH", f"{API}/logged-models/{logged_id}/tags", json={"tags": [{"key": "k", "value": "v"}]}).status_code == 403
    assert bob.mlflow("POST", "/runs/log-metric", {"run_id": run_id, "key": "loss", "value": 9, "timestamp": 2, "step": 1}).status_code == 403
    assert bob.call("PUT", artifact, data=b"overwritten").status_code == 403
    # EDIT: he logs, but does not delete.
    r = alice.call("POST", "/api/3.0/mlflow/users/permissions/revoke", json={"username": bob_name, "resource_type": "experiment", "resource_id": experiment})
    assert r.status_code == 200, r.text
    alice.call("POST", "/api/3.0/mlflow/users/permissions/grant",
               json={"username": bob_name, "resource_type": "experiment", "resource_id": experiment, "permission": "EDIT"}).raise_for_status()
    assert bob.mlflow("POST", "/runs/log-metric", {"run_id": run_id, "key": "loss", "value": 0.4, "timestamp": 3, "step": 2}).status_code == 200
    assert bob.mlflow("POST", "/runs/delete", {"run_id": run_id}).status_code == 403
    assert bob.call("DELETE", artifact).status_code == 403
    assert alice.mlflow("POST", "/runs/delete", {"run_id": run_id}).status_code == 200


def test_monitor_rules_belong_to_their_model(server):
    owner = unique("owner")
    writer, promoter = As(server, token(server, owner, "write")), As(server, token(server, owner, "write", "promote"))
    bob_name = unique("bob")
    bob = As(server, token(server, bob_name, "write", "promote"))
    model, rule = unique("watched"), unique("rule")
    writer.mlflow("POST", "/registered-models/create", {"name": model}).raise_for_status()
    body = {"model": model, "metric": "rmse", "max": 1.0, "on_breach": "rollback"}
    refused = writer.call("PUT", f"/api/v1/monitor/rules/{rule}", json=body)
    assert refused.status_code == 403 and "needs the promote scope" in refused.json()["message"], refused.text
    assert promoter.call("PUT", f"/api/v1/monitor/rules/{rule}", json=body).status_code == 200
    assert rule in {r["name"] for r in bob.call("GET", "/api/v1/monitor/rules").json()["rules"]}
    writer.mlflow("POST", "/registered-models/permissions/create", {"name": model, "username": bob_name, "permission": "NO_PERMISSIONS"}).raise_for_status()
    assert rule not in {r["name"] for r in bob.call("GET", "/api/v1/monitor/rules").json()["rules"]}
    for method, path in [("GET", f"/api/v1/monitor/rules/{rule}"), ("DELETE", f"/api/v1/monitor/rules/{rule}"),
                         ("POST", f"/api/v1/monitor/rules/{rule}/check"), ("PUT", f"/api/v1/monitor/rules/{rule}")]:
        assert bob.call(method, path, json={**body, "on_breach": "notify"}).status_code == 403, path
    assert promoter.call("GET", f"/api/v1/monitor/rules/{rule}").status_code == 200


def test_lists_and_reports_about_a_hidden_model(server):
    """Every list that names models leaves out the hidden one, and what a replica reports about it needs EDIT."""
    owner = unique("owner")
    alice = As(server, token(server, owner, "write", "promote"))
    bob_name = unique("bob")
    bob = As(server, token(server, bob_name, "write", "promote"))
    admin = As(server, TOKEN.findall(server.log_path.read_text())[0])
    model, job = unique("hidden"), unique("job")
    alice.mlflow("POST", "/registered-models/create", {"name": model}).raise_for_status()
    run = alice.mlflow("POST", "/runs/create", {"experiment_id": "0"}).json()["run"]["info"]["run_id"]
    alice.mlflow("POST", "/model-versions/create", {"name": model, "source": f"runs:/{run}/model", "run_id": run}).raise_for_status()
    alice.call("PUT", f"/api/v1/models/{model}/policy", json={"metric": "rmse"}).raise_for_status()
    admin.call("POST", "/api/v1/jobs", json={"name": job, "kind": "promote", "model": model, "schedule": "0 2 * * *"}).raise_for_status()

    def listed(client):
        events = client.call("GET", "/api/v1/events", params={"max_results": 1000}).json()["events"]
        return {
            "jobs": job in {j["name"] for j in client.call("GET", "/api/v1/jobs").json()["jobs"]},
            "jobs overview": job in {j["name"] for j in client.call("GET", "/api/v1/jobs/overview").json()["jobs"]},
            "jobs page": job in client.call("GET", "/ui/jobs").text,
            "events": any(e["subject"].startswith(f"models/{model}") for e in events),
            "policies": model in {p["model"] for p in client.call("GET", "/api/v1/policies").json()["policies"]},
        }

    assert all(listed(bob).values()), listed(bob)
    assert bob.call("GET", f"/api/v1/jobs/{job}/runs").status_code == 200
    alice.mlflow("POST", "/registered-models/permissions/create", {"name": model, "username": bob_name, "permission": "NO_PERMISSIONS"}).raise_for_status()
    assert not any(listed(bob).values()), listed(bob)
    assert all(listed(alice).values()), listed(alice)
    assert bob.call("GET", f"/api/v1/jobs/{job}/runs").status_code == 403

    entry = {"request_id": unique("r"), "model": model, "version": 1, "served_at": 1, "features": [1.0], "feature_count": 1,
             "outputs": [2.0], "outputs_per_row": 1, "latency_us": 5, "status": 200, "error": None, "source": "replica"}
    refused = bob.call("POST", "/api/v1/prediction-log", json={"entries": [entry]})
    assert refused.status_code == 403 and refused.json()["error_code"] == "PERMISSION_DENIED", refused.text
    assert bob.call("GET", f"/api/v1/models/{model}/predictions").status_code == 403
    assert alice.call("POST", "/api/v1/prediction-log", json={"entries": [entry]}).status_code == 200
    event = {"specversion": "1.0", "id": unique("e"), "type": "ml.serving.swapped.v1", "source": "/replica", "subject": f"models/{model}/versions/1",
             "data": {"version": "1"}}
    assert bob.call("POST", "/api/v1/events", json=event).status_code == 403
    assert alice.call("POST", "/api/v1/events", json=event).status_code == 201


def test_names_are_read_decoded_everywhere(server):
    """A model's name in a path is read decoded by the check and by the route alike: `%25` is a percent sign."""
    owner = unique("owner")
    alice = As(server, token(server, owner, "write", "promote"))
    bob_name = unique("bob")
    bob = As(server, token(server, bob_name, "write", "promote"))
    spaced, percent = unique("churn v"), unique("p%41q")
    for name in (spaced, percent):
        alice.mlflow("POST", "/registered-models/create", {"name": name}).raise_for_status()
    assert alice.call("PUT", f"/api/v1/models/{spaced.replace(' ', '%20')}/policy", json={"metric": "rmse"}).status_code == 200
    assert alice.call("GET", f"/api/v1/models/{spaced.replace(' ', '%20')}/policy").json()["model"] == spaced
    alice.mlflow("POST", "/registered-models/permissions/create", {"name": percent, "username": bob_name, "permission": "NO_PERMISSIONS"}).raise_for_status()
    assert bob.call("PUT", f"/api/v1/models/{percent.replace('%', '%25')}/policy", json={"metric": "rmse"}).status_code == 403
    assert alice.call("PUT", f"/api/v1/models/{percent.replace('%', '%25')}/policy", json={"metric": "rmse"}).status_code == 200
    assert percent in {p["model"] for p in alice.call("GET", "/api/v1/policies").json()["policies"]}
    # Two spellings of one accented name are two models to the store, and to the permissions too.
    import unicodedata
    composed = unique("caf\u00e9")
    decomposed = unicodedata.normalize("NFD", composed)
    assert composed != decomposed
    alice.mlflow("POST", "/registered-models/create", {"name": composed}).raise_for_status()
    alice.mlflow("POST", "/registered-models/permissions/create", {"name": composed, "username": bob_name, "permission": "NO_PERMISSIONS"}).raise_for_status()
    bob.mlflow("POST", "/registered-models/create", {"name": decomposed}).raise_for_status()
    assert bob.mlflow("GET", "/registered-models/get", {"name": decomposed}).status_code == 200
    assert bob.mlflow("GET", "/registered-models/get", {"name": composed}).status_code == 403
    assert composed not in names(bob) and decomposed in names(bob)


def test_artifacts_belong_to_the_experiment_whose_folder_holds_them(server):
    """An experiment created with its own artifact_location owns that folder: the proxy checks its
    permissions there, and no other experiment may claim the folder, one above or below it, or a number's."""
    owner = unique("owner")
    alice = As(server, token(server, owner, "write"))
    bob_name = unique("bob")
    bob = As(server, token(server, bob_name, "write"))
    folder = unique("team")
    created = alice.mlflow("POST", "/experiments/create", {"name": unique("custom"), "artifact_location": f"mlflow-artifacts:/{folder}/models"})
    assert created.status_code == 200, created.text
    experiment = created.json()["experiment_id"]
    run = alice.mlflow("POST", "/runs/create", {"experiment_id": experiment}).json()["run"]["info"]
    assert run["artifact_uri"].startswith(f"mlflow-artifacts:/{folder}/models/")
    path = f"/api/2.0/mlflow-artifacts/artifacts/{folder}/models/{run['run_id']}/artifacts/weights.bin"
    assert alice.call("PUT", path, data=b"secret").status_code == 200
    assert bob.call("GET", path).content == b"secret"
    alice.mlflow("POST", "/experiments/permissions/create", {"experiment_id": experiment, "username": bob_name, "permission": "NO_PERMISSIONS"}).raise_for_status()
    assert bob.call("GET", path).status_code == 403
    assert bob.call("PUT", path, data=b"overwritten").status_code == 403
    assert bob.call("GET", "/api/2.0/mlflow-artifacts/artifacts", params={"path": f"{folder}/models"}).status_code == 403
    assert alice.call("GET", path).content == b"secret"
    # A model version of bob's may not take its files from there either.
    own = unique("own")
    bob.mlflow("POST", "/registered-models/create", {"name": own}).raise_for_status()
    source = f"mlflow-artifacts:/{folder}/models/{run['run_id']}/artifacts"
    assert bob.mlflow("POST", "/model-versions/create", {"name": own, "source": source}).status_code == 403
    # Nobody may claim the folder, or one above or below it, or a number's.
    for location in [f"mlflow-artifacts:/{folder}/models", f"mlflow-artifacts:/{folder}", f"mlflow-artifacts:/{folder}/models/deeper",
                     f"mlflow-artifacts:/{experiment}/mine", "mlflow-artifacts:/"]:
        refused = bob.mlflow("POST", "/experiments/create", {"name": unique("claim"), "artifact_location": location})
        assert refused.status_code == 400 and refused.json()["error_code"] == "INVALID_PARAMETER_VALUE", (location, refused.text)
    assert bob.mlflow("POST", "/experiments/create", {"name": unique("next"), "artifact_location": f"mlflow-artifacts:/{folder}-b"}).status_code == 200


def test_logged_models_named_by_a_run_are_checked(server):
    """Metrics, inputs and outputs of a run that name a logged model need that model's experiment too."""
    alice = As(server, token(server, unique("alice"), "write"))
    bob_name = unique("bob")
    bob = As(server, token(server, bob_name, "write"))
    experiment = alice.mlflow("POST", "/experiments/create", {"name": unique("private")}).json()["experiment_id"]
    model_id = alice.mlflow("POST", "/logged-models", {"experiment_id": experiment, "name": "m"}).json()["model"]["info"]["model_id"]
    alice.mlflow("POST", "/experiments/permissions/create", {"experiment_id": experiment, "username": bob_name, "permission": "READ"}).raise_for_status()
    mine = bob.mlflow("POST", "/experiments/create", {"name": unique("mine")}).json()["experiment_id"]
    run = bob.mlflow("POST", "/runs/create", {"experiment_id": mine}).json()["run"]["info"]["run_id"]
    metric = {"key": "acc", "value": 0.9, "timestamp": 1, "step": 0, "model_id": model_id}
    for path, body in [("/runs/log-metric", {"run_id": run, **metric}), ("/runs/log-batch", {"run_id": run, "metrics": [metric]}),
                       ("/runs/outputs", {"run_id": run, "models": [{"model_id": model_id, "step": 0}]})]:
        refused = bob.mlflow("POST", path, body)
        assert refused.status_code == 403 and refused.json()["error_code"] == "PERMISSION_DENIED", (path, refused.text)
    # Reading it is enough to name it as an input; a version's source or model_id needs READ too.
    assert bob.mlflow("POST", "/runs/log-inputs", {"run_id": run, "models": [{"model_id": model_id}]}).status_code == 200
    alice.mlflow("PATCH", "/experiments/permissions/update", {"experiment_id": experiment, "username": bob_name, "permission": "NO_PERMISSIONS"}).raise_for_status()
    assert bob.mlflow("POST", "/runs/log-inputs", {"run_id": run, "models": [{"model_id": model_id}]}).status_code == 403
    own = unique("own")
    bob.mlflow("POST", "/registered-models/create", {"name": own}).raise_for_status()
    assert bob.mlflow("POST", "/model-versions/create", {"name": own, "source": f"models:/{model_id}"}).status_code == 403
    assert bob.mlflow("POST", "/model-versions/create", {"name": own, "source": "x", "model_id": model_id}).status_code == 403
    assert bob.mlflow("POST", "/runs/log-metric", {"run_id": run, "key": "acc", "value": 0.9, "timestamp": 1, "step": 0}).status_code == 200
