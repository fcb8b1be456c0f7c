"""Data validation: `slipway validate FILE --schema schema.yaml` reports every rule a table breaks
(columns and types, nulls, ranges, categories, uniqueness, row count, freshness) with counts and
sample rows, the counts checked against pandas; a `validate` step that fails stops the steps after
it, its event reaches a webhook, and a step that requires it refuses to run; a malformed schema is
a clear error."""
import json
import sys
import textwrap
from datetime import datetime, timedelta, timezone

import pandas as pd
import requests

from conftest import free_port, unique, wait_until
from test_command_jobs import run_now, runs
from test_webhook_delivery import Receiver

PYTHON = sys.executable

SCHEMA = """
columns:
  station_id:  {type: string, nulls: false}
  observed_at: {type: timestamp, nulls: false, fresh_within: 2h}
  temperature: {type: number, min: -40, max: 50, max_null_share: 0.05}
  weather:     {type: string, allowed: [clear, rain, snow, cloudy]}
  trips:       {type: integer, min: 0}
  docks:       {type: integer, required: true}
  note:        {required: false}
unique: [station_id, observed_at]
rows: {min: 3, max: 1000}
"""


def write(path, text):
    path.write_text(textwrap.dedent(text))
    return str(path)


def table(tmp_path, stale=False):
    now = datetime.now(timezone.utc) - (timedelta(hours=5) if stale else timedelta(minutes=10))
    at = lambda minutes: (now - timedelta(minutes=minutes)).strftime("%Y-%m-%d %H:%M:%S")
    rows = [
        ["s1", at(30), "12.5", "clear", "4"],
        ["s2", at(30), "", "rain", "0"],
        ["s3", at(20), "75", "hail", "-2"],
        ["s1", at(30), "11", "clear", "3.5"],
        ["", "yesterday", "warm", "snow", "x"],
        ["s4", at(0), "-41", "fog", "7"],
    ]
    frame = pd.DataFrame(rows, columns=["station_id", "observed_at", "temperature", "weather", "trips"])
    path = tmp_path / "stations.csv"
    frame.to_csv(path, index=False)
    return str(path), frame


def validate(server, *args):
    return server.cli("validate", *args, check=False)


def test_every_broken_rule_is_reported_with_counts_and_sample_rows(server, tmp_path):
    schema = write(tmp_path / "schema.yaml", SCHEMA)
    path, frame = table(tmp_path, stale=True)
    result = validate(server, path, "--schema", schema, "--json")
    assert result.returncode == 1, result.stderr
    report = json.loads(result.stdout)
    by_rule = {v["rule"]: v for v in report["violations"]}
    assert report["rows"] == len(frame) and report["passed"] is False

    # The counts pandas finds (an empty cell is a null, not a wrong type).
    blank = frame == ""
    temperature = pd.to_numeric(frame.temperature, errors="coerce")
    trips = pd.to_numeric(frame.trips, errors="coerce")
    times = pd.to_datetime(frame.observed_at, errors="coerce", format="mixed")
    expected = {
        "docks.required": 1,
        "station_id.nulls": int(blank.station_id.sum()),
        "observed_at.type": int((times.isna() & ~blank.observed_at).sum()),
        "temperature.type": int((temperature.isna() & ~blank.temperature).sum()),
        "temperature.max": int((temperature > 50).sum()),
        "temperature.min": int((temperature < -40).sum()),
        "weather.allowed": int((~frame.weather.isin(["clear", "rain", "snow", "cloudy"])).sum()),
        "trips.type": int(((trips.isna() | (trips % 1 != 0)) & ~blank.trips).sum()),
        "trips.min": int(((trips < 0) & (trips % 1 == 0)).sum()),
        "unique(station_id,observed_at)": int(frame.duplicated(["station_id", "observed_at"]).sum()),
        "temperature.max_null_share": int(blank.temperature.sum()),
        "observed_at.fresh_within": 1,
    }
    assert {rule: by_rule[rule]["count"] for rule in expected if rule in by_rule} == expected, report["violations"]
    assert set(by_rule) == set(expected), set(by_rule) ^ set(expected)
    assert by_rule["temperature.max"]["samples"] == [{"row": 3, "value": "75"}]
    assert [s["row"] for s in by_rule["weather.allowed"]["samples"]] == [3, 6]
    assert "more than 2 h" in by_rule["observed_at.fresh_within"]["message"] or "more than 120 min" in by_rule["observed_at.fresh_within"]["message"]

    text = validate(server, path, "--schema", schema).stdout
    assert f"{path}: 6 rows, {len(expected)} rules broken" in text and "temperature.max: Above the maximum 50" in text

    fine = tmp_path / "fine.csv"
    pd.DataFrame({"station_id": ["a", "b", "c"], "observed_at": [datetime.now(timezone.utc).isoformat()] * 3, "temperature": [1.5, 2, 3],
                  "weather": ["clear", "rain", "snow"], "trips": [1, 2, 3], "docks": [5, 5, 5]}).to_csv(fine, index=False)
    ok = validate(server, str(fine), "--schema", schema)
    assert ok.returncode == 0 and "every rule kept" in ok.stdout, ok.stdout + ok.stderr


