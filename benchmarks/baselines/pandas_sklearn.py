"""Baseline: what users write today (pandas.read_csv + scikit-learn), MSE, MAE, Huber.

Usage: python pandas_sklearn.py FILE   (CSV or Parquet, columns y_true and y_pred)
"""

import json
import sys

import numpy as np
import pandas as pd
from sklearn.metrics import mean_absolute_error, mean_squared_error

path = sys.argv[1]
frame = pd.read_parquet(path) if path.endswith(".parquet") else pd.read_csv(path)
y_true = frame["y_true"].to_numpy()
y_pred = frame["y_pred"].to_numpy()
error = np.abs(y_pred - y_true)
huber = np.mean(np.where(error <= 1.0, 0.5 * error**2, error - 0.5))  # delta = 1
print(
    json.dumps(
        {
            "mse": mean_squared_error(y_true, y_pred),
            "mae": mean_absolute_error(y_true, y_pred),
            "huber": float(huber),
        }
    )
)
