"""Auth with the unmodified MLflow client: MLFLOW_TRACKING_TOKEN (Bearer) and
MLFLOW_TRACKING_USERNAME/PASSWORD (Basic); 401 without credentials, 403 without the scope; the audit
log's actor is the authenticated user, never a claimed name; the first start prints an admin token
once; a non-loopback --host requires auth unless --insecure-no-auth."""
import re

import pytest
import requests

from conftest import BACKENDS, SlipwayServer, unique, use_mlflow, wait_until

TOKEN = re.compile(r"slw_[a-z2-7]{10}_[a-z2-7]{32}")


@pytest.fixture(scope="module", params=BACKENDS)
def server(request):
    s = SlipwayServer(request.param, extra_args=["--auth"]).start()
    yield s
    s.stop()


def token(server, user, *scopes):
    if user not in server.cli("users", "list").stdout.split():
        server.cli("users", "add", user)
    return server.cli("tokens", "create", unique("t"), "--user", user, "--scope", ",".join(scopes)).stdout.strip()


@pytest.fixture()
def as_token(monkeypatch):
    def use(text):
        monkeypatch.delenv("MLFLOW_TRACKING_USERNAME", raising=False)
        monkeypatch.delenv("MLFLOW_TRACKING_PASSWORD", raising=False)
        monkeypatch.setenv("MLFLOW_TRACKING_TOKEN", text)
    yield use


def test_first_start_prints_an_admin_token_once(server):
    printed = TOKEN.findall(server.log_path.read_text())
    assert len(printed) == 1
    r = requests.post(f"{server.url}/api/2.0/mlflow/experiments/search", json={"max_results": 1}, headers={"Authorization": f"Bearer {printed[0]}"})
    assert r.status_code == 200
    server.stop()
    server.start()
    assert TOKEN.findall(server.log_path.read_text()) == printed, "a restart creates no second admin token"


def test_scopes_with_the_mlflow_client(server, as_token, monkeypatch):
    import mlflow
    from mlflow import MlflowClient
    from mlflow.exceptions import MlflowException

    client = MlflowClient(server.url, server.url)
    monkeypatch.delenv("MLFLOW_TRACKING_TOKEN", raising=False)
    with pytest.raises(MlflowException, match="UNAUTHENTICATED|401"):
        client.search_experiments()

    reader, writer = unique("reader"), unique("writer")
    as_token(token(server, reader, "read"))
    client.search_experiments()
    with pytest.raises(MlflowException, match="PERMISSION_DENIED|403"):
        client.create_experiment(unique("nope"))

    as_token(token(server, writer, "write"))
    use_mlflow(server.url, unique("auth-exp"))
    with mlflow.start_run() as run:
        mlflow.log_metric("mae", 0.5)
    model = unique("auth-model")
    client.create_registered_model(model)
    v1, v2 = (client.create_model_version(model, f"runs:/{run.info.run_id}/model", run_id=run.info.run_id).version for _ in range(2))
    assert client.get_run(run.info.run_id).data.metrics == {"mae": 0.5}
    headers = {"Authorization": f"Bearer {token(server, writer, 'write')}"}
    r = requests.put(f"{server.url}/api/v1/models/{model}/policy", json={"metric": "mae", "direction": "lower"}, headers=headers)
    assert r.status_code == 403 and r.json()["error_code"] == "PERMISSION_DENIED"

    # A promote token sets the policy and moves production; the audit log names its user, not the claimed actor.
    promoter = unique("promoter")
    headers = {"Authorization": f"Bearer {token(server, promoter, 'promote')}"}
    r = requests.put(f"{server.url}/api/v1/models/{model}/policy", json={"metric": "mae", "direction": "lower"}, headers=headers)
    assert r.status_code == 200, r.text
    # Production of a model with a policy moves only with promote; other aliases with write.
    as_token(token(server, writer, "write"))
    with pytest.raises(MlflowException, match="PERMISSION_DENIED"):
        client.set_registered_model_alias(model, "production", v1)
    client.set_registered_model_alias(model, "candidate", v2)
    as_token(headers["Authorization"].split()[1])
    client.set_registered_model_alias(model, "production", v1)
    client.set_registered_model_alias(model, "production", v2)
    r = requests.post(f"{server.url}/api/v1/models/{model}/rollback", json={"actor": "somebody-else"}, headers=headers)
    assert r.status_code == 200, r.text
    decisions = requests.get(f"{server.url}/api/v1/models/{model}/decisions", headers=headers).json()["decisions"]
    assert [d["kind"] for d in decisions] == ["rollback", "manual", "manual"] and all(d["actor"] == promoter for d in decisions), decisions


def test_basic_auth_and_revocation(server, monkeypatch):
    from mlflow import MlflowClient
    from mlflow.exceptions import MlflowException

    user = unique("basic")
    text = token(server, user, "read")
    monkeypatch.delenv("MLFLOW_TRACKING_TOKEN", raising=False)
    monkeypatch.setenv("MLFLOW_TRACKING_USERNAME", user)
    monkeypatch.setenv("MLFLOW_TRACKING_PASSWORD", text)
    client = MlflowClient(server.url, server.url)
    client.search_experiments()
    monkeypatch.setenv("MLFLOW_TRACKING_USERNAME", "someone-else")
    with pytest.raises(MlflowException, match="UNAUTHENTICATED|401"):
        client.search_experiments()
    monkeypatch.setenv("MLFLOW_TRACKING_USERNAME", user)
    server.cli("tokens", "revoke", text)

    def refused():
        try:
            client.search_experiments()
            return False
        except MlflowException as e:
            return "UNAUTHENTICATED" in str(e) or "401" in str(e)
    # Another process revoked it: the server trusts a checked token for 2 s at most.
    wait_until(refused, timeout=5, interval=0.1, message="the revoked token is refused")


