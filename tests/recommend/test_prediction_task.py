"""Integer targets with ONE prediction column (QA issues 3/4): the predictions decide the task
(regression, not multiclass), and Poisson's ``log_input`` follows what the predictions are."""

from __future__ import annotations

import json

import numpy as np
import pytest

from losscli.cli.main import app
from losscli.recommend import recommend


def _ratings(n: int = 2000, seed: int = 11):
    rng = np.random.default_rng(seed)
    y = rng.integers(1, 6, size=n).astype(np.float64)
    p = np.round(np.clip(y + rng.normal(0.0, 0.8, size=n), 1.0, 5.0), 2)
    return y, p


def _counts(n: int = 5000, seed: int = 12):
    rng = np.random.default_rng(seed)
    rate = rng.uniform(1.0, 5.0, size=n)
    return rng.poisson(rate).astype(np.float64), rate


def test_ratings_with_real_predictions_are_regression_without_logit_warnings():
    y, p = _ratings()
    result = recommend({"rating": y}, {"pred": p})
    assert result.task == "regression"
    assert "single prediction column 'pred' holds real values" in result.inference.reason
    assert result.recommendation.loss in ("mse", "huber", "mae", "poisson")
    assert not any("logits" in w for w in result.warnings)
    assert result.evidence.decide_on.on == "residuals"
    # every loss is computed on the predictions (no "(n, K) class scores" errors)
    assert all(c.error is None for c in result.computed)
    mse = [c for c in result.computed if c.loss == "mse"]
    if mse:
        assert mse[0].value == pytest.approx(float(np.mean((y - p) ** 2)), rel=1e-12)


def test_counts_with_rate_predictions_recommend_poisson_on_rates():
    y, rate = _counts()
    result = recommend({"y": y}, {"yhat": rate})
    assert result.task == "regression"
    rec = result.recommendation
    assert (rec.loss, rec.params) == ("poisson", {"log_input": False})
    assert "log_input=false" in rec.reason and "rates" in rec.reason
    computed = {c.label: c for c in result.computed}
    assert not any("log_input=true" in label.lower() for label in computed)
    poisson = computed["poisson"]  # log_input=false is the default, so the label is bare
    # Keras/torch form with log_input=false: mean(ŷ − y·log(ŷ + ε)), ε = 1e-7
    expected = float(np.mean(rate - y * np.log(rate + 1e-7)))
    assert poisson.value == pytest.approx(expected, rel=1e-9)


def test_counts_with_log_rate_predictions_keep_log_input_true():
    y, rate = _counts()
    log_rate = np.log(rate) - 0.5  # some values are negative: these are log rates
    assert log_rate.min() < 0.0
    rec = recommend({"y": y}, {"yhat": log_rate}).recommendation
    assert (rec.loss, rec.params) == ("poisson", {"log_input": True})
    assert "log_input=true" in rec.reason


def test_counts_without_predictions_keep_log_input_true_and_name_the_other_form():
    y, _ = _counts()
    result = recommend({"y": y}, task="regression")
    rec = result.recommendation
    assert (rec.loss, rec.activation, rec.params) == ("poisson", "linear", {"log_input": True})
    assert "log_input=false" in rec.reason  # says what to use if the model outputs rates


def test_recommend_cli_on_ratings_file(runner, tmp_path):
    y, p = _ratings()
    path = tmp_path / "ratings.csv"
    path.write_text("rating,pred\n" + "".join(f"{int(a)},{b}\n" for a, b in zip(y, p, strict=True)))
    result = runner.invoke(app, ["recommend", str(path), "-t", "rating", "--format", "json"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["task"]["type"] == "regression"
    assert document["recommendation"]["loss"] != "sparse_cce"
    assert not any("logits" in w for w in document["warnings"])


def test_counts_with_some_negative_rate_predictions_are_not_read_as_log_rates():
    # A linear model's rates (mean near the counts' mean) with a few values below 0: as log
    # rates they would be e^ŷ (mean far from the counts'); as rates Poisson refuses them.
    y, rate = _counts()
    linear = rate + np.where(np.arange(rate.size) % 50 == 0, -rate - 0.5, 0.0)
    assert 0 < (linear < 0).sum() < rate.size // 10
    result = recommend({"y": y}, {"yhat": linear})
    rec = result.recommendation
    assert rec.loss in ("mse", "huber", "mae")
    assert any("2.0% are negative" in n and "log_input=false" in n for n in result.notes)
    assert all("log_input=true" not in c.label.lower() for c in result.computed)
