"""Errors from the environment are said in words: what is wrong, where, and what to do; never a raw
Foundation or PostgreSQL error, never the database password."""
import socket
import subprocess
import tempfile

import pytest

from conftest import BINARY, POSTGRES_URL


def slipway(*args, timeout=60):
    return subprocess.run([str(BINARY), *args], capture_output=True, text=True, timeout=timeout)


def assert_clear(result, *phrases):
    assert result.returncode == 2, (result.returncode, result.stdout, result.stderr)
    message = result.stderr.strip().splitlines()[-1]
    assert message.startswith("error: cannot open the store: "), result.stderr
    for phrase in phrases:
        assert phrase in message, message
    for raw in ["NSCocoaErrorDomain", "Error Domain", "PSQLError", "Generic description"]:
        assert raw not in message, message


@pytest.mark.parametrize("command", [["models", "list"], ["server", "--port", "0"]])
def test_a_data_directory_that_cannot_be_written(command):
    assert_clear(slipway(*command, "--data-dir", "/proc/self"), "'/proc/self'", "is not writable", "--data-dir")


def test_a_data_directory_that_cannot_be_created():
    assert_clear(slipway("models", "list", "--data-dir", "/proc/slipway-missing/data"),
                 "cannot create the data directory '/proc/slipway-missing/data'", "no such file or directory")
    with tempfile.NamedTemporaryFile() as f:
        assert_clear(slipway("models", "list", "--data-dir", f.name + "/data"), "not a directory")
        assert_clear(slipway("models", "list", "--data-dir", f.name), "is a file, not a directory")


def test_postgres_that_is_not_there():
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    result = slipway("models", "list", "--database-url", f"postgres://alice:hunter2secret@127.0.0.1:{port}/slipway")
    assert_clear(result, f"cannot connect to PostgreSQL at 127.0.0.1:{port}: connection refused")
    assert "hunter2secret" not in result.stderr + result.stdout


@pytest.mark.skipif(not POSTGRES_URL, reason="needs the test PostgreSQL server")
def test_postgres_that_refuses_us():
    base = POSTGRES_URL.rsplit("/", 1)[0].replace("postgres://slipway@", "postgres://slipway:hunter2secret@")
    result = slipway("models", "list", "--database-url", base + "/no_such_database")
    assert_clear(result, "refused the connection", 'database "no_such_database" does not exist')
    assert "hunter2secret" not in result.stderr + result.stdout


@pytest.mark.parametrize("url", ["postgres://alice:hunter2secret with space/@127.0.0.1:5432/db",
                                 "postgress://alice:hunter2secret@127.0.0.1:5432/db",
                                 "postgres://alice:hunter2secret@127.0.0.1:5432/db?sslmode=sometimes"])
def test_a_malformed_database_url_never_shows_the_password(url):
    result = slipway("models", "list", "--database-url", url)
    assert result.returncode != 0
    assert "hunter2secret" not in result.stderr + result.stdout, result.stderr
    assert "postgres" in result.stderr.lower(), result.stderr