@pytest.mark.parametrize("args, open_to_all", [([], False), (["--insecure-no-auth"], True)])
def test_a_public_address_requires_auth_unless_told_otherwise(args, open_to_all):
    s = SlipwayServer("sqlite", extra_args=["--host", "0.0.0.0", *args]).start()
    try:
        r = requests.post(f"http://127.0.0.1:{s.port}/api/2.0/mlflow/experiments/search", json={"max_results": 1})
        assert r.status_code == (200 if open_to_all else 401), r.text
        log = s.log_path.read_text()
        assert ("insecure-no-auth" in log) == open_to_all
        assert (len(TOKEN.findall(log)) == 1) != open_to_all
    finally:
        s.stop()


def test_a_replica_with_a_read_token_follows_the_registry(server, as_token):
    from mlflow import MlflowClient
    from conftest import SlipwayReplica
    from serving_support import log_candidate, wait_for_version

    as_token(token(server, unique("writer"), "write"))
    use_mlflow(server.url, unique("auth-replica"))
    name = unique("followed")
    v1, v2 = log_candidate(name, 0.5, 1), log_candidate(name, 0.4, 2)
    client = MlflowClient(server.url, server.url)
    client.set_registered_model_alias(name, "production", str(v1))
    replica = SlipwayReplica(server.url, [f"{name}@production"], ["--token", token(server, unique("replica"), "read")]).start()
    try:
        wait_for_version(replica.url, v1, name=name, limit=30)
        client.set_registered_model_alias(name, "production", str(v2))
        wait_for_version(replica.url, v2, name=name, limit=30)
    finally:
        replica.stop()


def test_a_replica_with_serving_auth_asks_the_registry_who_a_token_is(server, as_token):
    """`slipway serve --serving-auth`: predictions need a token with the predict scope, checked with
    the registry (a predict-only token may ask who it is); /health and /ready stay open."""
    from mlflow import MlflowClient
    from conftest import SlipwayReplica
    from serving_support import FEATURES, log_candidate

    as_token(token(server, unique("writer"), "write"))
    use_mlflow(server.url, unique("serving-auth"))
    name = unique("guarded")
    MlflowClient(server.url, server.url).set_registered_model_alias(name, "production", str(log_candidate(name, 0.5, 1)))
    predictor, reader = unique("predictor"), unique("reader")
    predict_token, read_token = token(server, predictor, "predict"), token(server, reader, "read")
    whoami = requests.get(f"{server.url}/api/v1/tokens/current", headers={"Authorization": f"Bearer {predict_token}"}, timeout=5)
    assert whoami.status_code == 200 and whoami.json()["user"] == predictor and whoami.json()["scopes"] == ["predict"], whoami.text
    replica = SlipwayReplica(server.url, [f"{name}@production"], ["--token", token(server, unique("replica"), "read"), "--serving-auth"]).start()
    try:
        row = dict.fromkeys(FEATURES, 0.5)

        def predict(text=None):
            headers = {"Authorization": f"Bearer {text}"} if text else {}
            return requests.post(f"{replica.url}/models/{name}/predict", json=row, headers=headers, timeout=5)

        wait_until(lambda: predict(predict_token).status_code == 200, timeout=30, message="the replica serving with a predict token")
        assert requests.get(f"{replica.url}/health", timeout=5).status_code == 200
        assert requests.get(f"{replica.url}/ready", timeout=5).status_code == 200
        missing = predict()
        assert missing.status_code == 401 and missing.json()["error_code"] == "UNAUTHENTICATED", missing.text
        assert predict("slw_aaaaaaaaaa_" + "a" * 32).status_code == 401
        refused = predict(read_token)
        assert refused.status_code == 403 and "predict" in refused.json()["message"], refused.text
        basic = requests.post(f"{replica.url}/models/{name}/predict", json=row, auth=(predictor, predict_token), timeout=5)
        assert basic.status_code == 200, basic.text
        assert requests.post(f"{replica.url}/models/{name}/predict", json=row, auth=("someone-else", predict_token), timeout=5).status_code == 401
        # Revoked at the registry: refused by the replica once its memory of the token lapses (2 s).
        server.cli("tokens", "revoke", predict_token)
        wait_until(lambda: predict(predict_token).status_code == 401, timeout=10, message="the revoked token refused by the replica")
    finally:
        replica.stop()


def test_a_replica_without_a_token_shows_the_registrys_refusal(server):
    from conftest import SlipwayReplica

    replica = SlipwayReplica(server.url, [f"{unique('followed')}@production"]).start()
    try:
        def failure():
            model = requests.get(f"{replica.url}/models", timeout=5).json()["models"][0]
            return (model.get("last_failure") or {}).get("message")
        message = wait_until(failure, timeout=10, message="the registry's 401 in the replica's status")
        assert "requires authentication" in message, message
        assert requests.get(f"{replica.url}/ready", timeout=5).status_code == 503
    finally:
        replica.stop()
