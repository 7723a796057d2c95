"""``recommend`` over a glob of files (issue 7): exact counts and moments, sampled quantiles."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from losscli.cli.main import app
from losscli.engine.summary import RowSample
from losscli.recommend.streaming import summarise_stream


def _write_parts(tmp_path, frames, suffix):
    for i, frame in enumerate(frames):
        path = tmp_path / f"part-{i}.{suffix}"
        if suffix == "parquet":
            frame.to_parquet(path, index=False)
        else:
            frame.to_csv(path, index=False)
    return str(tmp_path / f"part-*.{suffix}")


@pytest.mark.parametrize("suffix", ["parquet", "csv"])
def test_glob_regression_has_exact_moments_and_says_what_is_sampled(runner, tmp_path, suffix):
    rng = np.random.default_rng(11)
    frames = []
    for n in (700, 1200, 900):
        y_pred = rng.normal(size=n)
        frames.append(pd.DataFrame({"y_true": y_pred + rng.standard_t(3, n), "y_pred": y_pred}))
    pattern = _write_parts(tmp_path, frames, suffix)
    result = runner.invoke(app, ["recommend", pattern, "--format", "json"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    whole = pd.concat(frames)
    residual = (whole["y_true"] - whole["y_pred"]).to_numpy()
    evidence = document["evidence"]
    assert evidence["n"] == len(whole) == document["task"]["n_samples"]
    assert evidence["mean"] == pytest.approx(residual.mean(), rel=1e-12)
    assert evidence["std"] == pytest.approx(residual.std(ddof=1), rel=1e-12)
    assert evidence["skewness"] == pytest.approx(stats.skew(residual), rel=1e-10)
    assert evidence["excess_kurtosis"] == pytest.approx(stats.kurtosis(residual), rel=1e-10)
    sample = evidence["sample"]
    assert (sample["rows"], sample["files"], sample["size"]) == (2800, 3, 2800)
    assert sample["seed"] == 20240601
    # 2 800 rows fit in the sample: the quantiles are exact too
    assert sample["all_rows"] is True and sample["sampled"] == []
    assert evidence["median"] == pytest.approx(np.median(residual), rel=1e-12)


def test_glob_classes_count_every_row(runner, tmp_path):
    frames = [pd.DataFrame({"label": np.r_[np.zeros(500), np.ones(n)]}) for n in (10, 20, 30)]
    pattern = _write_parts(tmp_path, frames, "parquet")
    result = runner.invoke(app, ["recommend", pattern, "--format", "json"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["task"]["type"] == "binary"
    assert document["evidence"]["counts"] == {"0": 1500, "1": 60}
    assert document["recommendation"]["loss"] == "focal"  # IR 25 > 20


def test_a_sample_smaller_than_the_data_is_seeded_and_reported():
    rng = np.random.default_rng(5)
    chunks = []
    for file_index in range(3):
        y = rng.normal(size=1000)
        chunks.append((file_index, 0, {"y": y}, {"p": y * 0.5}, {}))
    summary = summarise_stream(chunks, capacity=500, files=3)
    again = summarise_stream(chunks, capacity=500, files=3)
    assert summary.sample.size == 500 and summary.rows == 3000
    np.testing.assert_array_equal(summary.sample.columns["y"], again.sample.columns["y"])
    described = summary.describe()
    assert not described["all_rows"]
    assert "median" in described["sampled"] and "mean" in described["exact"]
    y = np.concatenate([c[2]["y"] for c in chunks])
    assert summary.pooled_residuals().mean == pytest.approx((y * 0.5).mean(), rel=1e-12)


def test_row_sample_is_the_same_whatever_the_chunking():
    values = np.arange(10_000.0)
    one = RowSample(capacity=100)
    one.add(0, 0, {"v": values})
    many = RowSample(capacity=100)
    for start in range(0, 10_000, 777):
        many.add(0, start, {"v": values[start : start + 777]})
    np.testing.assert_array_equal(one.columns["v"], many.columns["v"])


def test_glob_with_a_separate_predictions_file_is_a_clear_error(runner, tmp_path):
    pattern = _write_parts(tmp_path, [pd.DataFrame({"y": [1.0, 2.0, 3.0]})] * 2, "csv")
    result = runner.invoke(app, ["recommend", pattern, str(tmp_path / "part-0.csv")])
    assert result.exit_code == 2
    assert "same files" in result.stderr
