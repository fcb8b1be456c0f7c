"""Ingestion, as seed 001's 15-minute DAG: fetches the next stretch of hourly rides and weather
(fast-forwarded: each run brings a day), appends it to features.csv, leaves the batch in batch.csv
for validation, and the next day's weather forecast in forecast/ for the predict job.
The first run brings 60 days of history and sets a week aside as the held-out set.
A file `heat-wave` here makes the next run bring a week of heat and storms (drift); a file
`broken-feed` a day with negative rides and missing temperatures. Each is used once."""
from pathlib import Path

import pandas as pd

from bikes import FEATURES, hours

here = Path.cwd()
history = here / "features.csv"


def once(marker):
    path = here / marker
    if path.exists():
        path.unlink()
        return True
    return False


drift, bad = once("heat-wave"), once("broken-feed")
if not history.exists():
    start = (pd.Timestamp.now(tz="UTC").floor("D") - pd.Timedelta(days=60)).tz_localize(None)
    frame = hours(start, 60 * 24, seed=1)
    frame.iloc[-7 * 24:][FEATURES + ["rides"]].to_csv(here / "holdout.csv", index=False)
    batch = frame
else:
    known = pd.read_csv(history)
    start = pd.Timestamp(known.time.iloc[-1]) + pd.Timedelta(hours=1)
    batch = hours(start, 24 * (7 if drift else 1), seed=len(known), heat=14.0 if drift else 0.0, storms=4.0 if drift else 1.0)
    if bad:
        batch.loc[batch.index[:5], "rides"] = -3
        batch.loc[batch.index[5:9], "temp_c"] = None
    frame = pd.concat([known, batch])
frame.to_csv(history, index=False)
batch.to_csv(here / "batch.csv", index=False)
# What the predict job reads: the next day's hours, with the weather forecast, without rides.
forecast = hours(pd.Timestamp(batch.time.iloc[-1]) + pd.Timedelta(hours=1), 24, seed=len(frame) + 7)
(here / "forecast").mkdir(exist_ok=True)
forecast[["time"] + FEATURES].to_csv(here / "forecast" / f"{forecast.time.iloc[0][:10]}.csv", index=False)
print(f"ingested {len(batch)} hours ending {batch.time.iloc[-1]}{' (heat wave and storms)' if drift else ''}{' (broken feed)' if bad else ''};"
      f" {len(frame)} hours in features.csv")
