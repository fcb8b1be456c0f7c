"""The peer: a FastAPI + uvicorn prediction service shaped like ../shared/seeds/000 (pydantic request
model, the booster's own predict), serving the same XGBoost model file as Slipway."""
import os

import numpy as np
import xgboost as xgb
from fastapi import FastAPI
from pydantic import BaseModel

FEATURES = [f"f{i}" for i in range(8)]
booster = xgb.Booster(model_file=os.environ["MODEL_FILE"])
booster.set_param({"nthread": 1})
app = FastAPI()


class Row(BaseModel):
    f0: float
    f1: float
    f2: float
    f3: float
    f4: float
    f5: float
    f6: float
    f7: float


class Batch(BaseModel):
    instances: list[Row]


@app.post("/models/bench/predict")
async def predict(body: Batch):
    X = np.array([[getattr(r, f) for f in FEATURES] for r in body.instances])
    predictions = booster.inplace_predict(X)
    return {"model": "bench", "version": "1", "predictions": predictions.tolist()}
