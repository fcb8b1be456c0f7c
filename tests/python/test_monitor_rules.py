"""Monitoring rules that act: a model served, its requests logged, actuals posted for most of them;
then shifted inputs and worse predictions. The rule fires once (signed webhook events, a Slack
text), production rolls back with an audit record naming the rule, a `job:NAME` action runs its
job; later checks stay quiet until the data recovers and the rule clears."""
import json
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd
import pytest
import requests
import xgboost as xgb

from conftest import BACKENDS, SlipwayServer, free_port, use_mlflow, wait_until
from serving_support import FEATURES, events, log_version, wait_for_version
from test_webhook_delivery import SECRET, Receiver, verify

MODEL = "guarded"
YEARLY = "0 0 1 1 *"  # the tests run the jobs themselves


@pytest.fixture(scope="module", params=BACKENDS)
def server(request):
    s = SlipwayServer(request.param, ["--model", f"{MODEL}@production"]).start()
    yield s
    s.stop()


def features(n, seed, shift=0.0):
    return pd.DataFrame(np.random.default_rng(seed).normal(size=(n, 4)) + shift, columns=FEATURES)


def truth(frame, seed, bias=0.0):
    return 2 * frame.f0 - frame.f1 + bias + np.random.default_rng(seed).normal(scale=0.3, size=len(frame))


def serve(url, frame, prefix):
    """One request per row, ids `<prefix>-<i>`, four at a time; returns {request id: (version, prediction)}."""
    records = frame.to_dict("records")

    def post(i):
        with requests.post(f"{url}/models/{MODEL}/predict", json=[records[i]], headers={"X-Request-Id": f"{prefix}-{i}"}, timeout=10) as r:
            assert r.status_code == 200, r.text
            body = r.json()
            return f"{prefix}-{i}", (body["version"], body["predictions"][0])

    with ThreadPoolExecutor(4) as pool:
        return dict(pool.map(post, range(len(records))))


def logged(url, answered):
    """Waits until every answered request is in the log (the writer flushes in the background)."""
    prefix = next(iter(answered)).split("-")[0] + "-"

    def enough():
        r = requests.get(f"{url}/api/v1/models/{MODEL}/predictions", params={"kind": "served", "since": "1h", "limit": 10_000}, timeout=30)
        return sum(p["id"].startswith(prefix) for p in r.json()["predictions"]) >= len(answered)
    wait_until(enough, timeout=60, message=f"{len(answered)} logged requests")


def post_actuals(url, answered, values, share=0.8):
    """Actuals for the first `share` of the answered requests."""
    ids = list(answered)[: int(len(answered) * share)]
    r = requests.post(f"{url}/api/v1/models/{MODEL}/actuals", json={"actuals": [{"id": k, "value": float(values[k])} for k in ids]}, timeout=60)
    assert r.status_code == 200 and r.json()["matched"] == len(ids), r.text


def run_job(url, name):
    r = requests.post(f"{url}/api/v1/jobs/{name}/run", timeout=120)
    assert r.status_code == 200, r.text
    return r.json()


def rule(url, name):
    r = requests.get(f"{url}/api/v1/monitor/rules/{name}", timeout=10)
    assert r.status_code == 200, r.text
    return r.json()


