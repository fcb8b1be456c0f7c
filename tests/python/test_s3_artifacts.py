"""Artifacts on S3 (`--artifacts-destination s3://bucket/prefix`), against moto's S3 server: the
real MLflow client logs and loads models of 1 KB, 50 MB and 600 MB (the last through MLflow's
multipart upload, parts straight to the bucket); replicas and the command line load from it and
check digests; S3's faults are retried or reported, and nothing half-written is recorded."""
import hashlib
import os
import socket
import subprocess
import time

import mlflow
import numpy as np
import pandas as pd
import pytest
import requests

from conftest import BINARY, SlipwayReplica, SlipwayServer, unique, use_mlflow, wait_until
from s3_support import FaultProxy, MotoServer
from serving_support import log_version, served_version, train, wait_for_refusal, wait_for_version

BUCKET = "slipway-artifacts"
PREFIX = "team/mlruns"
MB = 1 << 20


@pytest.fixture(scope="module")
def moto():
    m = MotoServer()
    m.bucket(BUCKET)
    yield m
    m.stop()


@pytest.fixture(scope="module")
def watched(moto):
    """A pass-through proxy in front of moto: records which requests reached S3, and how."""
    proxy = FaultProxy(moto.url)
    yield proxy
    proxy.stop()


@pytest.fixture(scope="module")
def s3_server(moto, watched):
    s = SlipwayServer("sqlite", ["--artifacts-destination", f"s3://{BUCKET}/{PREFIX}"], env=moto.env(watched.url)).start()
    yield s
    s.stop()


class Blob(mlflow.pyfunc.PythonModel):
    """A model whose one artifact is a file of the test's size."""

    def predict(self, context, model_input, params=None):
        return [os.path.getsize(context.artifacts["blob"])] * len(model_input)


def sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(8 * MB):
            digest.update(chunk)
    return digest.hexdigest()


def random_file(path, size):
    with open(path, "wb") as f:
        left = size
        while left:
            n = min(left, 64 * MB)
            f.write(os.urandom(n))
            left -= n
    return path


def test_models_of_1kb_50mb_and_600mb_load_back_byte_identical(s3_server, moto, watched, tmp_path):
    use_mlflow(s3_server.url, "s3-sizes")
    client = mlflow.MlflowClient()
    name = unique("blob")
    for size in (1024, 50 * MB, 600 * MB):
        blob = random_file(tmp_path / "blob.bin", size)
        expected = sha256(blob)
        watched.seen.clear()
        started = time.monotonic()
        with mlflow.start_run():
            info = mlflow.pyfunc.log_model(name="model", python_model=Blob(), artifacts={"blob": str(blob)}, registered_model_name=name,
                                           pip_requirements=["mlflow"])
        logged = time.monotonic() - started
        version = info.registered_model_version
        client.set_registered_model_alias(name, "production", version)
        started = time.monotonic()
        local = mlflow.artifacts.download_artifacts(f"models:/{name}@production", dst_path=str(tmp_path / f"v{version}"))
        loaded = time.monotonic() - started
        copy = os.path.join(local, "artifacts", "blob.bin")
        assert os.path.getsize(copy) == size
        assert sha256(copy) == expected
        stored = {k: v for k, v in moto.objects(BUCKET, PREFIX + "/").items() if k.endswith("/artifacts/blob.bin") and v == size}
        assert stored, "the blob is not in the bucket under the prefix"
        parts = [(m, q) for m, p, q in watched.seen if m == "PUT" and p.endswith("/blob.bin") and "partNumber=" in q]
        if size == 600 * MB:
            # MLflow's multipart upload: the client sent each part itself, with a URL the server signed.
            assert parts and all("X-Amz-Signature=" in q for _, q in parts), parts[:3]
            assert len(parts) == 60  # 10 MiB parts
        elif size == 50 * MB:
            # Through Slipway's proxy, streamed to S3 in 8 MiB parts signed in headers.
            assert len(parts) == 7 and not any("X-Amz-Signature=" in q for _, q in parts)
        else:
            assert not parts
        print(f"\n{size} bytes: logged in {logged:.1f} s, downloaded in {loaded:.1f} s")
        os.remove(blob)
        os.remove(copy)
    assert moto.uploads(BUCKET) == []
    model = mlflow.pyfunc.load_model(f"models:/{name}@production")
    assert model.predict(pd.DataFrame({"x": [1.0]})) == [600 * MB]


