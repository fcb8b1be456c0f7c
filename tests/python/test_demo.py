"""The README's main command, scripts/demo.sh: seed 001's workflow end to end on the embedded
default. It must finish, and show each thing it claims: the pipeline applied, validation passing
and then stopping a broken feed, training through the MLflow client, promotion by policy,
forecasts in a table, drift detected in what was served, and the retraining it started."""
import os
import subprocess
from pathlib import Path

from conftest import free_port

ROOT = Path(__file__).resolve().parents[2]


def test_the_demo_runs_seed_001s_workflow():
    result = subprocess.run(["bash", "scripts/demo.sh"], cwd=ROOT, capture_output=True, text=True, timeout=300,
                            env={**os.environ, "PORT": str(free_port())}, stdin=subprocess.DEVNULL)
    out = result.stdout
    assert result.returncode == 0, out[-3000:] + result.stderr[-3000:]
    for shown in ["created: ingest, predict, promote, promote-retrained, retrain, train, validate",
                  "validate: succeeded (after", "trained bikes v1", "promote v1:", "production=v1",
                  "24 new rows in table forecasts", "rides.min: Below the minimum 0", "requires a passing run first",
                  "breached (bikes v1): drift share", "retrain: succeeded (event", "promote-retrained: succeeded (after", "Dashboard: http://"]:
        assert shown in out, (shown, out[-4000:])
