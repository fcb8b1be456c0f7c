"""The dashboard in a real browser (Debian's chromium driven by Playwright): the overview and a
model page over data logged with the mlflow client, each page its JSON twin rendered, no console
error or failed request, MLflow's `#/models/...` links followed, and hostile names shown as text."""
import os
import shutil
from pathlib import Path

import pytest
import requests

from conftest import BACKENDS, ROOT, SlipwayServer, use_mlflow, wait_until
from serving_support import FEATURES, log_candidate, log_version, train, wait_for_version

MODEL = "dash"
PROMO = "dash-promo"
HOSTILE = '"><img src=x onerror=alert(1)>'
SCRIPT = "<script>alert(1)</script>"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
SHOTS = Path(os.environ.get("SLIPWAY_TEST_OUTPUT", ROOT / "test-output")) / "screenshots"


@pytest.fixture(scope="module", params=BACKENDS)
def server(request):
    s = SlipwayServer(request.param, ["--model", f"{MODEL}@production"]).start()
    yield s
    s.stop()


@pytest.fixture(scope="module")
def logged(server):
    """Two versions of a model (v2 in production after a rollback by a hostile actor), and a model with a hostile name."""
    import mlflow
    use_mlflow(server.url, "dashboard")
    client = mlflow.MlflowClient()
    v1, v2 = log_version(MODEL, train(0)), log_version(MODEL, train(1))
    client.set_registered_model_alias(MODEL, "production", str(v2))
    client.set_registered_model_alias(MODEL, "previous", str(v1))
    r = requests.post(f"{server.url}/api/v1/models/{MODEL}/rollback", json={"actor": SCRIPT}, timeout=10)
    assert r.status_code == 200, r.text
    client.create_registered_model(HOSTILE)
    wait_for_version(server.url, v1, MODEL, limit=30)
    for _ in range(5):
        assert requests.post(f"{server.url}/models/{MODEL}/predict", json=[dict.fromkeys(FEATURES, 0.1)], timeout=10).status_code == 200
    server.cli("jobs", "add", "dash-nightly", "--kind", "promote", "--model", MODEL, "--schedule", "0 0 1 1 *")
    return v1, v2


def test_pages_are_their_json_rendered_and_escape_everything(server, logged):
    v1, v2 = logged
    overview = requests.get(f"{server.url}/api/v1/overview", timeout=10).json()
    [row] = [m for m in overview["models"] if m["name"] == MODEL]
    assert row["production"] == str(v1) and row["previous"] == str(v2)
    assert row["last_change"]["action"] == "rollback" and row["last_change"]["actor"] == SCRIPT
    assert [j["name"] for j in overview["jobs"]] == ["dash-nightly"]
    assert row["serving"]["path"] == "native xgboost", row["serving"]

    page = requests.get(f"{server.url}/", timeout=10)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    html = page.text
    assert SCRIPT not in html and HOSTILE not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "&quot;&gt;&lt;img src=x onerror=alert(1)&gt;" in html
    assert f'data-model="{MODEL}"' in html and 'http-equiv="refresh" content="30"' in html
    assert "native xgboost" in html

    model = requests.get(f"{server.url}/api/v1/models/{MODEL}/overview", timeout=10).json()
    assert [v["version"] for v in model["versions"]] == [str(v2), str(v1)]
    assert model["decisions"][0]["actor"] == SCRIPT and any(e["type"] == "ml.model.rolled_back.v1" for e in model["events"])
    html = requests.get(f"{server.url}/ui/models/{MODEL}", timeout=10).text
    assert SCRIPT not in html and html.count('data-version="') == 2 and f'id="v{v1}"' in html
    # Requests per hour by version: 48 hourly points a version, the newest hour holding what was served.
    serving = model["serving_by_hour"]
    assert len(serving["hours"]) == 48 and serving["hours"][1] - serving["hours"][0] == 3_600_000
    by_version = {v["version"]: v for v in serving["versions"]}
    assert by_version[str(v1)]["requests"][-1] >= 5 and len(by_version[str(v1)]["requests"]) == 48
    assert html.count('class="series"') == 2 * len(serving["versions"]) and f'data-series="v{v1}" data-points="48"' in html
    assert requests.get(f"{server.url}/ui/models/no-such-model", timeout=10).status_code == 404


