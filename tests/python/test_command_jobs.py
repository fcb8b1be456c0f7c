"""Command jobs and what starts jobs besides the clock: a script run with MLflow pointed at the
server (the runs it logs linked to the job run, the whole output kept), a hanging one killed at its
timeout with its children and retried, jobs that run after others (skipped with the reason when
one fails), jobs started by events, exactly once across two servers sharing PostgreSQL, and a run
whose server was killed marked abandoned."""
import os
import signal
import sys
import textwrap

import pytest
import requests

from conftest import BACKENDS, SlipwayServer, unique, wait_until

PYTHON = sys.executable


@pytest.fixture(scope="module", params=BACKENDS)
def server(request):
    s = SlipwayServer(request.param, extra_args=["--job-heartbeat-ms", "200"]).start()
    yield s
    s.stop()


@pytest.fixture()
def two_servers():
    """Two servers sharing one PostgreSQL database, their jobs' heartbeats quick."""
    if "postgres" not in BACKENDS:
        pytest.skip("needs PostgreSQL")
    first = SlipwayServer("postgres", extra_args=["--job-heartbeat-ms", "200"]).start()
    second = SlipwayServer("postgres", extra_args=["--job-heartbeat-ms", "200"])
    second.database_url = first.database_url
    second.start()
    yield first, second
    second.stop()
    first.stop()


def add(server, name, command, **fields):
    body = {"name": name, "kind": "command", "command": command, **fields}
    r = requests.post(f"{server.url}/api/v1/jobs", json=body, timeout=10)
    assert r.status_code == 201, r.text
    return r.json()


def run_now(server, name):
    r = requests.post(f"{server.url}/api/v1/jobs/{name}/run", json={}, timeout=120)
    assert r.status_code == 200, r.text
    return r.json()


def runs(server, name):
    r = requests.get(f"{server.url}/api/v1/jobs/{name}/runs", timeout=10)
    assert r.status_code == 200, r.text
    return r.json()["runs"]


def script(tmp_path, name, body):
    path = tmp_path / name
    path.write_text(textwrap.dedent(body))
    return str(path)


def test_a_script_logs_to_this_server_and_its_runs_are_linked(server, tmp_path):
    experiment = unique("cmd")
    train = script(tmp_path, "train.py", f"""
        import os, mlflow
        mlflow.set_experiment("{experiment}")
        with mlflow.start_run():
            mlflow.log_metric("rmse", 0.25)
        print("trained by", os.environ["SLIPWAY_JOB"], "for", os.environ["GREETING"], flush=True)
        """)
    job = unique("train")
    created = add(server, job, {"command": [PYTHON, train], "cwd": str(tmp_path), "env": {"GREETING": "bikes"}, "timeout": 120})
    assert created["command"]["command"] == [PYTHON, train] and created["schedule"] is None and created["model"] == ""
    run = run_now(server, job)
    assert run["status"] == "succeeded", run
    assert f"trained by {job} for bikes" in run["output"]
    details = run["details"]
    assert details["exit_code"] == 0 and details["attempts"] == 1 and len(details["mlflow_runs"]) == 1, details
    logged = requests.get(f"{server.url}/api/2.0/mlflow/runs/get", params={"run_id": details["mlflow_runs"][0]}, timeout=10).json()["run"]
    tags = {t["key"]: t["value"] for t in logged["data"]["tags"]}
    assert tags["slipway.job"] == job and tags["slipway.job_run"] == run["id"]
    assert logged["data"]["metrics"][0]["value"] == 0.25
    output = requests.get(f"{server.url}/api/v1/jobs/{job}/runs/{run['id']}/output", timeout=10)
    assert output.status_code == 200 and f"trained by {job}" in output.text


def test_a_hanging_command_is_killed_with_its_children_at_its_timeout_and_retried(server, tmp_path):
    pids = tmp_path / "pids"
    hang = script(tmp_path, "hang.py", f"""
        import subprocess, time
        child = subprocess.Popen(["sleep", "300"])
        with open({str(pids)!r}, "a") as f:
            f.write(f"{{child.pid}}\\n")
        print("started", child.pid, flush=True)
        time.sleep(300)
        """)
    job = unique("hang")
    add(server, job, {"command": [PYTHON, hang], "timeout": 1.5, "retries": 1, "retry_backoff": 0.2})
    run = run_now(server, job)
    assert run["status"] == "failed", run
    assert run["details"]["attempts"] == 2 and run["details"]["timed_out"] is True, run["details"]
    assert "timed out after 1.5 s" in run["output"] and "attempt 2 of 2" in run["output"]
    children = [int(line) for line in pids.read_text().split()]
    assert len(children) == 2

    def gone(pid):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        # A zombie until its new parent reaps it: dead all the same.
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split(")")[1].split()[0] == "Z"

    wait_until(lambda: all(gone(pid) for pid in children), timeout=10, message="the commands' children killed with them")
    failed = requests.get(f"{server.url}/api/v1/events", params={"type": "ml.job.failed.v1"}, timeout=10).json()["events"]
    assert any(e["data"]["job"] == job and e["data"]["run_id"] == run["id"] for e in failed)


