"""Pipelines as a file: `slipway pipelines apply pipeline.yaml` declares jobs and their links,
idempotently (a changed file changes only what changed, and the change is recorded); the steps run
in order, once, across two servers sharing PostgreSQL; `pipelines show` prints the graph with each
step's last run; a cycle, an unknown job, malformed YAML or a missing program is refused with
nothing applied."""
import sys
import textwrap

import requests

from conftest import unique, wait_until
from test_command_jobs import run_now, runs, two_servers  # noqa: F401 (a fixture)

PYTHON = sys.executable


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return str(path)


def pipeline_file(tmp_path, name, steps, train_command=None):
    """ingest (writes a batch) -> validate (a schema's check of the batch) -> train; each command step notes its name in `lines`."""
    lines = tmp_path / "lines"
    write(tmp_path, "step.py", f"""
        import os
        with open({str(lines)!r}, "a") as f:
            f.write(os.environ["SLIPWAY_JOB"] + "\\n")
        with open("batch.csv", "w") as f:
            f.write("id,value\\n1,0.5\\n2,0.7\\n")
        """)
    write(tmp_path, "schema.yaml", """
        columns:
          id: {type: integer, unique: true}
          value: {type: number, min: 0, max: 1}
        rows: {min: 1}
        """)
    ingest, validate, train = steps
    return write(tmp_path, "pipeline.yaml", f"""
        pipeline: {name}
        timezone: America/New_York
        jobs:
          {ingest}:
            command: [{PYTHON}, step.py]
            schedule: "0 3 * * *"
            timeout: 60
          {validate}:
            validate: {{source: batch.csv, schema: schema.yaml}}
            after: {ingest}
          {train}:
            command: {train_command or f'[{PYTHON}, step.py]'}
            after: [{validate}]
            retries: 1
            retry_backoff: 0.1
        """), lines


def test_a_pipeline_from_yaml_runs_in_order_once_across_two_servers(two_servers, tmp_path):
    first, second = two_servers
    name = unique("bikes")
    steps = (unique("ingest"), unique("validate"), unique("train"))
    path, lines = pipeline_file(tmp_path, name, steps)
    applied = first.cli("pipelines", "apply", path)
    assert f"pipeline {name}" in applied.stdout and "created: " in applied.stdout, applied.stdout
    jobs = {j["name"]: j for j in requests.get(f"{second.url}/api/v1/jobs", timeout=10).json()["jobs"]}
    assert jobs[steps[0]]["timezone"] == "America/New_York" and jobs[steps[0]]["pipeline"] == name
    assert jobs[steps[1]]["after"] == [steps[0]] and jobs[steps[1]]["kind"] == "validate" and jobs[steps[2]]["command"]["retries"] == 1
    assert jobs[steps[2]]["command"]["cwd"] == str(tmp_path)  # the file's folder

    run_now(second, steps[0])
    wait_until(lambda: [r for r in runs(first, steps[2]) if r["status"] == "succeeded"], timeout=30, message="the last step")
    assert lines.read_text().split() == [steps[0], steps[2]]  # ingest, then train, once each
    assert [len(runs(first, step)) for step in steps] == [1, 1, 1]
    assert runs(second, steps[1])[0]["details"]["passed"] is True
    shown = first.cli("pipelines", "show", name).stdout
    assert shown.index(steps[0]) < shown.index(steps[1]) < shown.index(steps[2]) and shown.count("succeeded") == 3, shown
    graph = requests.get(f"{second.url}/api/v1/pipelines/{name}", timeout=10).json()
    assert [s["name"] for s in graph["steps"]] == list(steps) and graph["steps"][2]["last_run"]["trigger"] == "after"