def test_pages_in_a_real_browser(server, logged):
    if not CHROMIUM:
        pytest.skip("scripts/test.sh installs Debian's chromium")
    playwright = pytest.importorskip("playwright.sync_api")
    v1, _ = logged
    SHOTS.mkdir(parents=True, exist_ok=True)
    worse, better = log_candidate(PROMO, 0.5, 3), log_candidate(PROMO, 0.3, 4)
    import mlflow
    mlflow.MlflowClient().set_registered_model_alias(PROMO, "production", str(worse))
    server.cli("policy", "set", PROMO, "--metric", "test_mae", "--mode", "approval")
    cli = server.cli("promote", PROMO, "--dry-run").stdout.splitlines()
    cli_rows = [line.split(None, 3) for line in cli[cli.index(next(l for l in cli if l.startswith("---"))) + 1:] if line.startswith("v")]

    def production(name):
        return requests.get(f"{server.url}/api/v1/models/{name}/overview", timeout=10).json()["production"]

    # Without a policy, the dry run is a page with the error, and its status.
    r = requests.get(f"{server.url}/ui/models/{MODEL}/promote", timeout=10)
    assert r.status_code == 404 and "no promotion policy" in r.text and r.headers["content-type"].startswith("text/html"), r.text
    problems = []
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page()
        page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}") if m.type == "error" else None)
        page.on("requestfailed", lambda r: problems.append(f"failed {r.url}"))
        page.on("response", lambda r: problems.append(f"{r.status} {r.url}") if r.status >= 400 else None)
        page.on("dialog", lambda d: (problems.append(f"dialog {d.message}"), d.dismiss()))

        page.goto(f"{server.url}/")
        assert page.locator(f'#models tr[data-model="{MODEL}"]').count() == 1
        assert page.locator("#models").inner_text().count(SCRIPT) >= 1  # shown as text
        assert page.locator("#models tbody tr").filter(has_text=HOSTILE).count() == 1
        assert page.locator("#models img").count() == 0
        page.locator("#models a").filter(has_text=HOSTILE).click()  # its page, by a percent-encoded link
        page.wait_for_url("**/ui/models/*")
        assert page.locator("h1").inner_text() == HOSTILE and page.locator("#versions tbody tr").count() == 0
        page.goto(f"{server.url}/")
        page.screenshot(path=str(SHOTS / f"overview-{server.backend}.png"), full_page=True)

        # The link MLflow prints for a model version opens its row on the model page.
        page.goto(f"{server.url}/#/models/{MODEL}/versions/{v1}")
        page.wait_for_url(f"**/ui/models/{MODEL}#v{v1}")
        assert page.locator("#versions tbody tr").count() == 2
        cells = page.locator("#decisions tbody tr").first.locator("td").all_inner_texts()
        assert cells[2] == "rollback" and cells[3] == SCRIPT and cells[4] == f"v{v1 + 1} → v{v1}", cells
        page.screenshot(path=str(SHOTS / f"model-{server.backend}.png"), full_page=True)

        # Jobs: "Run now" runs the job (a promote job on a model without a policy fails) and comes back to it, failing jobs first.
        page.goto(f"{server.url}/ui/jobs")
        job = page.locator('section[data-job="dash-nightly"]')
        assert job.locator("tbody tr").inner_text().strip() == "Not run yet."
        job.get_by_role("button", name="Run now").click()
        page.wait_for_url("**/ui/jobs#job-dash-nightly")
        assert job.locator('tbody tr[data-status="failed"]').count() == 1 and job.locator(".badge.bad").first.inner_text() == "failing"
        assert page.locator("section.job").first.get_attribute("data-job") == "dash-nightly"
        page.screenshot(path=str(SHOTS / f"jobs-{server.backend}.png"), full_page=True)

        # Promote with the dry run first (the CLI's table), apply it (approval mode: staged), approve, roll back.
        page.goto(f"{server.url}/ui/models/{PROMO}")
        page.get_by_role("button", name="Promote…").click()
        page.wait_for_url(f"**/ui/models/{PROMO}/promote")
        rows = [r.locator("td").all_inner_texts() for r in page.locator("#candidates tbody tr").all()]
        assert rows == cli_rows and page.locator("#decision").inner_text() == f"Decision: await_approval v{better}", (rows, cli_rows)
        page.screenshot(path=str(SHOTS / f"promote-{server.backend}.png"), full_page=True)
        page.get_by_role("button", name=f"Apply: await_approval v{better}").click()
        assert page.locator("#answer").inner_text().endswith(f"Decision: await_approval v{better}")
        page.get_by_role("link", name=f"Back to {PROMO}").click()
        page.get_by_role("button", name=f"Approve v{better}").click()
        assert page.locator("#answer").inner_text().endswith(f"Approved v{better}")
        assert production(PROMO) == str(better)
        page.goto(f"{server.url}/ui/models/{PROMO}")
        page.get_by_role("button", name=f"Roll back to v{worse}").click()
        assert page.locator("#answer").inner_text().endswith(f"Rolled back to v{worse}")
        page.screenshot(path=str(SHOTS / f"answer-{server.backend}.png"), full_page=True)
        assert production(PROMO) == str(worse)
        browser.close()
    twin = requests.get(f"{server.url}/api/v1/jobs/overview", timeout=10).json()
    [nightly] = [j for j in twin["jobs"] if j["name"] == "dash-nightly"]
    assert nightly["failing"] and nightly["runs"][0]["trigger"] == "manual" and "polic" in nightly["runs"][0]["output"], nightly
    assert problems == []


