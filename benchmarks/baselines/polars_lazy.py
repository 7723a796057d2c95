"""Baseline: the best hand-written script, polars' lazy scan with mean expressions.

Usage: python polars_lazy.py FILE   (CSV or Parquet, columns y_true and y_pred)
"""

import json
import sys

import polars as pl

path = sys.argv[1]
frame = pl.scan_parquet(path) if path.endswith(".parquet") else pl.scan_csv(path)
error = pl.col("y_pred") - pl.col("y_true")
absolute = error.abs()
result = frame.select(
    mse=(error * error).mean(),
    mae=absolute.mean(),
    huber=pl.when(absolute <= 1.0).then(0.5 * error * error).otherwise(absolute - 0.5).mean(),
).collect()
print(json.dumps(result.to_dicts()[0]))
