"""The synthetic city the demo runs on: hourly bike rides with the weather, the way seed 001's
Citi Bike and OpenWeatherMap feeds would give them. Shared by the ingestion and training scripts."""
import numpy as np
import pandas as pd

FEATURES = ["hour", "weekday", "temp_c", "rain_mm", "wind_ms", "humidity"]


def weather(times, seed, heat=0.0, storms=1.0):
    rng = np.random.default_rng(seed)
    day = times.dayofyear.to_numpy()
    hour = times.hour.to_numpy()
    temp = 12 + 10 * np.sin((day - 110) / 365 * 2 * np.pi) + 5 * np.sin((hour - 9) / 24 * 2 * np.pi) + rng.normal(0, 2, len(times)) + heat
    rain = np.where(rng.random(len(times)) < 0.12 * storms, rng.gamma(1.5, 1.2 * storms, len(times)), 0.0)
    wind = np.abs(rng.normal(3 + storms, 1.5, len(times)))
    humidity = np.clip(0.55 + 0.04 * rain + rng.normal(0, 0.1, len(times)), 0.05, 1.0)
    return pd.DataFrame({"temp_c": temp.round(1), "rain_mm": rain.round(1), "wind_ms": wind.round(1), "humidity": humidity.round(2)})


def hours(start, count, seed, heat=0.0, storms=1.0):
    """`count` hours from `start`: the features, and the rides seen."""
    times = pd.date_range(start, periods=count, freq="h", tz="UTC")
    frame = pd.concat([pd.DataFrame({"time": times.strftime("%Y-%m-%d %H:%M:%S"), "hour": times.hour, "weekday": times.weekday}),
                       weather(times, seed, heat, storms)], axis=1)
    commute = np.where(frame.weekday < 5, 60 * np.exp(-((frame.hour - 8) ** 2) / 3) + 70 * np.exp(-((frame.hour - 18) ** 2) / 4), 0)
    leisure = 40 * np.exp(-((frame.hour - 14) ** 2) / 10) * (1 + (frame.weekday >= 5))
    comfort = np.clip(1 - np.abs(frame.temp_c - 20) / 25, 0.1, 1.0) * np.exp(-0.35 * frame.rain_mm) * np.exp(-0.05 * frame.wind_ms)
    rng = np.random.default_rng(seed + 1)
    frame["rides"] = np.maximum(0, (commute + leisure + 8) * comfort + rng.normal(0, 4, len(frame))).round().astype(int)
    return frame