def test_jobs_run_after_others_and_are_skipped_when_one_fails(server, tmp_path):
    ingest, check, train = unique("ingest"), unique("validate"), unique("train")
    flag = tmp_path / "valid"
    add(server, ingest, [PYTHON, "-c", "print('ingested')"])
    add(server, check, [PYTHON, "-c", f"import os, sys; sys.exit(0 if os.path.exists({str(flag)!r}) else 3)"], after=[ingest])
    add(server, train, [PYTHON, "-c", "print('trained')"], after=check)  # a comma list works too
    assert requests.get(f"{server.url}/api/v1/jobs", timeout=10).json()["jobs"]

    run_now(server, ingest)
    skipped = wait_until(lambda: [r for r in runs(server, train) if r["status"] == "skipped"], timeout=20, message="train skipped")
    assert f"runs after {check} failed" in skipped[0]["output"], skipped
    assert runs(server, check)[0]["status"] == "failed" and runs(server, check)[0]["trigger"] == "after"

    flag.write_text("ok")
    run_now(server, ingest)
    done = wait_until(lambda: [r for r in runs(server, train) if r["status"] == "succeeded"], timeout=20, message="train run after validate")
    assert done[0]["trigger"] == "after" and "trained" in done[0]["output"]
    assert len(runs(server, train)) == 2 and len(runs(server, check)) == 2
    # A job that others run after cannot go first.
    refused = requests.delete(f"{server.url}/api/v1/jobs/{check}", timeout=10)
    assert refused.status_code == 400 and refused.json()["error_code"] == "INVALID_PARAMETER_VALUE" and train in refused.json()["message"]


def test_an_event_starts_a_job_once_per_new_event(server, tmp_path):
    job = unique("on-version")
    add(server, job, [PYTHON, "-c", "print('a new version')"], on="ml.registry.model_version.created.v1")
    # Events recorded before the job existed do not start it.
    model = unique("evented")
    api = f"{server.url}/api/2.0/mlflow"
    requests.post(f"{api}/registered-models/create", json={"name": model}, timeout=10).raise_for_status()
    run = requests.post(f"{api}/runs/create", json={"experiment_id": "0"}, timeout=10).json()["run"]["info"]["run_id"]
    requests.post(f"{api}/model-versions/create", json={"name": model, "source": f"runs:/{run}/m", "run_id": run}, timeout=10).raise_for_status()
    first = wait_until(lambda: runs(server, job), timeout=20, message="the job started by the event")
    assert first[0]["trigger"] == "event" and first[0]["status"] in ("running", "succeeded")
    requests.post(f"{api}/model-versions/create", json={"name": model, "source": f"runs:/{run}/m", "run_id": run}, timeout=10).raise_for_status()
    wait_until(lambda: len(runs(server, job)) == 2, timeout=20, message="a second run for the second event")


def test_bad_jobs_are_refused_with_clear_errors(server):
    url = f"{server.url}/api/v1/jobs"
    cases = [
        ({"name": unique("x"), "kind": "command", "command": ["no-such-program-anywhere"]}, 400, "not found on PATH"),
        ({"name": unique("x"), "kind": "command", "command": [PYTHON], "after": [unique("ghost")]}, 404, "does not exist"),
        ({"name": unique("x"), "kind": "command", "command": [PYTHON], "schedule": "0 2 * * *", "timezone": "Mars/Base"}, 400, "Unknown time zone"),
        ({"name": unique("x"), "kind": "command", "command": [PYTHON], "timezone": "Europe/Paris"}, 400, "'timezone' is for a 'schedule'"),
        ({"name": unique("x"), "kind": "command", "command": []}, 400, "needs 'command'"),
        ({"name": unique("x"), "kind": "command", "command": {"command": [PYTHON], "timeout": -1}}, 400, "'timeout'"),
        ({"name": unique("x"), "kind": "command", "command": [PYTHON], "on": "ml.nothing.v1"}, 400, "Unknown event type"),
        ({"name": "self", "kind": "command", "command": [PYTHON], "after": ["self"]}, 400, "cannot run after itself"),
    ]
    for body, status, message in cases:
        r = requests.post(url, json=body, timeout=10)
        assert r.status_code == status and message in r.json()["message"], (body, r.text)
    # The command line says so too, and exits non-zero.
    import subprocess
    # The store's options before `--`: what follows it is the program and its arguments.
    command = server.command("jobs", "add", unique("x"), "--kind", "command") + ["--", "no-such-program-anywhere"]
    bad = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert bad.returncode != 0 and "not found on PATH" in bad.stderr, bad.stderr