def test_experiment_and_run_pages(server, logged):
    """Runs logged with mlflow: the experiment's runs table (filter, sort, columns, paging) and a run page with its metric chart."""
    import mlflow
    use_mlflow(server.url, "dash-runs")
    ids = []
    for i in range(120):
        with mlflow.start_run(run_name=f"r{i:03d}") as run:
            mlflow.log_params({"lr": str(0.01 * (i % 7)), "depth": str(i % 5)})
            mlflow.log_metrics({"rmse": 1.0 / (i + 1), "mae": i * 0.5})
            if i < 2:
                for step in range(10 + i):
                    mlflow.log_metric("loss", 1.0 / (step + 1 + i), step=step)
            if i == 0:
                mlflow.set_tag("note", SCRIPT)
                mlflow.log_text("hello", "notes/readme.txt")
                mlflow.log_dict({"a": 1}, "config.json")
            ids.append(run.info.run_id)
    experiment = mlflow.get_experiment_by_name("dash-runs").experiment_id
    base = f"{server.url}/api/v1/experiments/{experiment}/table"
    table = requests.get(base, timeout=30).json()
    assert table["count"] == 100 and "next" in table and "metrics.rmse" in table["columns"] and "params.lr" in table["columns"]
    second = requests.get(base, params={"page_token": table["next_page_token"]}, timeout=30).json()
    assert second["count"] == 20 and not {r["run_id"] for r in second["runs"]} & {r["run_id"] for r in table["runs"]}
    # MLflow's filter grammar and order by a metric.
    chosen = requests.get(base, params={"filter": "metrics.mae >= 50 and params.depth = '0'", "order_by": "metrics.mae DESC",
                                        "columns": "metrics.mae,params.depth"}, timeout=30).json()
    expected = sorted((i for i in range(120) if i * 0.5 >= 50 and i % 5 == 0), reverse=True)
    assert [r["run_name"] for r in chosen["runs"]] == [f"r{i:03d}" for i in expected]
    assert [c["value"] for c in chosen["runs"][0]["cells"]] == [f"{expected[0] * 0.5:g}", "0"]
    bad = requests.get(base, params={"filter": "metrics.mae >>> 1"}, timeout=30)
    assert bad.status_code == 400, bad.text

    html = requests.get(f"{server.url}/ui/experiments/{experiment}", params={"order_by": "metrics.rmse ASC"}, timeout=30).text
    assert html.count("<tr data-run=") == 100 and 'id="next"' in html and "metrics.rmse</a> ▲" in html
    run = requests.get(f"{server.url}/api/v1/runs/{ids[0]}/page", timeout=30).json()
    [loss] = [m for m in run["metrics"] if m["key"] == "loss"]
    assert loss["points"] == 10 and loss["steps"] == list(range(10))
    html = requests.get(f"{server.url}/ui/runs/{ids[0]}", timeout=30).text
    assert 'data-series="value" data-points="10"' in html and SCRIPT not in html and "&lt;script&gt;" in html
    assert loss["timestamps"] == sorted(loss["timestamps"]) and len(loss["timestamps"]) == 10
    assert 'data-series="value" data-points="10"' in requests.get(f"{server.url}/ui/runs/{ids[0]}", params={"x": "time"}, timeout=30).text
    # The artifact tree, depth first, files with a download link that downloads them.
    tree = {a["path"]: a for a in run["artifacts"]}
    assert tree["notes"]["is_dir"] and tree["notes/readme.txt"]["depth"] == 1 and tree["config.json"]["size"] > 0, run["artifacts"]
    assert requests.get(server.url + tree["notes/readme.txt"]["download"], timeout=30).text == "hello"
    assert f'href="{tree["notes/readme.txt"]["download"]}"' in html
    # Several runs overlaid: a line per run in each metric's chart.
    compared = requests.get(f"{server.url}/api/v1/runs/compare", params={"runs": f"{ids[0]},{ids[1]}"}, timeout=30).json()
    by_key = {m["key"]: m["runs"] for m in compared["metrics"]}
    assert [r["points"] for r in by_key["loss"]] == [10, 11] and [r["run_name"] for r in by_key["rmse"]] == ["r000", "r001"]
    html = requests.get(f"{server.url}/ui/compare", params=[("runs", ids[0]), ("runs", ids[1])], timeout=30).text
    assert 'data-series="r000" data-points="10"' in html and 'data-series="r001" data-points="11"' in html
    assert requests.get(f"{server.url}/api/v1/runs/compare", timeout=30).status_code == 400

    if CHROMIUM and shutil.which("chromium"):
        playwright = pytest.importorskip("playwright.sync_api")
        with playwright.sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
            page = browser.new_page()
            problems = []
            page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
            page.on("dialog", lambda d: (problems.append(d.message), d.dismiss()))
            # The links MLflow prints for a run and an experiment.
            page.goto(f"{server.url}/#/experiments/{experiment}/runs/{ids[0]}")
            page.wait_for_url(f"**/ui/runs/{ids[0]}")
            assert page.locator("svg.chart").count() == 3
            page.screenshot(path=str(SHOTS / f"run-{server.backend}.png"), full_page=True)
            page.goto(f"{server.url}/")
            page.goto(f"{server.url}/#/experiments/{experiment}")
            page.wait_for_url(f"**/ui/experiments/{experiment}")
            assert page.locator("#runs tbody tr").count() == 100
            page.fill("input[name=filter]", "params.depth = '3'")
            page.click("text=Search")
            page.wait_for_url("**filter=*")
            assert page.locator("#runs tbody tr").count() == 24
            # Check two runs and compare them.
            first_two = page.locator("#runs tbody tr td:nth-child(2)").all_inner_texts()[:2]
            page.locator("#runs tbody input[type=checkbox]").nth(0).check()
            page.locator("#runs tbody input[type=checkbox]").nth(1).check()
            page.get_by_role("button", name="Compare").click()
            page.wait_for_url("**/ui/compare?runs=*")
            assert page.locator("h1 a").all_inner_texts() == first_two and page.locator("svg.chart").count() == 2
            assert page.locator("svg.chart polyline.series").count() == 4
            page.screenshot(path=str(SHOTS / f"compare-{server.backend}.png"), full_page=True)
            page.go_back()
            page.locator("#runs th a", has_text="metrics.mae").click()
            page.wait_for_url("**order_by=metrics.mae*")
            names = page.locator("#runs tbody tr td:nth-child(2)").all_inner_texts()
            assert names == sorted(names, key=lambda n: int(n[1:]), reverse=True), names
            page.screenshot(path=str(SHOTS / f"runs-{server.backend}.png"), full_page=True)
            browser.close()
            assert problems == []


