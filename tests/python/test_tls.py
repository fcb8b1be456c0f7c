"""`--tls-cert`/`--tls-key`: the server speaks HTTPS only, the unmodified MLflow client logs and
registers over it with MLFLOW_TRACKING_SERVER_CERT_PATH, and a certificate that cannot be used
stops the start with a message before the store is touched."""
import socket
import ssl
import subprocess
from pathlib import Path

import pytest
import requests

from conftest import BACKENDS, BINARY, SlipwayServer, free_port, unique


def make_certificate(directory: Path, name="server"):
    """A self-signed certificate for localhost and 127.0.0.1, with openssl."""
    key, cert = directory / f"{name}.key", directory / f"{name}.crt"
    subprocess.run([
        "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert), "-days", "2",
        "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
    ], check=True, capture_output=True)
    return cert, key


@pytest.fixture(scope="module")
def certificate(tmp_path_factory):
    return make_certificate(tmp_path_factory.mktemp("tls"))


@pytest.fixture(scope="module", params=BACKENDS)
def server(request, certificate):
    cert, key = certificate
    s = SlipwayServer(request.param, extra_args=["--tls-cert", str(cert), "--tls-key", str(key)])
    s.url = f"https://localhost:{s.port}"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("REQUESTS_CA_BUNDLE", str(cert))
        s.start()
    yield s
    s.stop()


def test_the_mlflow_client_over_https(server, certificate, monkeypatch):
    import mlflow
    from mlflow import MlflowClient

    monkeypatch.setenv("MLFLOW_TRACKING_SERVER_CERT_PATH", str(certificate[0]))
    client = MlflowClient(server.url, server.url)
    experiment = client.create_experiment(unique("tls"))
    run = client.create_run(experiment)
    client.log_param(run.info.run_id, "alpha", "0.5")
    client.log_metric(run.info.run_id, "rmse", 0.25, step=3)
    client.log_text(run.info.run_id, "over https", "notes/readme.txt")
    client.set_terminated(run.info.run_id)
    name = unique("tls-model")
    client.create_registered_model(name)
    version = client.create_model_version(name, f"runs:/{run.info.run_id}/model", run.info.run_id)
    client.set_registered_model_alias(name, "production", version.version)

    fetched = client.get_run(run.info.run_id)
    assert fetched.data.params == {"alpha": "0.5"} and fetched.data.metrics == {"rmse": 0.25}
    assert client.get_model_version_by_alias(name, "production").version == version.version
    downloaded = client.download_artifacts(run.info.run_id, "notes/readme.txt")
    assert Path(downloaded).read_text() == "over https"


def test_an_untrusted_or_plain_client_gets_nothing(server):
    with pytest.raises(requests.exceptions.SSLError):
        requests.get(server.url + "/health", verify=True, timeout=5)
    # Plain HTTP on the TLS port: the server answers with no HTTP response.
    with pytest.raises(requests.exceptions.ConnectionError):
        requests.get(f"http://127.0.0.1:{server.port}/health", timeout=5)


def test_old_tls_versions_are_refused(server, certificate):
    context = ssl.create_default_context(cafile=str(certificate[0]))
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.maximum_version = ssl.TLSVersion.TLSv1_2
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as raw:
        with context.wrap_socket(raw, server_hostname="localhost") as tls:
            assert tls.version() == "TLSv1.2"
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    context.set_ciphers("ALL:@SECLEVEL=0")
    context.minimum_version = ssl.TLSVersion.TLSv1
    context.maximum_version = ssl.TLSVersion.TLSv1_1
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as raw:
        with pytest.raises(ssl.SSLError):
            context.wrap_socket(raw, server_hostname="localhost")


def start_failure(tmp_path, *args):
    data = tmp_path / unique("data")
    result = subprocess.run([str(BINARY), "server", "--data-dir", str(data), "--port", str(free_port()), *args],
                            capture_output=True, text=True, timeout=30)
    assert result.returncode != 0, result.stderr
    assert "Fatal error" not in result.stderr
    assert not (data / "slipway.db").exists(), "a certificate that cannot be used stops the start before the store is opened"
    return result.stderr


def test_certificates_that_cannot_be_used(tmp_path, certificate):
    cert, key = certificate
    other_cert, other_key = make_certificate(tmp_path, "other")
    assert "--tls-cert needs --tls-key" in start_failure(tmp_path, "--tls-cert", str(cert))
    assert "--tls-key needs --tls-cert" in start_failure(tmp_path, "--tls-key", str(key))
    assert f"Cannot read the TLS certificate '{key}'" in start_failure(tmp_path, "--tls-cert", str(key), "--tls-key", str(key))
    missing = tmp_path / "missing.key"
    assert f"Cannot read the TLS private key '{missing}'" in start_failure(tmp_path, "--tls-cert", str(cert), "--tls-key", str(missing))
    assert "do not make a TLS server" in start_failure(tmp_path, "--tls-cert", str(cert), "--tls-key", str(other_key))


def test_a_replica_follows_an_https_registry_it_trusts_with_ca_cert(server, certificate, monkeypatch):
    from mlflow import MlflowClient
    from conftest import SlipwayReplica, use_mlflow, wait_until
    from serving_support import log_candidate, wait_for_version

    monkeypatch.setenv("MLFLOW_TRACKING_SERVER_CERT_PATH", str(certificate[0]))
    use_mlflow(server.url, unique("tls-replica"))
    name = unique("followed")
    version = log_candidate(name, 0.5, 1)
    MlflowClient(server.url, server.url).set_registered_model_alias(name, "production", str(version))
    trusting = SlipwayReplica(server.url, [f"{name}@production"], ["--ca-cert", str(certificate[0])]).start()
    untrusting = SlipwayReplica(server.url, [f"{name}@production"]).start()
    try:
        wait_for_version(trusting.url, version, name=name, limit=30)

        def refusal():
            return (requests.get(f"{untrusting.url}/models/{name}", timeout=5).json().get("last_failure") or {}).get("message")
        # The system's CA store does not know the self-signed certificate: the handshake fails, and the status says so.
        assert "CERTIFICATE_VERIFY_FAILED" in wait_until(refusal, timeout=20, interval=0.2, message="the TLS failure in the status")
    finally:
        trusting.stop()
        untrusting.stop()
