"""``compute`` on integer targets with one real-valued prediction column (QA issue 3):
regression, not "a multiclass task needs one prediction column per class"."""

from __future__ import annotations

import pytest

from tests.cli.compute_helpers import MODES, compute

# Ratings 1..5 and a regression model's predictions, repeated to 200 rows so that the
# targets alone read as 5 classes (k/n = 0.025 <= 0.10).
ROWS = [(3, 2.47), (3, 2.29), (4, 4.62), (5, 5.0), (1, 1.35), (2, 2.5), (4, 3.27), (2, 1.8)]


@pytest.mark.parametrize("mode", MODES)
def test_compute_mse_on_ratings_is_regression(mode, tmp_path):
    rows = ROWS * 25
    path = tmp_path / "ratings.csv"
    path.write_text("rating,pred\n" + "".join(f"{y},{p}\n" for y, p in rows))
    outcome = compute(mode, path, "-t", "rating", "-l", "mse", "--format", "json")
    assert outcome.code == 0, outcome.stderr
    document = outcome.json()
    assert document["task"] == "regression"
    assert "single prediction column 'pred' holds real values" in document["task_reason"]
    # by hand: squared errors of the 8 rows, each repeated 25 times
    squares = [
        0.53**2, 0.71**2, 0.62**2, 0.0, 0.35**2, 0.5**2, 0.73**2, 0.2**2,
    ]  # fmt: skip
    assert outcome.losses()["mse"] == pytest.approx(sum(squares) / 8, rel=1e-12)
    assert "logits" not in outcome.stderr


@pytest.mark.parametrize("mode", MODES)
def test_streamed_files_keep_the_reason_the_predictions_gave(mode, tmp_path):
    # Several files stream; their reason is reworded with the counts of every file, which
    # must not turn "the prediction column decided" into "too many to be classes".
    for part in ("a", "b"):
        (tmp_path / f"ratings_{part}.csv").write_text(
            "rating,pred\n" + "".join(f"{y},{p}\n" for y, p in ROWS * 25)
        )
    outcome = compute(
        mode, tmp_path / "ratings_*.csv", "-t", "rating", "-l", "mse", "--format", "json"
    )
    assert outcome.code == 0, outcome.stderr
    document = outcome.json()
    assert document["task"] == "regression"
    assert "single prediction column 'pred'" in document["task_reason"]
    squares = [0.53**2, 0.71**2, 0.62**2, 0.0, 0.35**2, 0.5**2, 0.73**2, 0.2**2]
    assert outcome.losses()["mse"] == pytest.approx(sum(squares) / 8, rel=1e-12)