def test_two_servers_sharing_postgres_run_each_step_once(two_servers, tmp_path):
    first, second = two_servers
    lines = tmp_path / "lines"
    step, after = unique("step"), unique("after")
    append = f"open({str(lines)!r}, 'a').write('{{}}\\n'.format(__import__('os').environ['SLIPWAY_JOB']))"
    add(first, step, [PYTHON, "-c", append])
    add(first, after, [PYTHON, "-c", append], after=[step])
    for round_ in (1, 2):
        run_now(first if round_ == 1 else second, step)
        wait_until(lambda: len([r for r in runs(first, after) if r["status"] == "succeeded"]) == round_, timeout=20,
                   message=f"the dependent step's run {round_}")
    assert len(runs(second, after)) == 2
    assert lines.read_text().split().count(after) == 2


def test_a_run_whose_server_was_killed_is_marked_abandoned_and_the_next_proceeds(fresh_server, tmp_path):
    server = fresh_server("sqlite")
    server.extra_args = ["--job-heartbeat-ms", "200"]
    server.start()
    flag, pid_file = tmp_path / "quick", tmp_path / "pid"
    slow = script(tmp_path, "slow.py", f"""
        import os, time
        open({str(pid_file)!r}, "w").write(str(os.getpid()))
        if not os.path.exists({str(flag)!r}):
            time.sleep(120)
        print("done", flush=True)
        """)
    kick, job = unique("kick"), unique("slow")
    add(server, kick, [PYTHON, "-c", "pass"])
    add(server, job, [PYTHON, slow], after=[kick])
    run_now(server, kick)
    wait_until(lambda: [r for r in runs(server, job) if r["status"] == "running"], timeout=20, message="the slow job running")
    wait_until(pid_file.exists, timeout=10, message="the slow job's process")
    server.stop(signal.SIGKILL)
    try:
        os.kill(int(pid_file.read_text()), signal.SIGKILL)  # left behind by the killed server
    except ProcessLookupError:
        pass
    flag.write_text("now")
    server.start()
    abandoned = wait_until(lambda: [r for r in runs(server, job) if r["status"] == "abandoned"], timeout=20, message="the run marked abandoned")
    assert "abandoned" in abandoned[0]["output"] and abandoned[0]["finished_at"] is not None
    assert run_now(server, job)["status"] == "succeeded"


def test_on_a_server_with_auth_a_command_logs_with_a_token_made_for_its_run(tmp_path):
    from test_auth import TOKEN
    server = SlipwayServer("sqlite", extra_args=["--auth"]).start()
    try:
        admin = {"Authorization": f"Bearer {TOKEN.findall(server.log_path.read_text())[0]}"}
        train = script(tmp_path, "train.py", """
            import os, mlflow
            mlflow.set_experiment("with-auth")
            with mlflow.start_run():
                mlflow.log_metric("rmse", 0.5)
            print("token", os.environ["MLFLOW_TRACKING_TOKEN"][:4], flush=True)
            """)
        job = unique("train")
        r = requests.post(f"{server.url}/api/v1/jobs", json={"name": job, "kind": "command", "command": [PYTHON, train]}, headers=admin, timeout=10)
        assert r.status_code == 201, r.text
        run = requests.post(f"{server.url}/api/v1/jobs/{job}/run", json={}, headers=admin, timeout=120).json()
        assert run["status"] == "succeeded" and "token slw_" in run["output"], run
        assert len(run["details"]["mlflow_runs"]) == 1, run["details"]
        # Made for the run, revoked after it.
        tokens = server.cli("tokens", "list").stdout
        line = next(line for line in tokens.splitlines() if f"job-{job}-" in line)
        assert "revoked" in line, tokens
    finally:
        server.stop()