def test_a_rule_fires_once_rolls_back_and_clears(server, tmp_path):
    import mlflow
    url = server.url
    use_mlflow(url, "monitor-rules")
    receiver = Receiver(free_port())
    receiver.start()
    try:
        r = requests.post(f"{url}/api/v1/webhooks", json={"url": receiver.url + "/events", "events": ["ml.model.*"], "secret": SECRET}, timeout=10)
        assert r.status_code in (200, 201), r.text
        slack = {"url": receiver.url + "/slack", "events": ["ml.model.drift_detected.v1", "ml.model.performance_degraded.v1"], "format": "slack"}
        assert requests.post(f"{url}/api/v1/webhooks", json=slack, timeout=10).status_code in (200, 201)

        train = features(600, 1)
        boosters = [xgb.train({"objective": "reg:squarederror", "max_depth": 3, "seed": s}, xgb.DMatrix(train, label=truth(train, s)), 20 + s) for s in (1, 2)]
        v1, v2 = (log_version(MODEL, b) for b in boosters)
        client = mlflow.MlflowClient()
        client.set_registered_model_alias(MODEL, "previous", str(v1))
        client.set_registered_model_alias(MODEL, "production", str(v2))
        holdout = features(1500, 3)
        holdout["y"] = truth(holdout, 4)
        holdout.to_csv(tmp_path / "holdout.csv", index=False)
        server.cli("datasets", "add", "guard-holdout", str(tmp_path / "holdout.csv"), "--target", "y")
        server.cli("jobs", "add", "evaluate-guarded", "--kind", "evaluate", "--model", MODEL, "--dataset", "guard-holdout@1", "--schedule", YEARLY)

        out = server.cli("monitor", "set", MODEL, "--rule", "guard", "--reference", "guard-holdout@1", "--drift-share", "0.5", "--metric", "rmse",
                         "--max", "1.2", "--window", "1d", "--min-labeled", "100", "--on-breach", "rollback", "--schedule", YEARLY).stdout
        assert "rule guard on guarded" in out and "job monitor-guard" in out
        # Two more rules on the same model: one runs a job on a breach, one names a job that does not exist.
        server.cli("monitor", "set", MODEL, "--rule", "reevaluate", "--metric", "rmse", "--max", "1.2", "--on-breach", "job:evaluate-guarded")
        server.cli("monitor", "set", MODEL, "--rule", "broken", "--reference", "guard-holdout@1", "--drift-share", "0.5", "--on-breach", "job:nope")

        # No traffic yet: nothing to judge, and the run says why.
        wait_for_version(url, v2, MODEL, limit=30)
        empty = run_job(url, "monitor-guard")
        assert empty["status"] == "succeeded" and empty["output"].startswith("inconclusive"), empty
        assert "fewer than min_labeled 100" in empty["output"] and "drift not checked" in empty["output"]

        # 5,000 requests like the reference, actuals for 80% of them: within bounds.
        normal = features(5000, 5)
        answered = serve(url, normal, "n")
        assert {v for v, _ in answered.values()} == {str(v2)}
        values = dict(zip(answered, truth(normal, 6)))
        logged(url, answered)
        post_actuals(url, answered, values)
        ok = run_job(url, "monitor-guard")
        assert ok["status"] == "succeeded" and ok["output"].startswith(f"ok ({MODEL} v{v2})"), ok
        assert rule(url, "guard")["state"] == "ok"

        # Shifted inputs, and actuals far from what the model says.
        shifted = features(3000, 7, shift=2.5)
        moved = serve(url, shifted, "s")
        values |= dict(zip(moved, truth(shifted, 8, bias=3.0)))
        logged(url, moved)
        post_actuals(url, moved, values)

        retrain = requests.post(f"{url}/api/v1/monitor/rules/reevaluate/check", timeout=120).json()
        assert retrain["outcome"] == "breached" and retrain["action"].startswith("ran job evaluate-guarded: succeeded"), retrain
        [evaluation_run] = requests.get(f"{url}/api/v1/jobs/evaluate-guarded/runs", timeout=10).json()["runs"]
        assert evaluation_run["trigger"] == "monitor" and evaluation_run["status"] == "succeeded", evaluation_run
        broken = requests.post(f"{url}/api/v1/monitor/rules/broken/check", timeout=120).json()
        assert broken["outcome"] == "breached" and broken["action_failed"] and "No job named 'nope'" in broken["action"], broken

        fired = run_job(url, "monitor-guard")
        assert fired["status"] == "succeeded" and fired["output"].startswith(f"breached ({MODEL} v{v2})"), fired
        assert f"rolled back to v{v1}" in fired["output"]
        check = rule(url, "guard")
        assert check["state"] == "breached"
        last = check["last_check"]
        assert last["drift"]["breached"] and set(FEATURES) <= set(last["drift"]["drifted_columns"]) and last["drift"]["rows"] >= 8000
        assert last["performance"]["value"] > 1.2 and last["performance"]["labeled"] == 4000 + 2400 and last["performance"]["predictions"] >= 8000
        assert client.get_model_version_by_alias(MODEL, "production").version == str(v1)
        [record] = requests.get(f"{url}/api/v1/models/{MODEL}/decisions", params={"max_results": 1}, timeout=10).json()["decisions"]
        assert record["kind"] == "rollback" and record["actor"] == "monitor:guard" and "rule 'guard' breached" in record["summary"], record

        # The webhook receiver gets each breach once, signed; Slack gets a line a person reads.
        def delivered(kind, rule="guard"):
            return [e for e in (json.loads(body) for path, headers, body in list(receiver.received) if path == "/events" and verify(headers, body))
                    if e["type"] == kind and e["data"].get("rule", rule) == rule]
        wait_until(lambda: delivered("ml.model.drift_detected.v1") and delivered("ml.model.performance_degraded.v1")
                   and delivered("ml.model.rolled_back.v1"), timeout=30, message="the breach's events")
        guard_drift = delivered("ml.model.drift_detected.v1")
        [degraded] = delivered("ml.model.performance_degraded.v1")
        assert len(guard_drift) == 1 and guard_drift[0]["data"]["action"] == "rollback" and guard_drift[0]["subject"] == f"models/{MODEL}/versions/{v2}"
        assert degraded["data"]["metric"] == "rmse" and degraded["data"]["value"] > 1.2 and degraded["data"]["max"] == 1.2
        [rolled] = delivered("ml.model.rolled_back.v1")
        assert rolled["data"]["actor"] == "monitor:guard" and rolled["data"]["version"] == str(v1)
        wait_until(lambda: any(path == "/slack" and b"data drift" in body for path, _, body in receiver.received), timeout=30, message="the Slack text")

        # Breached already: checks stay quiet, however often they run.
        assert run_job(url, "monitor-guard")["output"].startswith("still_breached")
        assert len([e for e in events(url, type="ml.model.drift_detected.v1") if e["data"]["rule"] == "guard"]) == 1

        # v1 serves data like the reference again, with good predictions: the rule clears, once.
        wait_for_version(url, v1, MODEL, limit=30)
        recovered = features(2000, 9)
        again = serve(url, recovered, "r")
        assert {v for v, _ in again.values()} == {str(v1)}
        values |= dict(zip(again, truth(recovered, 10)))
        logged(url, again)
        post_actuals(url, again, values)
        out = server.cli("monitor", "check", "guard").stdout
        assert out.startswith(f"cleared ({MODEL} v{v1})"), out
        assert rule(url, "guard")["state"] == "ok"
        wait_until(lambda: delivered("ml.model.monitor_cleared.v1"), timeout=30, message="the clearing event")
        assert run_job(url, "monitor-guard")["output"].startswith("ok")
        assert len(delivered("ml.model.monitor_cleared.v1")) == 1

        listed = {line.split()[0]: line.split()[2] for line in server.cli("monitor", "rules", MODEL).stdout.splitlines()[2:]}
        assert listed == {"broken": "breached", "guard": "ok", "reevaluate": "breached"}, listed
    finally:
        receiver.stop()


