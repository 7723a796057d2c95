"""Write ``sample_data/recommend_*.csv``: one small data set per branch of the procedure.

Run ``python tests/recommend/make_samples.py`` from the repository root to regenerate them;
the files are committed, deterministic (a fixed seed, or no randomness at all) and small.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

OUT = Path(__file__).resolve().parents[2] / "sample_data"


def _normal_quantiles(n: int) -> np.ndarray:
    """Exactly symmetric, bell-shaped residuals without randomness: normal quantiles."""
    from statistics import NormalDist

    p = (np.arange(1, n + 1) - 0.5) / n
    return np.array([NormalDist().inv_cdf(float(q)) for q in p])


def _write(name: str, header: list[str], columns: list[np.ndarray]) -> None:
    lines = [",".join(header)]
    for row in zip(*columns, strict=True):
        lines.append(",".join(_cell(v) for v in row))
    (OUT / name).write_text("\n".join(lines) + "\n")


def _cell(value: object) -> str:
    if isinstance(value, (float, np.floating)):
        value = float(value)
        return str(int(value)) if value.is_integer() else f"{value:.6g}"
    return str(value)


def main() -> None:
    OUT.mkdir(exist_ok=True)
    rng = np.random.default_rng(20261123)
    n = 200
    x = np.linspace(0.0, 10.0, n)

    # MSE: residuals are normal quantiles (largest |z| 2.8 < 3.5), no skew.
    residual = _normal_quantiles(n)
    rng.shuffle(residual)
    yhat = 3.0 + 2.0 * x
    _write("recommend_mse.csv", ["y", "yhat"], [yhat + residual, yhat])

    # Huber: the same, with 4 of 200 (2 %) residuals at +15 (far beyond the 3×IQR fence).
    residual_h = residual.copy()
    residual_h[[10, 60, 110, 160]] = 15.0
    _write("recommend_huber.csv", ["y", "yhat"], [yhat + residual_h, yhat])

    # MAE: 24 of 200 (12 %) residuals are gross errors of ±20.
    residual_m = residual.copy()
    residual_m[::25] = 20.0
    residual_m[5::25] = -20.0
    residual_m[12::25] = 20.0
    _write("recommend_mae.csv", ["y", "yhat"], [yhat + residual_m, yhat])

    # MSLE note: a positive, right-skewed target (lognormal), targets only.
    prices = np.exp(rng.normal(3.0, 0.8, size=300))
    _write("recommend_msle.csv", ["price"], [np.round(prices, 2)])

    # Binary, balanced enough (IR 1.5): BCE with sigmoid probabilities.
    y = np.array([1.0] * 80 + [0.0] * 120)
    p = np.clip(np.where(y == 1, 0.7, 0.3) + rng.normal(0, 0.15, size=200), 0.01, 0.99)
    _write("recommend_binary.csv", ["label", "prob"], [y, np.round(p, 4)])

    # Imbalanced binary: 185 negatives, 15 positives (IR 12.3): pos_weight = 185/15.
    y = np.array([0.0] * 185 + [1.0] * 15)
    _write("recommend_imbalanced.csv", ["label"], [y])

    # Heavily imbalanced: 990 negatives, 10 positives (IR 99, minority 1 %): focal.
    y = np.array([0.0] * 990 + [1.0] * 10)
    _write("recommend_heavy.csv", ["label"], [y])

    # Multiclass, integer labels 0..2 and softmax rows: sparse CCE.
    labels = np.tile([0.0, 1.0, 2.0], 40)
    logits = rng.normal(size=(120, 3)) + 2.0 * np.eye(3)[labels.astype(int)]
    probs = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    probs = np.round(probs, 6)
    probs[:, 2] = 1.0 - probs[:, 0] - probs[:, 1]
    _write(
        "recommend_multiclass.csv",
        ["label", "p_0", "p_1", "p_2"],
        [labels, probs[:, 0], probs[:, 1], probs[:, 2]],
    )

    # One-hot targets (every row exactly one 1), targets only: CCE.
    classes = np.tile([0, 1, 2, 0], 25)
    onehot = np.eye(3)[classes]
    _write("recommend_onehot.csv", ["cat", "dog", "eel"], list(onehot.T))

    # Multi-label: 0/1 columns with rows of 0, 1 or 2 labels, sigmoid predictions: BCE.
    rows = np.array([[1, 0, 1], [0, 1, 0], [1, 1, 0], [0, 0, 0], [1, 0, 0]] * 20, dtype=float)
    preds = np.clip(0.2 + 0.6 * rows + rng.normal(0, 0.1, size=rows.shape), 0.01, 0.99)
    _write(
        "recommend_multilabel.csv",
        ["true_a", "true_b", "true_c", "p_a", "p_b", "p_c"],
        [*rows.T, *np.round(preds, 4).T],
    )

    # The same targets with softmax rows as predictions: an activation mismatch.
    soft = np.exp(preds) / np.exp(preds).sum(axis=1, keepdims=True)
    soft = np.round(soft, 6)
    soft[:, 2] = 1.0 - soft[:, 0] - soft[:, 1]
    _write(
        "recommend_softmax_multilabel.csv",
        ["true_a", "true_b", "true_c", "p_a", "p_b", "p_c"],
        [*rows.T, *soft.T],
    )

    # Integer counts (Poisson, mean 6) in 1500 rows: AutoGluon's rule says multiclass,
    # flagged ambiguous (k > 10, not 0..k-1).
    counts = rng.poisson(6.0, size=1500).astype(float)
    _write("recommend_counts.csv", ["visits"], [counts])

    # Text labels.
    words = np.array(["cat", "dog", "eel", "fox"])[np.tile([0, 1, 2, 3, 0, 1], 20)]
    _write("recommend_strings.csv", ["animal"], [words])

    # Two-valued floats: binary whatever the dtype.
    two = np.tile([0.25, 0.75, 0.75], 30)
    _write("recommend_two_floats.csv", ["y"], [two])

    # Binary target with logits as predictions.
    y = np.array([1.0, 0.0] * 50)
    score = np.round(np.where(y == 1, 1.5, -1.5) + rng.normal(0, 1.5, size=100), 4)
    _write("recommend_logits.csv", ["y", "score"], [y, score])

    # A constant target: an error (exit 2).
    _write("recommend_constant.csv", ["y"], [np.full(10, 4.0)])


if __name__ == "__main__":
    main()
