"""The command line against a server (`--server URL` / SLIPWAY_SERVER, SLIPWAY_TOKEN): `models`,
`runs`, `experiments`, `policy`, `promote`, `approve`, `rollback` print what they print on the
store directly, with the same exit codes and messages; changes made remotely are the server's,
recorded under the token's user; a server that cannot be reached is a message and exit 2."""
import json
import os
import re
import subprocess

import pytest

from conftest import BACKENDS, BINARY, SlipwayServer, free_port, unique, use_mlflow
from serving_support import log_candidate
from test_auth import TOKEN, token


@pytest.fixture(scope="module", params=BACKENDS)
def server(request):
    s = SlipwayServer(request.param, extra_args=["--auth"]).start()
    yield s
    s.stop()


@pytest.fixture(scope="module")
def admin(server):
    return TOKEN.findall(server.log_path.read_text())[0]


@pytest.fixture(scope="module")
def model(server, admin):
    """A model with three versions (test_mae 0.5, 0.3, 0.45) and an experiment with their runs."""
    name = unique("remote-cli")
    os.environ["MLFLOW_TRACKING_TOKEN"] = admin
    try:
        use_mlflow(server.url, name)
        versions = [log_candidate(name, mae, seed) for mae, seed in [(0.5, 1), (0.3, 2), (0.45, 3)]]
    finally:
        del os.environ["MLFLOW_TRACKING_TOKEN"]
    assert versions == [1, 2, 3]
    return name


def remote(server, *args, token_text=None, env=None):
    environment = {k: v for k, v in os.environ.items() if not k.startswith("SLIPWAY_")}
    environment.update({"SLIPWAY_SERVER": server.url, **({"SLIPWAY_TOKEN": token_text} if token_text else {}), **(env or {})})
    return subprocess.run([str(BINARY), *args], capture_output=True, text=True, timeout=60, env=environment)


def same(server, admin, *args):
    """Runs a command locally and remotely; both must print the same and exit the same."""
    local = server.cli(*args, check=False)
    far = remote(server, *args, token_text=admin)
    assert (far.returncode, far.stdout, far.stderr) == (local.returncode, local.stdout, local.stderr), (args, local, far)
    return local


def test_reads_print_the_same(server, admin, model):
    assert model in same(server, admin, "models", "list").stdout
    assert '"registered_models"' in same(server, admin, "models", "list", "--json").stdout
    shown = same(server, admin, "models", "show", model).stdout
    assert re.search(r"^3\s+None\s+-", shown, re.M), shown
    same(server, admin, "models", "show", model, "--json")
    listed = same(server, admin, "runs", "list", "--experiment", model, "--order-by", "metrics.test_mae ASC").stdout
    assert listed.index("test_mae=0.3") < listed.index("test_mae=0.45") < listed.index("test_mae=0.5"), listed
    same(server, admin, "runs", "list", "--experiment", model, "--filter", "metrics.test_mae < 0.4", "--json")
    assert model in same(server, admin, "experiments", "list").stdout
    same(server, admin, "experiments", "list", "--json")
    # Errors: the same message and exit code.
    assert same(server, admin, "models", "show", "no-such-model").returncode == 1
    assert same(server, admin, "runs", "list", "--experiment", "no-such-experiment").returncode == 1
    assert same(server, admin, "runs", "list", "--experiment", model, "--filter", "metrics.x <<< 1").returncode == 1
    assert same(server, admin, "policy", "show", model).returncode == 1


def test_promotion_remotely_under_the_tokens_user(server, admin, model):
    user = unique("releaser")
    promoter = token(server, user, "promote")
    out = remote(server, "policy", "set", model, "--metric", "test_mae", "--mode", "approval", token_text=promoter)
    assert out.returncode == 0 and "test_mae, lower is better" in out.stdout, out.stderr
    same(server, admin, "policy", "show", model)
    same(server, admin, "policy", "show", model, "--json")
    same(server, admin, "policy", "list")
    assert same(server, admin, "promote", model, "--dry-run").stdout.count("Decision  await_approval v2") == 1
    local, far = server.cli("promote", model, "--dry-run", "--json"), remote(server, "promote", model, "--dry-run", "--json", token_text=admin)
    decisions = [json.loads(r.stdout) for r in (local, far)]
    for d in decisions:
        del d["decision"]["decided_at"]  # when each was decided
    assert decisions[0] == decisions[1] and decisions[0]["applied"] is False

    staged = remote(server, "promote", model, token_text=promoter)
    assert staged.returncode == 0 and "Decision  await_approval v2" in staged.stdout, staged.stderr
    approved = remote(server, "approve", model, "2", token_text=promoter)
    assert approved.returncode == 0 and "v2" in approved.stdout, approved.stderr
    moved = remote(server, "models", "alias", model, "production", "3", token_text=promoter)
    assert moved.returncode == 0 and moved.stdout.strip() == f"{model}@production -> version 3"
    rolled = remote(server, "rollback", model, token_text=promoter)
    assert rolled.returncode == 0 and "v2" in rolled.stdout, rolled.stderr
    history = same(server, admin, "models", "history", model).stdout
    actors = [line.split()[3] for line in history.splitlines()[2:]]
    assert actors == [user] * 4, history
    same(server, admin, "models", "history", model, "--json", "--limit", "2")
    # The store says what the server did.
    assert re.search(r"^2\s+Production\s+production", server.cli("models", "show", model).stdout, re.M)

    # A read token may look but not promote: the server's 403, exit 1.
    reader = token(server, unique("reader"), "read")
    refused = remote(server, "rollback", model, token_text=reader)
    assert refused.returncode == 1 and "needs the promote scope" in refused.stderr, refused.stderr
    assert remote(server, "models", "list", token_text=reader).returncode == 0
    deleted = remote(server, "policy", "delete", model, token_text=promoter)
    assert deleted.returncode == 0 and deleted.stdout.strip() == f"policy of {model} deleted"
    assert same(server, admin, "policy", "delete", model).returncode == 1


