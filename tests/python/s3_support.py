"""S3 for the tests without a cloud: moto's server on loopback (path-style, the real S3 protocol
over HTTP), and a proxy in front of it that injects faults (5xx answers, connections cut in the
middle of a body)."""
import http.client
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import requests

from conftest import free_port, wait_until

MOTO_SERVER = Path(sys.executable).parent / "moto_server"


class MotoServer:
    """`moto_server` on a free port. With `auth_after`, moto checks credentials and signatures once
    that many requests have been made (the setup's IAM calls); `iam_user()` makes the keys it accepts."""

    def __init__(self, auth_after=None):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = Path(tempfile.mkdtemp(prefix="moto-")) / "moto.log"
        env = dict(os.environ)
        if auth_after is not None:
            env["INITIAL_NO_AUTH_ACTION_COUNT"] = str(auth_after)
        self.process = subprocess.Popen([str(MOTO_SERVER), "-p", str(self.port)], stdout=open(self.log_path, "ab"), stderr=subprocess.STDOUT, env=env)
        self.access_key, self.secret_key = "testing", "testing"

        def up():
            try:
                return requests.get(self.url + "/moto-api/", timeout=1).status_code < 500
            except requests.ConnectionError:
                return False
        wait_until(up, 20, "moto_server to answer")

    def client(self, service="s3", access_key=None, secret_key=None):
        import boto3
        return boto3.client(service, endpoint_url=self.url, region_name="us-east-1",
                            aws_access_key_id=access_key or self.access_key, aws_secret_access_key=secret_key or self.secret_key)

    def iam_user(self):
        """An IAM user allowed everything on S3; its keys become the server's."""
        iam = self.client("iam")
        iam.create_user(UserName="slipway")
        key = iam.create_access_key(UserName="slipway")["AccessKey"]
        iam.put_user_policy(UserName="slipway", PolicyName="s3", PolicyDocument=json.dumps(
            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}))
        self.access_key, self.secret_key = key["AccessKeyId"], key["SecretAccessKey"]

    def bucket(self, name):
        self.client().create_bucket(Bucket=name)
        return name

    def env(self, endpoint=None, **overrides):
        """The environment a Slipway server reads its S3 settings from."""
        return {"AWS_ACCESS_KEY_ID": self.access_key, "AWS_SECRET_ACCESS_KEY": self.secret_key, "AWS_DEFAULT_REGION": "us-east-1",
                "MLFLOW_S3_ENDPOINT_URL": endpoint or self.url, **overrides}

    def objects(self, bucket, prefix=""):
        """{key: size} of every object under `prefix`."""
        found = {}
        for page in self.client().get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
            for item in page.get("Contents", []):
                found[item["Key"]] = item["Size"]
        return found

    def uploads(self, bucket):
        """Multipart uploads started and neither completed nor aborted."""
        return self.client().list_multipart_uploads(Bucket=bucket).get("Uploads", [])

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=10)


class FaultProxy:
    """An HTTP proxy to `target` that answers some requests itself with an error, or cuts the
    connection after part of a request's body, as `plan(method, path, query) -> action` decides:
    None forwards; an int answers that status (S3's XML error body); "cut" reads half the body
    and closes. Counts what it saw in `seen` and what it broke in `broken`."""

    def __init__(self, target):
        self.target = target.removeprefix("http://")
        self.plan = lambda method, path, query: None
        self.seen = []
        self.broken = []
        self.lock = threading.Lock()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def handle_any(self):
                path, _, query = self.path.partition("?")
                action = proxy.plan(self.command, path, query)
                with proxy.lock:
                    proxy.seen.append((self.command, path, query))
                length = int(self.headers.get("Content-Length") or 0)
                if action == "cut":
                    with proxy.lock:
                        proxy.broken.append((self.command, path, "cut"))
                    self.rfile.read(length // 2)
                    self.connection.shutdown(socket.SHUT_RDWR)
                    self.close_connection = True
                    return
                body = self.rfile.read(length) if length else b""
                if isinstance(action, int):
                    with proxy.lock:
                        proxy.broken.append((self.command, path, action))
                    code = "SlowDown" if action == 503 else "InternalError"
                    error = f"<Error><Code>{code}</Code><Message>injected {action}</Message></Error>".encode()
                    self.send_response(action)
                    self.send_header("Content-Type", "application/xml")
                    self.send_header("Content-Length", str(len(error)))
                    self.end_headers()
                    self.wfile.write(error)
                    return
                upstream = http.client.HTTPConnection(proxy.target, timeout=120)
                headers = {k: v for k, v in self.headers.items() if k.lower() not in ("connection", "transfer-encoding")}
                upstream.request(self.command, self.path, body=body, headers=headers)
                response = upstream.getresponse()
                data = response.read()
                self.send_response(response.status)
                for k, v in response.getheaders():
                    if k.lower() not in ("connection", "transfer-encoding", "content-length", "date", "server"):
                        self.send_header(k, v)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(data)
                upstream.close()

            do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = handle_any

        class Server(ThreadingHTTPServer):
            def handle_error(self, request, client_address):
                pass  # a peer that went away mid-answer (a cut, a cancelled read) is part of the plan

        self.server = Server(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self):
        self.server.shutdown()
