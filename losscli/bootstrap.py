"""Percentile bootstrap intervals for loss values, and the paired difference of two models.

Every loss losscli reports is a ratio of sums over resampling units (its mergeable
state): a weighted mean is Σ w·l / Σ w, a Keras-style mean Σ w·l / n, a token-averaged
sequence loss Σ mask·l / Σ mask. A bootstrap replicate resamples the units with
replacement and recomputes the ratio. The units are the rows for mean losses, and the
groups (images, sequences) for grouped losses, because rows inside a group are not
independent draws (Field & Welsh 2007, "Bootstrapping clustered data").

The interval is the percentile interval (Efron & Tibshirani 1993, *An Introduction
to the Bootstrap*, ch. 13): the (1 − level)/2 and (1 + level)/2 quantiles of the
replicates. A monotone ``transform`` (RMSE's square root) is applied to every
replicate before the quantiles, which the percentile method allows.

Resampling is vectorised: the replicates are drawn in batches of a
``(batch, units)`` index matrix from one :class:`numpy.random.Generator`, with the
batch size chosen so that the matrix stays below :data:`MAX_BATCH_ELEMENTS`; a seed
makes the result reproducible. The cost is O(n_resamples × units).

The paired bootstrap (:func:`paired_difference`) draws one index matrix and applies it
to both models' values, so the interval of the difference keeps the correlation of
two models scored on the same rows.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from losscli.errors import ParameterError, ShapeError

#: Replicates when the user does not say: 2000 keeps the Monte-Carlo error of a 95 %
#: percentile endpoint small (Efron & Tibshirani 1993, §19.3 suggest ≥ 1000).
DEFAULT_RESAMPLES = 2000
DEFAULT_LEVEL = 0.95
#: Index-matrix elements per batch: 4 Mi int64 indices (32 MiB) plus the gathered values.
MAX_BATCH_ELEMENTS = 1 << 22


@dataclass(frozen=True)
class Interval:
    """A bootstrap confidence interval of ``estimate``."""

    level: float
    low: float
    high: float
    estimate: float
    n_resamples: int
    units: int
    unit: str = "rows"  # "rows" or "groups"

    def excludes_zero(self) -> bool:
        return self.low > 0.0 or self.high < 0.0

    def as_dict(self) -> dict[str, Any]:
        """The JSON form: ``{"level", "low", "high", "method", "n_resamples", ...}``."""
        return {
            "level": self.level,
            "low": self.low,
            "high": self.high,
            "method": "percentile bootstrap",
            "n_resamples": self.n_resamples,
            "resampled": self.unit,
            "units": self.units,
        }


def check_level(level: float) -> float:
    """``level`` as a float in (0, 1); 95 is read as 0.95 is not: it is an error."""
    level = float(level)
    if not 0.0 < level < 1.0:
        raise ParameterError(
            f"confidence level must be between 0 and 1 (exclusive), got {level:g}",
            hint="write --ci 0.95 for a 95% interval",
        )
    return level


def check_resamples(n_resamples: int) -> int:
    if int(n_resamples) < 10:
        raise ParameterError(f"--bootstrap must be at least 10 resamples, got {n_resamples}")
    return int(n_resamples)


def make_rng(seed: int | np.random.Generator | None) -> np.random.Generator:
    """A Generator from a seed (None: fresh entropy, so not reproducible)."""
    if isinstance(seed, np.random.Generator):
        return seed
    return np.random.default_rng(seed)


def _as_units(columns: np.ndarray, groups: Any | None) -> tuple[np.ndarray, str]:
    """Rows, or the per-group sums of the columns when ``groups`` is given."""
    if groups is None:
        return columns, "rows"
    groups = np.asarray(groups)
    if groups.shape != (columns.shape[0],):
        raise ShapeError(
            f"groups has shape {groups.shape}; expected ({columns.shape[0]},) like the values"
        )
    _, codes = np.unique(groups, return_inverse=True)
    codes = codes.reshape(-1)
    count = int(codes.max()) + 1
    sums = np.stack(
        [
            np.bincount(codes, weights=columns[:, j], minlength=count)
            for j in range(columns.shape[1])
        ],
        axis=1,
    )
    return sums, "groups"


def resample_sums(
    columns: np.ndarray,
    n_resamples: int,
    rng: np.random.Generator,
    *,
    max_batch_elements: int = MAX_BATCH_ELEMENTS,
) -> np.ndarray:
    """Column sums of ``n_resamples`` bootstrap resamples of the rows of ``columns``.

    Args:
        columns: (units, k) float64 sufficient statistics, one row per resampling unit.
        n_resamples: the number of replicates B.
        rng: the generator the indices are drawn from.
        max_batch_elements: bound on batch × units, the size of one index matrix.

    Returns:
        (B, k) array: row b is Σ over the units drawn in replicate b.
    """
    units, k = columns.shape
    batch = max(1, min(n_resamples, max_batch_elements // max(units, 1)))
    sums = np.empty((n_resamples, k))
    start = 0
    while start < n_resamples:
        size = min(batch, n_resamples - start)
        index = rng.integers(0, units, size=(size, units))
        for j in range(k):  # one gathered (size, units) matrix at a time bounds memory
            sums[start : start + size, j] = np.take(columns[:, j], index).sum(axis=1)
        start += size
    return sums


def _ratio(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    # A replicate may draw only zero-weight rows; it has no loss value and is dropped.
    out = np.full(numerator.shape, np.nan)
    np.divide(numerator, denominator, out=out, where=denominator != 0)
    return out


def _columns(values: Any, weights: Any | None, denominator: str) -> tuple[np.ndarray, np.ndarray]:
    values = np.asarray(values, dtype=np.float64).reshape(-1)
    if values.size == 0:
        raise ShapeError("a bootstrap interval needs at least one value")
    if not np.isfinite(values).all():
        raise ShapeError("bootstrap values must be finite")
    if weights is None:
        w = np.ones_like(values)
    else:
        w = np.asarray(weights, dtype=np.float64).reshape(-1)
        if w.shape != values.shape:
            raise ShapeError(f"weights have shape {w.shape}; expected {values.shape}")
    if denominator == "weights":
        den = w
    elif denominator == "elements":
        den = np.ones_like(values)
    else:
        raise ParameterError(f"denominator must be 'weights' or 'elements', got {denominator!r}")
    return np.column_stack([w * values, den]), values


def _percentiles(replicates: np.ndarray, level: float) -> tuple[float, float]:
    finite = replicates[np.isfinite(replicates)]
    if finite.size == 0:
        raise ShapeError("every bootstrap replicate had zero total weight")
    tail = (1.0 - level) / 2.0
    low, high = np.quantile(finite, [tail, 1.0 - tail])
    return float(low), float(high)


def _identity(x: np.ndarray) -> np.ndarray:
    return x


def bootstrap_replicates(
    values: Any,
    weights: Any | None = None,
    *,
    groups: Any | None = None,
    denominator: str = "weights",
    transform: Callable[[np.ndarray], np.ndarray] | None = None,
    n_resamples: int = DEFAULT_RESAMPLES,
    seed: int | np.random.Generator | None = None,
) -> tuple[np.ndarray, float, int, str]:
    """The replicates of ``transform(Σ w·l / Σ den)``, the estimate, the unit count and kind."""
    n_resamples = check_resamples(n_resamples)
    transform = transform or _identity
    columns, _ = _columns(values, weights, denominator)
    units, unit = _as_units(columns, groups)
    total = units.sum(axis=0)
    if total[1] == 0:
        raise ShapeError("the weights sum to zero")
    estimate = float(transform(np.asarray(total[0] / total[1])))
    sums = resample_sums(units, n_resamples, make_rng(seed))
    replicates = transform(_ratio(sums[:, 0], sums[:, 1]))
    return replicates, estimate, units.shape[0], unit


def bootstrap_interval(
    values: Any,
    weights: Any | None = None,
    *,
    groups: Any | None = None,
    level: float = DEFAULT_LEVEL,
    n_resamples: int = DEFAULT_RESAMPLES,
    seed: int | np.random.Generator | None = None,
    denominator: str = "weights",
    transform: Callable[[np.ndarray], np.ndarray] | None = None,
) -> Interval:
    """Percentile bootstrap interval of a (weighted) mean loss.

    The statistic is ``transform(Σ_i w_i·l_i / Σ_i d_i)`` with ``d_i = w_i``
    (``denominator="weights"``, the losscli/scikit-learn/PyTorch mean) or ``d_i = 1``
    (``"elements"``, Keras' ``sum_over_batch_size``). Without ``groups`` the rows are
    resampled; with ``groups`` (image or sequence ids) whole groups are.

    Args:
        values: (n,) per-sample loss terms l_i (unweighted), or per-group values.
        weights: optional (n,) non-negative sample weights w_i.
        groups: optional (n,) group ids: resample groups instead of rows.
        level: the confidence level in (0, 1).
        n_resamples: bootstrap replicates B.
        seed: an int (reproducible), a Generator, or None.
        denominator: ``"weights"`` or ``"elements"``.
        transform: a monotone map applied to each replicate (``np.sqrt`` for RMSE).

    Returns:
        An :class:`Interval`.

    Example:
        >>> interval = bootstrap_interval([1.0, 2.0, 3.0, 4.0], seed=0, n_resamples=500)
        >>> interval.estimate
        2.5
        >>> 1.0 <= interval.low < 2.5 < interval.high <= 4.0
        True
    """
    level = check_level(level)
    replicates, estimate, units, unit = bootstrap_replicates(
        values,
        weights,
        groups=groups,
        denominator=denominator,
        transform=transform,
        n_resamples=n_resamples,
        seed=seed,
    )
    low, high = _percentiles(replicates, level)
    return Interval(level, low, high, estimate, check_resamples(n_resamples), units, unit)


@dataclass(frozen=True)
class PairedDifference:
    """``loss(candidate) − loss(baseline)`` on the same rows, with its bootstrap interval."""

    baseline: float
    candidate: float
    interval: Interval

    @property
    def difference(self) -> float:
        return self.interval.estimate


def paired_difference(
    baseline_values: Any,
    candidate_values: Any,
    weights: Any | None = None,
    *,
    groups: Any | None = None,
    level: float = DEFAULT_LEVEL,
    n_resamples: int = DEFAULT_RESAMPLES,
    seed: int | np.random.Generator | None = None,
    denominator: str = "weights",
    transform: Callable[[np.ndarray], np.ndarray] | None = None,
) -> PairedDifference:
    """Paired percentile bootstrap of the difference between two models' losses.

    Both models' per-sample values are resampled with the same indices, so the
    interval reflects the variation of the difference on the rows both were scored
    on (a model that is better on every row gets a narrow interval even when the
    losses themselves vary a lot).

    Args:
        baseline_values: (n,) per-sample terms of the baseline model.
        candidate_values: (n,) per-sample terms of the other model, same rows.
        weights, groups, level, n_resamples, seed, denominator, transform: as for
            :func:`bootstrap_interval`.

    Returns:
        A :class:`PairedDifference`; ``difference > 0`` means the candidate's loss is higher.

    Example:
        >>> result = paired_difference([1.0, 2.0, 3.0], [2.0, 3.0, 4.0], seed=1, n_resamples=200)
        >>> result.difference
        1.0
        >>> round(result.interval.low, 12), round(result.interval.high, 12)
        (1.0, 1.0)
    """
    level = check_level(level)
    n_resamples = check_resamples(n_resamples)
    transform = transform or _identity
    base_columns, _ = _columns(baseline_values, weights, denominator)
    cand_columns, _ = _columns(candidate_values, weights, denominator)
    if base_columns.shape != cand_columns.shape:
        raise ShapeError(
            f"the two models have {base_columns.shape[0]} and {cand_columns.shape[0]} values; "
            "a paired comparison needs the same rows"
        )
    # Column 1 (the denominator) is the same for both models: keep it once.
    columns = np.column_stack([base_columns[:, 0], cand_columns[:, 0], base_columns[:, 1]])
    units, unit = _as_units(columns, groups)
    total = units.sum(axis=0)
    if total[2] == 0:
        raise ShapeError("the weights sum to zero")
    baseline = float(transform(np.asarray(total[0] / total[2])))
    candidate = float(transform(np.asarray(total[1] / total[2])))
    sums = resample_sums(units, n_resamples, make_rng(seed))
    differences = transform(_ratio(sums[:, 1], sums[:, 2])) - transform(
        _ratio(sums[:, 0], sums[:, 2])
    )
    low, high = _percentiles(differences, level)
    interval = Interval(level, low, high, candidate - baseline, n_resamples, units.shape[0], unit)
    return PairedDifference(baseline, candidate, interval)