def test_replicas_and_the_command_line_load_from_s3_and_check_digests(s3_server, moto, tmp_path):
    use_mlflow(s3_server.url, "s3-serving")
    client = mlflow.MlflowClient()
    name = unique("s3-served")
    good, tampered = log_version(name, train(1)), log_version(name, train(2))
    client.set_registered_model_alias(name, "production", good)
    replica = SlipwayReplica(s3_server.url, [f"{name}@production"]).start()
    try:
        wait_for_version(replica.url, good, name=name)
        rows = pd.DataFrame(np.random.default_rng(0).normal(size=(3, 4)), columns=["f0", "f1", "f2", "f3"])
        rows.to_csv(tmp_path / "rows.csv", index=False)
        predicted = s3_server.cli("predict", "--model", f"{name}@production", "--input", str(tmp_path / "rows.csv"),
                                  "--artifacts-destination", f"s3://{BUCKET}/{PREFIX}")
        assert len(predicted.stdout.strip().splitlines()) >= 3
        # The model file of the second version changes in the bucket after it was logged.
        uri = client.get_model_version_download_uri(name, tampered)
        key = PREFIX + "/" + uri.removeprefix("mlflow-artifacts:/") + "/model.ubj"
        s3 = moto.client()
        body = s3.get_object(Bucket=BUCKET, Key=key)["Body"].read()
        s3.put_object(Bucket=BUCKET, Key=key, Body=body[:-4] + b"XXXX")
        client.set_registered_model_alias(name, "production", tampered)
        refused = wait_for_refusal(replica.url, tampered, name=name, limit=10)
        assert "digest" in refused["last_failure"]["message"], refused
        assert served_version(replica.url, name)[1] == str(good)
        failed = s3_server.cli("predict", "--model", f"{name}@production", "--input", str(tmp_path / "rows.csv"),
                               "--artifacts-destination", f"s3://{BUCKET}/{PREFIX}", check=False)
        assert failed.returncode != 0 and "does not match its recorded digest" in failed.stderr, failed.stderr
    finally:
        replica.stop()


def test_multipart_routes_refuse_bad_requests_and_abort_cleanly(s3_server, moto):
    use_mlflow(s3_server.url, "s3-mpu")
    with mlflow.start_run() as run:
        pass
    folder = run.info.artifact_uri.removeprefix("mlflow-artifacts:/")
    base = f"{s3_server.url}/api/2.0/mlflow-artifacts/mpu"
    r = requests.post(f"{base}/create/{folder}", json={"path": "/tmp/x/big.bin", "num_parts": 0}, timeout=10)
    assert r.status_code == 400 and r.json()["error_code"] == "INVALID_PARAMETER_VALUE"
    r = requests.post(f"{base}/create/{folder}", json={"num_parts": 1}, timeout=10)
    assert r.status_code == 400 and "path" in r.json()["message"]
    r = requests.post(f"{base}/create/{folder}", json={"path": "/tmp/x/big.bin", "num_parts": 2}, timeout=10)
    assert r.status_code == 200, r.text
    grant = r.json()
    assert [c["part_number"] for c in grant["credentials"]] == [1, 2]
    put = requests.put(grant["credentials"][0]["url"], data=os.urandom(5 * MB), timeout=30)
    assert put.status_code == 200 and put.headers["ETag"]
    assert moto.uploads(BUCKET)
    r = requests.post(f"{base}/complete/{folder}", json={"path": "big.bin", "upload_id": grant["upload_id"], "parts": [{"part_number": 1, "etag": '"0123"'}]},
                      timeout=30)
    assert r.status_code == 400 and "InvalidPart" in r.json()["message"], r.text
    r = requests.post(f"{base}/complete/{folder}", json={"path": "big.bin", "upload_id": grant["upload_id"], "parts": [{"part_number": "one"}]}, timeout=10)
    assert r.status_code == 400
    r = requests.post(f"{base}/abort/{folder}", json={"path": "/tmp/x/big.bin", "upload_id": grant["upload_id"]}, timeout=10)
    assert r.status_code == 200, r.text
    assert moto.uploads(BUCKET) == []
    assert requests.get(f"{s3_server.url}/api/2.0/mlflow-artifacts/artifacts/{folder}/big.bin", timeout=10).status_code == 404
    assert not [k for k in moto.objects(BUCKET) if k.endswith("/big.bin") and folder in k]


