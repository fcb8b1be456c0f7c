"""schemathesis against /openapi.json on a server with auth: as an admin (SQLite and PostgreSQL),
as a read-only token, and without credentials. No answer is a 5xx, and every answer's status,
content type and body are what the document says. The document lists every route of the router
(MLflow's under both prefixes, the artifact proxy, the dashboard) with its security."""
import os
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from conftest import BACKENDS, SlipwayServer, unique
from test_auth import TOKEN, token

CHECKS = "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance"


@pytest.fixture(scope="module", params=BACKENDS)
def server(request):
    # Rate limits off and no login backoff: thousands of generated requests, many of them refused on purpose.
    limits = [arg for c in ("read", "write", "promote", "admin") for arg in ("--rate-limit", f"{c}=off")]
    s = SlipwayServer(request.param, extra_args=["--auth", "--failed-logins-before-backoff", "1000000", *limits]).start()
    yield s
    s.stop()


def schemathesis(server, tmp_path, headers, examples):
    command = [str(Path(sys.executable).parent / "schemathesis"), "run", f"{server.url}/openapi.json", "--checks", CHECKS,
               "--max-examples", str(examples), "--workers", "2", "--phases", "examples,coverage,fuzzing", "--seed", "1",
               # The long poll answers after up to 30 s by design: the replica tests cover it.
               "--exclude-path", "/api/v1/registry/changes",
               # MLflow's multipart upload answers MLflow's 501 with artifacts on disk (documented);
               # test_s3_artifacts.py covers it on S3, where it works.
               "--exclude-path-regex", "/mlflow-artifacts/mpu/"]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    result = subprocess.run(command, capture_output=True, text=True, timeout=900, cwd=tmp_path,
                            env={**os.environ, "NO_COLOR": "1", "SCHEMATHESIS_HOOKS": ""})
    assert result.returncode == 0, result.stdout[-6000:]
    assert " passed" in result.stdout and "generated" in result.stdout, result.stdout[-2000:]
    return result.stdout


def test_as_an_admin(server, tmp_path):
    admin = TOKEN.findall(server.log_path.read_text())[0]
    schemathesis(server, tmp_path, {"Authorization": f"Bearer {admin}"}, 15)


def test_as_a_reader_and_without_credentials(server, tmp_path):
    if server.backend != "sqlite":
        pytest.skip("the refusals do not depend on the store")
    reader = token(server, unique("reader"), "read")
    schemathesis(server, tmp_path, {"Authorization": f"Bearer {reader}"}, 5)
    schemathesis(server, tmp_path, {}, 5)


def test_the_document_describes_security_and_every_route(server):
    document = requests.get(f"{server.url}/openapi.json", timeout=10).json()  # open, like /health
    assert set(document["components"]["securitySchemes"]) == {"bearer", "basic"}
    paths = document["paths"]
    assert paths["/health"]["get"]["security"] == [] and paths["/openapi.json"]["get"]["security"] == []
    assert {} in paths["/models/{name}/predict"]["post"]["security"]
    for prefix in ("/api/2.0/mlflow", "/ajax-api/2.0/mlflow"):
        for method, path in [("post", "/runs/log-batch"), ("get", "/registered-models/get"), ("patch", "/model-versions/update"),
                             ("delete", "/registered-models/alias"), ("post", "/webhooks")]:
            operation = paths[prefix + path][method]
            assert {"401", "403", "429"} <= set(operation["responses"]), (prefix + path, operation["responses"].keys())
    assert {"get", "put", "delete"} <= set(paths["/api/2.0/mlflow-artifacts/artifacts/{path}"])
    assert "post" in paths["/ui/models/{name}/rollback"]
