"""Promotion end to end with the real mlflow client: runs log test_mae, versions are registered,
a policy is set, `slipway promote` moves production (and the serving side follows), archives the
old version, stages a not-better-enough one, records why, writes events; rollback and approval;
racing promotions."""
import concurrent.futures

import pytest
import requests

from conftest import BACKENDS, SlipwayServer, use_mlflow
from serving_support import log_candidate as log_model_candidate, wait_for_version

# Each test promotes a model of its own; the server serves all three.
MODEL, APPROVED, RACED = "promo", "promo-approval", "promo-race"


@pytest.fixture(scope="module", params=BACKENDS)
def server(request):
    s = SlipwayServer(request.param, [arg for name in (MODEL, APPROVED, RACED) for arg in ("--model", f"{name}@production")]).start()
    yield s
    s.stop()


@pytest.fixture(autouse=True)
def mlflow_on(server):
    use_mlflow(server.url, "promotion")


def log_candidate(mae, seed, tags=None, model=MODEL):
    return log_model_candidate(model, mae, seed, tags)


def aliases(server, model=MODEL):
    versions = requests.get(f"{server.url}/api/2.0/mlflow/model-versions/search", params={"filter": f"name='{model}'"}).json()["model_versions"]
    return {a: int(v["version"]) for v in versions for a in v.get("aliases", [])}, {int(v["version"]): v["current_stage"] for v in versions}


def in_production(server, model, mae, seed):
    """Logs a candidate and promotes it under a plain test_mae policy: the champion a test starts from."""
    version = log_candidate(mae, seed, model=model)
    requests.put(f"{server.url}/api/v1/models/{model}/policy", json={"metric": "test_mae"}).raise_for_status()
    decision = requests.post(f"{server.url}/api/v1/models/{model}/promote", json={"actor": "setup"}).json()["decision"]
    assert decision["action"] == "promote" and decision["challenger"] == str(version), decision
    wait_for_version(server.url, version, name=model, limit=2.0)
    return version


def test_policy_promote_stage_rollback_and_audit(server):
    r = server.cli("promote", MODEL, check=False)
    assert r.returncode == 1 and "RESOURCE_DOES_NOT_EXIST" not in r.stderr and "not found" in r.stderr.lower(), r.stderr
    v1 = log_candidate(0.40, 1)
    r = server.cli("promote", MODEL, check=False)
    assert r.returncode == 1 and "has no promotion policy" in r.stderr
    assert server.cli("policy", "set", MODEL, "--direction", "sideways", "--metric", "test_mae", check=False).returncode != 0
    out = server.cli("policy", "set", MODEL, "--metric", "test_mae").stdout
    assert "test_mae, lower is better, at least 5% better, last 7 days" in out and "auto" in out

    # No production yet: the only candidate is promoted, and the server starts serving it.
    out = server.cli("promote", MODEL).stdout
    assert "Decision  promote v1" in out and "No version is in production" in out
    wait_for_version(server.url, v1, name=MODEL, limit=2.0)

    # Two more: v2 is 25% better than v1 and wins; v3 is a candidate that loses.
    v2, v3 = log_candidate(0.30, 2), log_candidate(0.35, 3)
    dry = server.cli("promote", MODEL, "--dry-run").stdout
    assert "Decision  promote v2" in dry and "Dry run" in dry
    assert aliases(server)[0]["production"] == v1
    out = server.cli("promote", MODEL).stdout
    assert "25% better, at least the 5% required" in out, out
    named, stages = aliases(server)
    assert named["production"] == v2 and named["previous"] == v1
    assert stages[v2] == "Production" and stages[v1] == "Archived" and stages[v3] == "None"
    wait_for_version(server.url, v2, name=MODEL, limit=2.0)

    # v4 is better, but by less than 5%: staged, production stays.
    v4 = log_candidate(0.29, 4)
    out = server.cli("promote", MODEL).stdout
    assert "Decision  stage v4" in out and "less than the 5% required" in out
    named, stages = aliases(server)
    assert named["production"] == v2 and named["staging"] == v4 and stages[v4] == "Staging"

    # The audit log explains each step, newest first, over the API and the CLI.
    decisions = requests.get(f"{server.url}/api/v1/models/{MODEL}/decisions").json()["decisions"]
    assert [d["action"] for d in decisions] == ["stage", "promote", "promote"]
    assert decisions[1]["from_version"] == str(v1) and decisions[1]["to_version"] == str(v2) and decisions[1]["actor"].startswith("cli:")
    assert decisions[1]["details"]["champion_value"] == 0.40 and decisions[1]["details"]["challenger_value"] == 0.30
    assert {row["version"]: row["note"] for row in decisions[1]["details"]["considered"]} == {
        str(v3): "candidate", str(v2): "best candidate", str(v1): "champion (production)"}
    history = server.cli("models", "history", MODEL).stdout
    assert "decision" in history and "v1" in history and "v2" in history and "less than the 5% required" in history

    # Events, written with each change.
    events = requests.get(f"{server.url}/api/v1/events", params={"subject": f"models/{MODEL}/"}).json()["events"]
    types = [(e["type"], e["data"]["version"]) for e in events if e["type"].startswith("ml.model.")]
    assert types == [("ml.model.staged.v1", str(v4)), ("ml.model.archived.v1", str(v1)), ("ml.model.promoted.v1", str(v2)), ("ml.model.promoted.v1", str(v1))]
    promoted = next(e for e in events if e["type"] == "ml.model.promoted.v1" and e["data"]["version"] == str(v2))
    assert promoted["data"]["previous_version"] == str(v1) and promoted["data"]["value"] == 0.30 and promoted["source"] == "/slipway/promotion"

    # Rollback puts v1 back (the server follows) and keeps v2 one command away.
    out = server.cli("rollback", MODEL).stdout
    assert f"back to v{v1}" in out
    named, stages = aliases(server)
    assert named["production"] == v1 and named["previous"] == v2 and stages[v1] == "Production" and stages[v2] == "Archived"
    wait_for_version(server.url, v1, name=MODEL, limit=2.0)
    assert requests.get(f"{server.url}/api/v1/models/{MODEL}/decisions").json()["decisions"][0]["kind"] == "rollback"
    rolled_back = requests.get(f"{server.url}/api/v1/events", params={"type": "ml.model.rolled_back.v1", "subject": f"models/{MODEL}/"}).json()["events"]
    assert rolled_back[0]["data"]["version"] == str(v1)
    requests.post(f"{server.url}/api/v1/models/{MODEL}/rollback", json={"actor": "test"}).raise_for_status()  # and back again
    assert aliases(server)[0]["production"] == v2