def test_file_names_with_spaces_plus_signs_and_accents_list_and_load(s3_server):
    folder = "0/odd names"
    name = "confusion matrix+v2 é.txt"
    url = f"{s3_server.url}/api/2.0/mlflow-artifacts/artifacts/{requests.utils.quote(folder + '/' + name)}"
    assert requests.put(url, data=b"odd", timeout=10).status_code == 200
    listing = requests.get(f"{s3_server.url}/api/2.0/mlflow-artifacts/artifacts", params={"path": folder}, timeout=10).json()
    assert [f["path"] for f in listing["files"]] == [name]
    assert requests.get(url, timeout=10).content == b"odd"


def test_a_server_on_local_disk_declines_multipart_as_mlflow_does():
    s = SlipwayServer("sqlite").start()
    try:
        info = requests.get(f"{s.url}/api/3.0/mlflow/server-info", timeout=10).json()
        assert info["multipart_uploads_enabled"] is False and info["artifact_storage"] == "local"
        r = requests.post(f"{s.url}/api/2.0/mlflow-artifacts/mpu/create/0/x", json={"path": "big.bin", "num_parts": 2}, timeout=10)
        assert r.status_code == 501
        assert r.json()["message"].startswith("Multipart upload is not supported for the current artifact repository")
    finally:
        s.stop()


@pytest.fixture()
def faulty(moto):
    """A server whose S3 is reached through a proxy that injects faults as the test plans them."""
    proxy = FaultProxy(moto.url)
    prefix = unique("faults")
    s = SlipwayServer("sqlite", ["--artifacts-destination", f"s3://{BUCKET}/{prefix}"], env=moto.env(proxy.url)).start()
    yield s, proxy, prefix
    s.stop()
    proxy.stop()


def artifact_url(server, path):
    return f"{server.url}/api/2.0/mlflow-artifacts/artifacts/{path}"


def test_s3_throttling_and_5xx_are_retried(faulty, moto, tmp_path):
    server, proxy, prefix = faulty
    count = {"n": 0}

    def every_other(method, path, query):
        count["n"] += 1
        return (503 if count["n"] % 3 == 0 else 500) if count["n"] % 2 == 0 else None
    proxy.plan = every_other
    data = os.urandom(20 * MB)
    r = requests.put(artifact_url(server, "0/retried/data.bin"), data=data, timeout=120)
    assert r.status_code == 200, r.text
    got = requests.get(artifact_url(server, "0/retried/data.bin"), timeout=120)
    assert got.status_code == 200 and got.content == data
    assert any(b[2] == 503 for b in proxy.broken) and any(b[2] == 500 for b in proxy.broken)

    # Parts cut in the middle of their body the first time: sent again.
    first_time = set()

    def cut_once(method, path, query):
        if method == "PUT" and (path, query) not in first_time:
            first_time.add((path, query))
            return "cut"
        return None
    proxy.plan = cut_once
    proxy.broken.clear()
    r = requests.put(artifact_url(server, "0/retried/cut.bin"), data=data, timeout=120)
    assert r.status_code == 200, r.text
    assert len(proxy.broken) == 3  # three parts, each cut once
    assert requests.get(artifact_url(server, "0/retried/cut.bin"), timeout=120).content == data
    assert moto.uploads(BUCKET) == []