def test_bad_rules_are_refused_with_their_reason(server):
    r = requests.put(f"{server.url}/api/v1/monitor/rules/nobody", json={"model": "no-such-model", "drift_share": 0.5}, timeout=10)
    assert r.status_code == 404 and "no-such-model" in r.json()["message"], r.text
    for body, message in [({"model": MODEL}, "checks drift"), ({"model": MODEL, "metric": "rmse"}, "needs a bound"),
                          ({"model": MODEL, "drift_share": 2}, "drift_share"), ({"model": MODEL, "drift_share": 0.5, "on_breach": "panic"}, "on_breach"),
                          ([1, 2], "JSON object")]:
        r = requests.put(f"{server.url}/api/v1/monitor/rules/bad", json=body, timeout=10)
        assert r.status_code == 400 and r.json()["error_code"] == "INVALID_PARAMETER_VALUE" and message in r.json()["message"], (body, r.text)
    assert requests.get(f"{server.url}/api/v1/monitor/rules/bad", timeout=10).status_code == 404
    assert requests.post(f"{server.url}/api/v1/monitor/rules/bad/check", timeout=10).status_code == 404
    result = server.cli("monitor", "set", MODEL, "--metric", "rmse", check=False)
    assert result.returncode != 0 and "needs a bound" in result.stderr
    result = server.cli("jobs", "add", "m", "--kind", "monitor", "--model", MODEL, "--schedule", YEARLY, check=False)
    assert result.returncode != 0 and "--rule" in result.stderr
    result = server.cli("monitor", "set", MODEL, "--drift-share", "0.5", "--window", "200000000000d", check=False)
    assert result.returncode != 0 and "window" in result.stderr
    r = requests.put(f"{server.url}/api/v1/monitor/rules/bad", json={"model": MODEL, "drift_share": 0.5, "window": "9999999999999d"}, timeout=10)
    assert r.status_code == 400 and "window" in r.json()["message"], r.text