def test_model_page_latency_monitoring_and_deliveries(server, logged):
    """Latency percentiles from the serving metrics, realized performance from posted actuals, and
    a failed webhook delivery replayed from the page."""
    import mlflow
    from mlflow.entities.webhook import WebhookEvent
    v1, v2 = logged
    # Three labeled predictions this hour.
    for i in range(3):
        r = requests.post(f"{server.url}/models/{MODEL}/predict", json=[dict.fromkeys(FEATURES, 0.2 * i)],
                          headers={"X-Request-Id": f"dash-label-{i}"}, timeout=10)
        assert r.status_code == 200, r.text

    def in_log():
        r = requests.get(f"{server.url}/api/v1/models/{MODEL}/predictions", params={"kind": "served", "limit": 1000}, timeout=10)
        return sum(p["id"].startswith("dash-label-") for p in r.json()["predictions"]) == 3
    wait_until(in_log, 30, "the labeled requests in the log")
    r = requests.post(f"{server.url}/api/v1/models/{MODEL}/actuals",
                      json={"actuals": [{"id": f"dash-label-{i}", "value": 1.0} for i in range(3)]}, timeout=10)
    assert r.json()["matched"] == 3, r.text

    # An MLflow webhook to nowhere: its delivery fails while enabled, and is given up once it is disabled.
    client = mlflow.MlflowClient()
    hook = client.create_webhook(name="dash-hook", url="http://127.0.0.1:9/nowhere", events=[WebhookEvent("model_version_alias", "created")])
    client.set_registered_model_alias(MODEL, "champion", str(v1))

    def delivery(status=None):
        found = requests.get(f"{server.url}/api/v1/deliveries", params={"webhook_id": hook.webhook_id}, timeout=10).json()["deliveries"]
        return found[0] if found and (status is None or found[0]["status"] == status) else None
    wait_until(lambda: (delivery() or {}).get("attempts", 0) >= 1, 30, "a first failed attempt")
    client.update_webhook(hook.webhook_id, status="DISABLED")
    failed = wait_until(lambda: delivery("failed"), 30, "the delivery given up")

    model = requests.get(f"{server.url}/api/v1/models/{MODEL}/overview", params={"metric": "rmse"}, timeout=10).json()
    [latency] = [p for p in model["latency_percentiles"] if p["version"] == str(v1)]
    assert latency["requests"] >= 8 and 0 < float(latency["p50_ms"]) <= float(latency["p95_ms"]) <= float(latency["p99_ms"]), latency
    charts = model["monitoring_charts"]
    assert charts["metric"] == "rmse"
    [point] = [p for p in charts["performance"]["points"] if p["labeled"] > 0]
    assert point["version"] == str(v1) and point["labeled"] == 3 and point["value"] is not None
    [row] = [d for d in model["deliveries"] if d["id"] == failed["id"]]
    assert row["failed"] and row["event_type"] == "ml.registry.model_version_alias.created.v1" and row["webhook_kind"] == "mlflow", row

    html = requests.get(f"{server.url}/ui/models/{MODEL}", params={"metric": "rmse"}, timeout=10).text
    assert f'<tr data-latency-version="{v1}"><td>v{v1}</td>' in html and f'data-series="v{v1}" data-points="1"' in html
    assert f'data-delivery="{failed["id"]}" data-status="failed"' in html

    # With the webhook enabled again, the page's Replay button queues the delivery again.
    client.update_webhook(hook.webhook_id, status="ACTIVE")
    if CHROMIUM:
        playwright = pytest.importorskip("playwright.sync_api")
        with playwright.sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
            page = browser.new_page()
            page.goto(f"{server.url}/ui/models/{MODEL}?metric=rmse")
            assert page.locator("svg.chart").count() == 4
            page.screenshot(path=str(SHOTS / f"model-monitoring-{server.backend}.png"), full_page=True)
            page.locator(f'tr[data-delivery="{failed["id"]}"]').get_by_role("button", name="Replay").click()
            assert "queued again: pending" in page.locator("#answer").inner_text()
            browser.close()
    else:
        assert requests.post(f"{server.url}/ui/models/{MODEL}/deliveries/{failed['id']}/replay", timeout=10).status_code == 200
    wait_until(lambda: delivery()["attempts"] > failed["attempts"], 30, "a new attempt after the replay")
    client.delete_webhook(hook.webhook_id)