def test_s3_failures_are_reported_and_nothing_half_written_is_recorded(faulty, moto):
    server, proxy, prefix = faulty
    proxy.plan = lambda method, path, query: 500 if method == "PUT" else None
    for size, name in ((1024, "small.bin"), (20 * MB, "large.bin")):
        r = requests.put(artifact_url(server, f"0/failed/{name}"), data=os.urandom(size), timeout=120)
        assert r.status_code == 503, r.text
        body = r.json()
        assert body["error_code"] == "TEMPORARILY_UNAVAILABLE" and "Artifact storage failed" in body["message"] and "500" in body["message"], body
        assert requests.get(artifact_url(server, f"0/failed/{name}"), timeout=10).status_code == 404
    listing = requests.get(f"{server.url}/api/2.0/mlflow-artifacts/artifacts", params={"path": "0/failed"}, timeout=10).json()
    assert listing.get("files", []) == []
    assert not moto.objects(BUCKET, prefix + "/")
    wait_until(lambda: moto.uploads(BUCKET) == [], 10, "the failed multipart upload to be aborted")

    # S3 unreachable on reads: a clear error, not a hang.
    proxy.plan = lambda method, path, query: None
    assert requests.put(artifact_url(server, "0/kept/a.txt"), data=b"kept", timeout=30).status_code == 200
    proxy.plan = lambda method, path, query: 503
    r = requests.get(artifact_url(server, "0/kept/a.txt"), timeout=60)
    assert r.status_code == 503 and "SlowDown" in r.json()["message"]
    proxy.plan = lambda method, path, query: None
    assert requests.get(artifact_url(server, "0/kept/a.txt"), timeout=30).content == b"kept"


def test_an_upload_cut_by_the_client_leaves_nothing(faulty, moto):
    server, proxy, prefix = faulty
    host, port = server.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port))) as sock:
        sock.sendall(f"PUT /api/2.0/mlflow-artifacts/artifacts/0/cut/model.bin HTTP/1.1\r\nHost: {host}\r\nContent-Length: {30 * MB}\r\n\r\n".encode())
        sent = 0
        chunk = os.urandom(MB)
        while sent < 18 * MB:
            sock.sendall(chunk)
            sent += MB
    wait_until(lambda: moto.uploads(BUCKET) == [], 15, "the cut upload's parts to be discarded")
    assert requests.get(artifact_url(server, "0/cut/model.bin"), timeout=10).status_code == 404
    assert not [k for k in moto.objects(BUCKET, prefix + "/") if k.endswith("model.bin")]


def test_wrong_credentials_and_a_missing_bucket_stop_the_server_with_a_clear_message(tmp_path):
    moto = MotoServer(auth_after=4)
    try:
        moto.iam_user()
        moto.bucket("guarded")
        cases = [
            (moto.env(AWS_SECRET_ACCESS_KEY="wrong"), "guarded", "SignatureDoesNotMatch"),
            (moto.env(AWS_ACCESS_KEY_ID="AKIAUNKNOWN000000000"), "guarded", "InvalidAccessKeyId"),
            (moto.env(), "no-such-bucket", "NoSuchBucket"),
            ({k: v for k, v in moto.env().items() if k != "AWS_SECRET_ACCESS_KEY"} | {"AWS_SECRET_ACCESS_KEY": ""}, "guarded", "AWS_SECRET_ACCESS_KEY"),
        ]
        for env, bucket, expected in cases:
            result = subprocess.run([str(BINARY), "server", "--port", "0", "--data-dir", str(tmp_path / "d"), "--artifacts-destination", f"s3://{bucket}/x"],
                                    capture_output=True, text=True, timeout=60, env={**os.environ, **env})
            assert result.returncode == 2 and expected in result.stderr, (expected, result.returncode, result.stderr[-2000:])
        result = subprocess.run([str(BINARY), "server", "--data-dir", str(tmp_path / "d"), "--artifacts-destination", "s3://Bad_Bucket/x"],
                                capture_output=True, text=True, timeout=60, env={**os.environ, **moto.env()})
        assert result.returncode != 0 and "bucket name" in result.stderr
        # The right keys: every request Slipway signs is checked by moto.
        s = SlipwayServer("sqlite", ["--artifacts-destination", "s3://guarded/signed"], env=moto.env()).start()
        try:
            use_mlflow(s.url, "signed")
            name = unique("signed")
            version = log_version(name, train(3))
            local = mlflow.artifacts.download_artifacts(f"models:/{name}/{version}", dst_path=str(tmp_path / "signed"))
            assert os.path.getsize(os.path.join(local, "model.ubj")) > 0
            assert any(k.endswith("/model.ubj") for k in moto.objects("guarded", "signed/"))
        finally:
            s.stop()
    finally:
        moto.stop()
