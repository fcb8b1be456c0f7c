"""`slipway users` and `slipway tokens`: a token is printed once, listed by its id only, stored
hashed, and revoked by id or text; bad input is a message and a non-zero exit."""
import re
import sqlite3
from pathlib import Path

import pytest

from conftest import BACKENDS, SlipwayServer, unique


@pytest.fixture(params=BACKENDS)
def store(request):
    """A store the commands open directly (no server needed)."""
    return SlipwayServer(request.param)


def test_users_and_tokens(store):
    user = unique("alice")
    assert store.cli("users", "add", user).stdout.strip() == f"{user}: added"
    assert "(admin)" in store.cli("users", "add", unique("ops"), "--admin").stdout
    created = store.cli("tokens", "create", "ci", "--user", user, "--scope", "write,read", "--expires", "30d")
    token = created.stdout.strip()
    assert re.fullmatch(r"slw_[a-z2-7]{10}_[a-z2-7]{32}", token), created.stdout
    token_id = token.split("_")[1]
    assert f"id {token_id}" in created.stderr and "shown this once" in created.stderr and "read,write" in created.stderr

    listed = store.cli("tokens", "list", "--user", user).stdout
    assert token_id in listed and "active" in listed and "read,write" in listed and token.split("_")[2] not in listed
    assert re.search(rf"^{re.escape(user)}\s+no\s+1\s", store.cli("users", "list").stdout, re.M)
    if store.backend == "sqlite":
        # Only the hash is kept: the secret appears nowhere in the database file.
        database = Path(store.data_dir) / "slipway.db"
        rows = sqlite3.connect(database).execute("SELECT token_hash FROM api_tokens WHERE id = ?", (token_id,)).fetchall()
        assert len(rows) == 1 and len(rows[0][0]) == 64
        assert all(token.split("_")[2].encode() not in f.read_bytes() for f in Path(store.data_dir).glob("slipway.db*"))

    assert store.cli("tokens", "revoke", token).stdout.startswith(f"{token_id}: revoked")
    assert "revoked" in store.cli("tokens", "list", "--user", user).stdout
    second = store.cli("tokens", "create", "ci", "--user", user, "--scope", "read", "--expires", "never").stdout.strip()
    store.cli("users", "remove", user)
    assert user not in store.cli("users", "list").stdout
    assert "active" not in store.cli("tokens", "list", "--user", user).stdout
    assert second.split("_")[1] in store.cli("tokens", "list").stdout


@pytest.mark.parametrize("args, message", [
    (["tokens", "create", "t", "--user", "nobody-here", "--scope", "read"], "No user named 'nobody-here'"),
    (["tokens", "create", "t", "--user", "x", "--scope", "root"], "Unknown scope 'root'"),
    (["tokens", "create", "t", "--user", "x"], "at least one scope"),
    (["tokens", "create", "t", "--user", "x", "--scope", "read", "--expires", "soon"], "lifetime"),
    (["tokens", "revoke", "slw_aaaaaaaaaa_" + "a" * 32], "No token with id 'aaaaaaaaaa'"),
    (["users", "add", "two words"], "A user name is 1 to 100 letters"),
    (["users", "remove", "nobody-here"], "No user named 'nobody-here'"),
])
def test_bad_input_is_a_message(store, args, message):
    result = store.cli(*args, check=False)
    assert result.returncode != 0 and message in result.stderr, (result.returncode, result.stderr)
    assert "Fatal error" not in result.stderr


def test_a_user_name_in_use_is_refused(store):
    user = unique("bob")
    store.cli("users", "add", user)
    result = store.cli("users", "add", user, check=False)
    assert result.returncode == 1 and f"A user named '{user}' already exists" in result.stderr
