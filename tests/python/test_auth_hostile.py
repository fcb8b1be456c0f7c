"""Hostile input on the auth surface of a server with auth: malformed Authorization headers, huge
tokens, tokens with a real id and a wrong secret, and request targets spelled to slip past the
check (`//api`, `%2e%2e`, `%2F`, mixed case, the `/ajax-api` twins, trailing slashes). Each is
refused (401, 403 or 404) and changes nothing; no answer is a 5xx and the server stays up. Sent
with http.client, which sends the target as written (requests would normalize it)."""
import base64
import http.client
import json
import socket

import pytest
import requests

from conftest import SlipwayServer, unique
from test_auth import TOKEN, token


@pytest.fixture(scope="module")
def server():
    # Backoff after failed logins would turn later refusals into 429s; this module sends many on purpose.
    s = SlipwayServer("sqlite", extra_args=["--auth", "--failed-logins-before-backoff", "100000"]).start()
    yield s
    s.stop()


def raw(server, method, target, headers=None, body=None):
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    try:
        payload = json.dumps(body).encode() if body is not None else None
        connection.request(method, target, body=payload, headers={"Content-Type": "application/json", **(headers or {})})
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def alive(server):
    return requests.get(server.url + "/health", timeout=5).status_code == 200


def test_malformed_authorization_headers(server):
    reader = token(server, unique("reader"), "read")
    target = "/api/2.0/mlflow/experiments/search?max_results=1"
    assert raw(server, "GET", target, {"Authorization": f"bearer {reader}"})[0] == 200  # the scheme is case-insensitive
    assert raw(server, "GET", target, {"Authorization": f"BEARER   {reader}"})[0] == 200
    user = reader  # any text: a Basic password must be a token of that very user
    for header in ["", "Bearer", "Bearer ", "Bearer  ", "Token " + reader, "Digest " + reader, reader, "Bearer " + reader + "x",
                   "Bearer " + reader[:-1], "Bearer " + reader.upper(), "Bearer slw_", "Bearer slw__", "Bearer slw_a_b_c",
                   "Basic", "Basic !!!!", "Basic " + base64.b64encode(b"no-colon").decode(),
                   "Basic " + base64.b64encode(f"{user}:{reader}".encode()).decode(),
                   "Basic " + base64.b64encode(b"\xff\xfe:" + reader.encode()).decode(), "Bearer \t" + reader,
                   "Bearer " + "A" * 1000, "Bearer " + "slw_" + "a" * 10 + "_" + "b" * 5000]:
        status, body = raw(server, "GET", target, {"Authorization": header})
        assert status == 401, (header[:60], status, body[:200])
        assert json.loads(body)["error_code"] == "UNAUTHENTICATED"
    assert alive(server)


def test_huge_headers_and_bytes_that_are_not_text(server):
    target = b"/api/2.0/mlflow/experiments/search"
    for value in [b"Bearer " + b"x" * 200_000, b"Bearer \xff\xfe\xfd", b"Basic \x00\x01", b"Bearer " + b"a" * 20 + b"\r\n"]:
        with socket.create_connection(("127.0.0.1", server.port), timeout=10) as s:
            s.sendall(b"GET " + target + b" HTTP/1.1\r\nHost: x\r\nAuthorization: " + value + b"\r\nConnection: close\r\n\r\n")
            answer = b""
            while chunk := s.recv(65536):
                answer += chunk
        status = int(answer.split(b" ", 2)[1]) if answer.startswith(b"HTTP/1.1 ") else None
        # A 4xx, or the connection closed without an answer for a request the parser will not read; never a 5xx.
        assert status is None or 400 <= status < 500, (value[:40], answer[:200])
    assert alive(server)


def test_a_real_id_with_a_wrong_secret(server):
    reader = token(server, unique("reader"), "read")
    prefix, token_id, secret = reader.split("_")
    for guess in [secret[:-1] + ("a" if secret[-1] != "a" else "b"), ("a" if secret[0] != "a" else "b") + secret[1:], "a" * 32, secret[:16]]:
        status, _ = raw(server, "GET", "/api/2.0/mlflow/experiments/search", {"Authorization": f"Bearer {prefix}_{token_id}_{guess}"})
        assert status == 401, status
    assert alive(server)


# Targets that spell a route needing more than `read`, or an open route, some other way.
TRICKS = [
    ("POST", "//api/2.0/mlflow/webhooks"), ("POST", "/api/2.0/mlflow/../mlflow/webhooks"), ("POST", "/api/2.0/mlflow/%2e%2e/mlflow/webhooks"),
    ("POST", "/API/2.0/mlflow/webhooks"), ("POST", "/api/2.0/MLflow/webhooks"), ("POST", "/ajax-api/2.0/mlflow/webhooks"),
    ("POST", "/api/2.0/mlflow/webhooks/"), ("POST", "/api/2.0/mlflow/./webhooks"), ("POST", "/api/2.0/mlflow%2Fwebhooks"),
    ("POST", "/api/v1/models/{m}/%70romote"), ("POST", "/api/v1/models/{m}/promote/"), ("POST", "/api/v1//models/{m}/promote"),
    ("POST", "/api/v1/models/{m}/x/../promote"), ("POST", "/Api/V1/models/{m}/rollback"), ("POST", "/api/v1/models/{m}/%2e/rollback"),
    ("PUT", "/api/v1/models/{m}/policy"), ("PUT", "/api/v1/models/{m}/Policy"), ("POST", "/ui/models/{m}/promote"),
    ("POST", "/ajax-api/2.0/mlflow/registered-models/alias"), ("POST", "/api/2.0/mlflow/registered-models/alias"),
    ("POST", "/health/../api/2.0/mlflow/webhooks"), ("POST", "/health/%2e%2e/api/v1/webhooks"), ("GET", "/health/../api/v1/users"),
    ("POST", "/api/v1/users"), ("POST", "/api/v1/tokens"), ("POST", "/predict/../api/v1/webhooks"),
    ("POST", "/models/x/../../api/v1/webhooks"), ("POST", "/api/2.0/mlflow/experiments/create"),
]


def test_path_tricks_around_the_check(server):
    reader = {"Authorization": f"Bearer {token(server, unique('reader'), 'read')}"}
    admin = {"Authorization": "Bearer " + TOKEN.findall(server.log_path.read_text())[0]}
    model = unique("tricks")
    requests.post(f"{server.url}/api/2.0/mlflow/registered-models/create", json={"name": model}, headers=admin).raise_for_status()
    body = {"name": model, "alias": "production", "version": "1", "url": "http://127.0.0.1:9/hook", "events": [{"entity": "model_version", "action": "created"}],
            "metric": "mae", "direction": "lower", "experiment_name": unique("x")}
    for method, spelled in TRICKS:
        target = spelled.format(m=model)
        anonymous, _ = raw(server, method, target, body=body)
        assert anonymous in (401, 404, 405), (method, target, anonymous)
        status, answer = raw(server, method, target, reader, body=body)
        assert status in (403, 404, 405), (method, target, status, answer[:200])
    # Nothing changed: no webhook, no policy, no decision, no experiment.
    assert requests.get(f"{server.url}/api/2.0/mlflow/webhooks", headers=admin).json().get("webhooks", []) == []
    assert requests.get(f"{server.url}/api/v1/models/{model}/policy", headers=admin).status_code == 404
    assert requests.get(f"{server.url}/api/v1/models/{model}/decisions", headers=admin).json()["decisions"] == []
    assert requests.get(f"{server.url}/api/2.0/mlflow/experiments/get-by-name", params={"experiment_name": body["experiment_name"]},
                        headers=admin).status_code == 404
    assert alive(server)
