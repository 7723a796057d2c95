"""Regression losses: per-sample terms averaged over outputs, then over samples.

Targets and predictions are (n,) or (n, k) arrays (k outputs); each sample's
loss is the mean over its k outputs (the Keras convention of reducing the last
axis), and samples are then averaged with their weights.
"""

from __future__ import annotations

import numpy as np

from losscli.conventions import Convention
from losscli.losses.base import column_pair
from losscli.registry import LossSpec


def _per_output_mean(values: np.ndarray) -> np.ndarray:
    return values if values.ndim == 1 else values.mean(axis=1)


def squared_error(y_true: np.ndarray, y_pred: np.ndarray, *, convention: Convention) -> np.ndarray:
    """Squared error per sample: mean over outputs of (y - ŷ)².

    Args:
        y_true: (n,) or (n, k) targets.
        y_pred: predictions of the same shape.
        convention: unused; every framework agrees.

    Returns:
        (n,) float64 array.

    References:
        Gauss (1809); ``torch.nn.MSELoss``, ``keras.losses.MeanSquaredError``,
        ``sklearn.metrics.mean_squared_error``.
    """
    t, p = column_pair(y_true, y_pred)
    return _per_output_mean(np.square(p - t))


SPECS: tuple[LossSpec, ...] = (
    LossSpec(
        name="mse",
        aliases=("l2", "mean_squared_error", "squared_error"),
        tasks=("regression",),
        activation="linear",
        target="values",
        formula="mean((y - ŷ)²)",
        latex=r"\frac{1}{n}\sum_i (y_i - \hat y_i)^2",
        when="The default for regression when errors are roughly normal and large errors "
        "should cost more than small ones.",
        pros=("smooth, convex, gradient proportional to the error", "optimal for Gaussian noise"),
        cons=("a few outliers dominate it", "reads in squared target units"),
        reference="Gauss (1809); torch.nn.MSELoss; sklearn.metrics.mean_squared_error",
        per_sample=squared_error,
    ),
)
