"""Runs Evidently's data drift preset on two CSV files and prints, as JSON, each column's test,
score and verdict and the dataset's share: the reference the drift tests compare Slipway with.
Runs in .venv-evidently (Evidently needs pandas < 3). Usage: evidently_drift.py REF CUR [METHOD]"""
import json
import os
import sys
import warnings

os.environ.setdefault("DO_NOT_TRACK", "1")
warnings.simplefilter("ignore")
import pandas as pd  # noqa: E402
from evidently import Report  # noqa: E402
from evidently.presets import DataDriftPreset  # noqa: E402

NAMES = {"K-S p_value": "ks", "chi-square p_value": "chisquare", "Z-test p_value": "z", "Wasserstein distance (normed)": "wasserstein",
         "Jensen-Shannon distance": "jensenshannon", "PSI": "psi"}

reference, current = pd.read_csv(sys.argv[1]), pd.read_csv(sys.argv[2])
preset = DataDriftPreset(method=sys.argv[3]) if len(sys.argv) > 3 else DataDriftPreset()
result = json.loads(Report([preset], include_tests=True).run(current, reference).json())
flags = {t["metric_config"]["metric_id"]: t["status"] == "FAIL" for t in result["tests"] if t["id"] == "drift"}
out = {"columns": {}}
for metric in result["metrics"]:
    config = metric["config"]
    if config["type"] == "evidently:metric_v2:ValueDrift":
        out["columns"][config["column"]] = {"method": NAMES.get(config["method"], config["method"]), "score": metric["value"],
                                            "threshold": config["threshold"], "drifted": flags[metric["id"]]}
    elif config["type"] == "evidently:metric_v2:DriftedColumnsCount":
        out["count"], out["share"] = int(metric["value"]["count"]), metric["value"]["share"]
print(json.dumps(out))