def test_a_malformed_schema_or_file_is_a_clear_error(server, tmp_path):
    path, _ = table(tmp_path)
    for text, message in [("columns: {a: {type: decimal}}", "'type' must be one of"), ("columns: {a: {min: 5, max: 1}}", "'min' is above 'max'"),
                          ("columns: [a, b]", "'columns'"), ("colums: {a: {}}", "Unknown schema field 'colums'"),
                          ("columns: {a: {fresh_within: soon, type: timestamp}}", "'fresh_within' is a length"), ("columns: {a: [", "not valid YAML")]:
        schema = write(tmp_path / "bad.yaml", text)
        result = validate(server, path, "--schema", schema)
        assert result.returncode == 2 and message in result.stderr, (text, result.stderr)
    result = validate(server, str(tmp_path / "missing.csv"), "--schema", write(tmp_path / "s.yaml", SCHEMA))
    assert result.returncode == 2 and "Cannot read" in result.stderr


def test_a_failing_validation_stops_training_and_its_event_reaches_a_webhook(server, tmp_path):
    receiver = Receiver(free_port())
    receiver.start()
    try:
        hook = requests.post(f"{server.url}/api/v1/webhooks", json={"url": receiver.url + "/data", "events": ["ml.data.*"]}, timeout=10)
        assert hook.status_code == 201, hook.text
        write(tmp_path / "schema.yaml", SCHEMA)
        table(tmp_path, stale=False)
        ingest, check, train, predict = unique("ingest"), unique("validate"), unique("train"), unique("predict")
        name = unique("bikes")
        pipeline = write(tmp_path / "pipeline.yaml", f"""
            pipeline: {name}
            jobs:
              {ingest}:
                command: [{PYTHON}, -c, "print('ingested')"]
              {check}:
                validate: {{source: stations.csv, schema: schema.yaml}}
                after: {ingest}
              {train}:
                command: [{PYTHON}, -c, "print('trained')"]
                after: {check}
              {predict}:
                command: [{PYTHON}, -c, "print('predicted')"]
                requires: {check}
            """)
        server.cli("pipelines", "apply", pipeline)
        job = {j["name"]: j for j in requests.get(f"{server.url}/api/v1/jobs", timeout=10).json()["jobs"]}[check]
        assert job["validation"]["source"] == str(tmp_path / "stations.csv") and "station_id" in job["validation"]["schema"]["columns"]

        run_now(server, ingest)
        skipped = wait_until(lambda: [r for r in runs(server, train) if r["status"] == "skipped"], timeout=20, message="training skipped")
        assert f"runs after {check} failed" in skipped[0]["output"]
        failed = runs(server, check)[0]
        assert failed["status"] == "failed" and "weather.allowed" in failed["output"] and failed["details"]["passed"] is False
        delivered = wait_until(lambda: [json.loads(b) for p, _, b in receiver.received if p == "/data"], timeout=20, message="the event at the webhook")
        event = delivered[0]
        assert event["type"] == "ml.data.validation_failed.v1" and event["data"]["job"] == check
        assert {v["rule"] for v in event["data"]["violations"]} >= {"weather.allowed", "temperature.max", "docks.required"}
        # A step that requires the validation refuses to run while it fails.
        refused = run_now(server, predict)
        assert refused["status"] == "failed" and f"{check}'s last run failed" in refused["output"], refused
    finally:
        receiver.stop()