def test_credentials_and_reachability(server, model):
    anonymous = remote(server, "models", "list")
    assert anonymous.returncode == 1 and "requires authentication" in anonymous.stderr
    wrong = remote(server, "models", "list", token_text="slw_aaaaaaaaaa_" + "b" * 32)
    assert wrong.returncode == 1 and "not a live token" in wrong.stderr
    flags = subprocess.run([str(BINARY), "models", "list", "--server", server.url, "--token", token(server, unique("r"), "read")],
                           capture_output=True, text=True, timeout=60)
    assert flags.returncode == 0 and model in flags.stdout, flags.stderr
    down = remote(server, "models", "list", env={"SLIPWAY_SERVER": f"http://127.0.0.1:{free_port()}"})
    assert down.returncode == 2 and "unreachable" in down.stderr and "Fatal" not in down.stderr
    bad = remote(server, "models", "list", env={"SLIPWAY_SERVER": "ftp://example.com"})
    assert bad.returncode != 0 and "http:// or https://" in bad.stderr


def test_datasets_evaluate_jobs_and_predict(server, admin, model, tmp_path):
    import numpy as np
    import pandas as pd
    from serving_support import FEATURES

    rng = np.random.default_rng(5)
    frame = pd.DataFrame(rng.normal(size=(200, 4)), columns=FEATURES)
    frame["y"] = frame.f0 * 2 - frame.f1
    csv = tmp_path / "holdout.csv"
    frame.to_csv(csv, index=False)
    dataset = unique("holdout")
    writer = token(server, unique("writer"), "write")
    added = remote(server, "datasets", "add", dataset, str(csv), "--target", "y", token_text=writer)
    assert added.returncode == 0 and f"{dataset}@1 added: 200 rows, target y, sha256 " in added.stdout, added.stderr
    again = server.cli("datasets", "add", dataset, str(csv), "--target", "y").stdout
    assert again == added.stdout.replace("added", "already stored")
    assert dataset in same(server, admin, "datasets", "list").stdout

    evaluated = remote(server, "evaluate", "--model", model, "--version", "2", "--dataset", dataset, "--json", token_text=writer)
    assert evaluated.returncode == 0, evaluated.stderr
    far = json.loads(evaluated.stdout)
    near = json.loads(server.cli("evaluate", "--model", model, "--version", "2", "--dataset", dataset, "--json").stdout)
    assert far == near and far["rows"] == 200 and "rmse" in far["metrics"], (far, near)
    text = remote(server, "evaluate", "--model", model, "--version", "2", "--dataset", f"{dataset}@1", token_text=writer)
    assert text.stdout == server.cli("evaluate", "--model", model, "--version", "2", "--dataset", f"{dataset}@1").stdout
    assert same(server, admin, "evaluate", "--model", model, "--version", "9", "--dataset", dataset).returncode == 1

    job = unique("nightly")
    operator = token(server, unique("operator"), "admin")
    made = remote(server, "jobs", "add", job, "--kind", "evaluate", "--model", model, "--dataset", dataset, "--schedule", "0 3 * * *",
                  token_text=operator)
    assert made.returncode == 0 and made.stdout.startswith(f"{job}: evaluate {model} at '0 3 * * *', next run "), made.stderr
    assert f"evaluate {dataset}" in same(server, admin, "jobs", "list").stdout
    ran = remote(server, "jobs", "run", job, token_text=operator)
    assert ran.returncode == 0 and ran.stdout.startswith("succeeded in "), (ran.stdout, ran.stderr)
    assert "manual" in same(server, admin, "jobs", "history", job).stdout
    assert remote(server, "jobs", "remove", job, token_text=operator).stdout.strip() == f"job {job} removed"
    assert same(server, admin, "jobs", "history", job).returncode == 1

    # predict NAME@ALIAS: the version behind the alias, fetched through the server, gives what the local store gives.
    rows = tmp_path / "rows.csv"
    frame[FEATURES].head(50).to_csv(rows, index=False)
    reader = token(server, unique("reader"), "read")
    local_out, remote_out = tmp_path / "local.csv", tmp_path / "remote.csv"
    server.cli("predict", "--model", f"{model}@production", "--input", str(rows), "--output", str(local_out))
    far = remote(server, "predict", "--model", f"{model}@production", "--input", str(rows), "--output", str(remote_out),
                 "--data-dir", str(tmp_path / "cache"), token_text=reader)
    assert far.returncode == 0, far.stderr
    assert remote_out.read_text() == local_out.read_text() and len(local_out.read_text().splitlines()) == 51
    missing = remote(server, "predict", "--model", f"{model}@nowhere", "--input", str(rows), "--output", str(remote_out),
                     "--data-dir", str(tmp_path / "cache"), token_text=reader)
    assert missing.returncode == 1 and "nowhere" in missing.stderr