def test_approval_mode_and_api_errors(server):
    url, model = server.url, APPROVED
    champion = in_production(server, model, 0.30, 2)
    r = requests.put(f"{url}/api/v1/models/{model}/policy", json={"metric": "test_mae", "mode": "approval", "min_improvement": 0.01, "improvement": "absolute"})
    assert r.status_code == 200 and r.json()["mode"] == "approval" and r.json()["direction"] == "lower"
    v5 = log_candidate(0.10, 5, model=model)
    decision = requests.post(f"{url}/api/v1/models/{model}/promote", json={"actor": "scheduler"}).json()["decision"]
    assert decision["action"] == "await_approval" and decision["challenger"] == str(v5)
    named, stages = aliases(server, model)
    assert named["staging"] == v5 and named["production"] == champion
    r = requests.post(f"{url}/api/v1/models/{model}/approve", json={"version": str(champion)})
    assert r.status_code == 400 and "not waiting for approval" in r.json()["message"]
    out = server.cli("approve", model, str(v5)).stdout
    assert f"approved v{v5}" in out
    named, stages = aliases(server, model)
    assert named["production"] == v5 and "staging" not in named and stages[v5] == "Production"
    wait_for_version(url, v5, name=model, limit=2.0)

    for body, message in [({"metric": ""}, "metric"), ({"metric": "x", "direction": "up"}, "direction"),
                          ({"metric": "x", "lookback_days": -1}, "lookback_days"), ({"metric": "x", "colour": 1}, "Unknown policy field"),
                          ({"metric": "x", "min_improvement": "5%"}, "must be a number"), ([1], "JSON object")]:
        r = requests.put(f"{url}/api/v1/models/{model}/policy", json=body)
        assert r.status_code == 400 and message in r.json()["message"], (body, r.text)
    assert requests.put(f"{url}/api/v1/models/nope/policy", json={"metric": "x"}).status_code == 404
    assert requests.post(f"{url}/api/v1/models/nope/promote").status_code == 404
    assert requests.post(f"{url}/api/v1/models/{model}/promote", json={"dry_run": "maybe"}).status_code == 400
    assert requests.get(f"{url}/api/v1/models/{model}/policy").json()["mode"] == "approval"


def test_racing_promotions_exactly_one_wins(server):
    """Eight promotions at once after a clearly better version appears: one moves production,
    the others see it moved (409) or decide afresh against the new champion."""
    url, model = server.url, RACED
    champion = in_production(server, model, 0.10, 5)
    before = requests.get(f"{url}/api/v1/models/{model}/decisions", params={"max_results": 1000}).json()["decisions"]
    winner = log_candidate(0.01, 6, model=model)

    def promote(_):
        r = requests.post(f"{url}/api/v1/models/{model}/promote", json={"actor": "race"})
        return r.status_code, r.json()

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        results = list(pool.map(promote, range(8)))
    assert all(status in (200, 409) for status, _ in results), results
    applied = [body["decision"] for status, body in results if status == 200 and body["decision"]["action"] == "promote"]
    assert len(applied) == 1 and applied[0]["challenger"] == str(winner)
    assert all(body["error_code"] == "RESOURCE_CONFLICT" for status, body in results if status == 409)
    after = requests.get(f"{url}/api/v1/models/{model}/decisions", params={"max_results": 1000}).json()["decisions"]
    new = after[: len(after) - len(before)]
    assert [d["to_version"] for d in new if d["action"] == "promote"] == [str(winner)]
    named, stages = aliases(server, model)
    assert named["production"] == winner and named["previous"] == champion and stages[champion] == "Archived"
    promoted = requests.get(f"{url}/api/v1/events", params={"type": "ml.model.promoted.v1", "subject": f"models/{model}/versions/{winner}"}).json()["events"]
    assert len(promoted) == 1
    wait_for_version(url, winner, name=model, limit=2.0)  # and the serving side follows the one winner