def test_applying_again_changes_only_what_changed_and_records_it(server, tmp_path):
    name = unique("bikes")
    steps = (unique("ingest"), unique("validate"), unique("train"))
    path, _ = pipeline_file(tmp_path, name, steps)
    assert "created: " + ", ".join(sorted(steps)) in server.cli("pipelines", "apply", path).stdout
    before = {j["name"]: j for j in requests.get(f"{server.url}/api/v1/jobs", timeout=10).json()["jobs"]}
    assert "nothing to change" in server.cli("pipelines", "apply", path).stdout

    path, _ = pipeline_file(tmp_path, name, steps, train_command=f"[{PYTHON}, -c, 'print(2)']")
    dry = server.cli("pipelines", "apply", "--dry-run", path).stdout
    assert "dry run" in dry and f"changed: {steps[2]}" in dry
    out = server.cli("pipelines", "apply", path).stdout
    assert f"changed: {steps[2]}" in out and "created" not in out, out
    after = {j["name"]: j for j in requests.get(f"{server.url}/api/v1/jobs", timeout=10).json()["jobs"]}
    assert after[steps[0]] == before[steps[0]] and after[steps[2]]["command"]["command"][-1] == "print(2)"

    # A step taken out of the file goes (once nothing runs after it).
    short = write(tmp_path, "short.yaml", f"""
        pipeline: {name}
        jobs:
          {steps[0]}: {{command: [{PYTHON}, -c, "pass"], schedule: "0 3 * * *", timezone: America/New_York, timeout: 60}}
        """)
    out = server.cli("pipelines", "apply", short).stdout
    assert "removed: " + ", ".join(sorted(steps[1:])) in out, out
    events = requests.get(f"{server.url}/api/v1/events", params={"type": "ml.pipeline.applied.v1", "max_results": 100}, timeout=10).json()["events"]
    mine = [e["data"] for e in events if e["subject"] == f"pipelines/{name}"]
    assert len(mine) == 3 and mine[0]["removed"] == sorted(steps[1:]) and mine[1]["changed"] == [steps[2]], mine
    assert "removed" in server.cli("pipelines", "remove", name).stdout
    assert name not in server.cli("pipelines", "list").stdout


def test_bad_pipelines_are_refused_and_nothing_is_applied(server, tmp_path):
    name = unique("bad")
    a, b = unique("a"), unique("b")
    cases = {
        "cycle": (f"""
            pipeline: {name}
            jobs:
              {a}: {{command: [{PYTHON}, -c, "pass"], after: [{b}]}}
              {b}: {{command: [{PYTHON}, -c, "pass"], after: [{a}]}}
            """, "form a cycle"),
        "unknown": (f"""
            pipeline: {name}
            jobs:
              {a}: {{command: [{PYTHON}, -c, "pass"], after: [ghost-{a}]}}
            """, "does not exist"),
        "missing program": (f"""
            pipeline: {name}
            jobs:
              {a}: {{command: [{PYTHON}, -c, "pass"]}}
              {b}: {{command: [no-such-program-anywhere]}}
            """, "not found on PATH"),
        "malformed": (f"""
            pipeline: {name}
            jobs:
              {a}: {{command: [unclosed
            """, "not valid YAML"),
        "unquoted cron": (f"""
            pipeline: {name}
            jobs:
              {a}: {{command: [{PYTHON}], schedule: */5 * * * *}}
            """, ""),
        "stray field": (f"""
            pipeline: {name}
            jobs:
              {a}: {{kind: promote, model: m, retries: 2}}
            """, "'retries' is for command jobs"),
    }
    for label, (text, message) in cases.items():
        path = write(tmp_path, f"{label.replace(' ', '-')}.yaml", text)
        result = server.cli("pipelines", "apply", path, check=False)
        assert result.returncode != 0 and message in result.stderr, (label, result.stderr)
    names = {j["name"] for j in requests.get(f"{server.url}/api/v1/jobs", timeout=10).json()["jobs"]}
    assert a not in names and b not in names
    body = {"pipeline": name, "jobs": {a: {"command": [PYTHON, "-c", "pass"], "after": [b]}, b: {"command": [PYTHON], "after": [a]}}}
    r = requests.put(f"{server.url}/api/v1/pipelines/{name}", json=body, timeout=10)
    assert r.status_code == 400 and "cycle" in r.json()["message"], r.text
    r = requests.put(f"{server.url}/api/v1/pipelines/other", json=body, timeout=10)
    assert r.status_code == 400 and "sent to /api/v1/pipelines/other" in r.json()["message"]
