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

import math
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from losscli.errors import ParameterError, ShapeError

if TYPE_CHECKING:
    from losscli.conventions import Convention
    from losscli.registry import LossSpec

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


def index_batches(
    units: int,
    n_resamples: int,
    rng: np.random.Generator,
    *,
    max_batch_elements: int = MAX_BATCH_ELEMENTS,
) -> Iterator[tuple[int, np.ndarray]]:
    """``(start, indices)`` batches of a ``(n_resamples, units)`` bootstrap index matrix.

    The batch size depends only on ``units`` and the memory bound, and NumPy draws the
    integers in order, so two calls with equal seeds give the same matrix whatever
    the batching: this is what pairs two models' replicates.
    """
    batch = max(1, min(n_resamples, max_batch_elements // max(units, 1)))
    start = 0
    while start < n_resamples:
        size = min(batch, n_resamples - start)
        yield start, rng.integers(0, units, size=(size, units))
        start += size


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
    sums = np.empty((n_resamples, k))
    for start, index in index_batches(
        units, n_resamples, rng, max_batch_elements=max_batch_elements
    ):
        for j in range(k):  # one gathered (batch, units) matrix at a time bounds memory
            sums[start : start + index.shape[0], j] = np.take(columns[:, j], index).sum(axis=1)
    return sums


def _group_sums(columns: np.ndarray, groups: Any) -> np.ndarray:
    """The per-group sums of ``columns`` (groups in sorted id order)."""
    groups = np.asarray(groups)
    if groups.ndim == 2 and groups.shape[1] == 1:
        groups = groups[:, 0]
    if groups.shape != (columns.shape[0],):
        raise ShapeError(
            f"groups has shape {groups.shape}; expected ({columns.shape[0]},) like the values"
        )
    _, codes = np.unique(groups, return_inverse=True)
    codes = codes.reshape(-1)
    count = int(codes.max()) + 1
    return np.stack(
        [
            np.bincount(codes, weights=columns[:, j], minlength=count)
            for j in range(columns.shape[1])
        ],
        axis=1,
    )


def _ratio(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    # A replicate may draw only zero-weight rows; it has no loss value and is dropped.
    out = np.full(numerator.shape, np.nan)
    np.divide(numerator, denominator, out=out, where=denominator != 0)
    return out


def _percentiles(replicates: np.ndarray, level: float) -> tuple[float, float]:
    finite = replicates[np.isfinite(replicates)]
    if finite.size == 0:
        raise ShapeError("every bootstrap replicate had zero total weight")
    tail = (1.0 - level) / 2.0
    low, high = np.quantile(finite, [tail, 1.0 - tail])
    return float(low), float(high)


# --- what a loss is made of: terms that can be resampled ------------------------------


class Terms:
    """A loss as resampling units: ``estimate`` and ``replicates(n, seed)``."""

    estimate: float
    units: int
    unit: str

    def replicates(self, n_resamples: int, seed: int | None) -> np.ndarray:
        raise NotImplementedError


class RatioTerms(Terms):
    """``transform(Σ numerator / Σ denominator)`` over resampled units (vectorised).

    Every mean loss is this with numerator w·l and denominator w (or 1 under the
    ``elements`` convention); RMSE adds ``transform=sqrt``.
    """

    def __init__(
        self,
        numerator: np.ndarray,
        denominator: np.ndarray,
        *,
        groups: Any | None = None,
        transform: Callable[[np.ndarray], np.ndarray] | None = None,
    ) -> None:
        columns = np.column_stack([numerator, denominator]).astype(np.float64)
        if columns.shape[0] == 0:
            raise ShapeError("a bootstrap interval needs at least one value")
        if not np.isfinite(columns).all():
            raise ShapeError("bootstrap values must be finite")
        self.unit = "rows" if groups is None else "groups"
        self.columns = columns if groups is None else _group_sums(columns, groups)
        self.units = self.columns.shape[0]
        self.transform = transform or _identity
        total = self.columns.sum(axis=0)
        if total[1] == 0:
            raise ShapeError("the weights sum to zero")
        self.estimate = float(self.transform(np.asarray(total[0] / total[1])))

    def replicates(self, n_resamples: int, seed: int | None) -> np.ndarray:
        sums = resample_sums(self.columns, n_resamples, make_rng(seed))
        with np.errstate(invalid="ignore"):
            return np.asarray(self.transform(_ratio(sums[:, 0], sums[:, 1])), dtype=np.float64)


def _identity(x: np.ndarray) -> np.ndarray:
    return x


def _flatten(state: Mapping[str, Any], keys: Sequence[str]) -> np.ndarray:
    return np.concatenate([np.asarray(state[k], dtype=np.float64).reshape(-1) for k in keys])


class StateTerms(Terms):
    """A loss whose value is ``finish(state)`` of a non-linear state (Dice per image,
    CTC, sequence CE, class-weighted CE): each replicate builds the state of the
    resampled units and calls the library's own ``finish``.

    ``matrix`` holds one row per unit: its state's summed ``keys`` flattened (of
    ``shapes``, scalars by default). The replicate state sums the drawn rows key by
    key; with ``unit_states`` it also carries the drawn units' states as its per-group
    table (each draw a separate group, so an image drawn twice counts twice).
    """

    def __init__(
        self,
        matrix: np.ndarray,
        keys: Sequence[str],
        finish: Callable[[dict[str, Any]], float],
        *,
        estimate: float,
        unit: str,
        shapes: Sequence[tuple[int, ...]] | None = None,
        unit_states: Sequence[Mapping[str, Any]] | None = None,
    ) -> None:
        if matrix.shape[0] == 0:
            raise ShapeError("a bootstrap interval needs at least one group")
        self.matrix = matrix
        self.keys = list(keys)
        self.shapes = list(shapes) if shapes is not None else [()] * len(self.keys)
        self.finish = finish
        self.estimate = float(estimate)
        self.units = matrix.shape[0]
        self.unit = unit
        # given, the replicate state also carries the drawn units' states as its table
        self.unit_states = None if unit_states is None else list(unit_states)

    @classmethod
    def from_states(
        cls,
        unit_states: Sequence[Mapping[str, Any]],
        finish: Callable[[dict[str, Any]], float],
        *,
        estimate: float,
        unit: str,
        table: bool,
        summed_keys: Sequence[str],
    ) -> StateTerms:
        """The terms of one state per unit (``table``: keep them as the per-group table)."""
        if not unit_states:
            raise ShapeError("a bootstrap interval needs at least one group")
        keys = list(summed_keys)
        matrix = (
            np.stack([_flatten(s, keys) for s in unit_states])
            if keys
            else np.zeros((len(unit_states), 0))
        )
        return cls(
            matrix,
            keys,
            finish,
            estimate=estimate,
            unit=unit,
            shapes=[np.shape(unit_states[0][k]) for k in keys],
            unit_states=unit_states if table else None,
        )

    def _state(self, sums: np.ndarray, drawn: np.ndarray) -> dict[str, Any]:
        state: dict[str, Any] = {}
        offset = 0
        for key, shape in zip(self.keys, self.shapes, strict=True):
            size = int(np.prod(shape)) if shape else 1
            chunk = sums[offset : offset + size]
            state[key] = float(chunk[0]) if not shape else chunk.reshape(shape)
            offset += size
        if self.unit_states is not None:
            state["groups"] = {j: self.unit_states[i] for j, i in enumerate(drawn.tolist())}
        return state

    def replicates(self, n_resamples: int, seed: int | None) -> np.ndarray:
        from losscli.errors import LossCliError

        out = np.full(n_resamples, np.nan)
        for start, index in index_batches(self.units, n_resamples, make_rng(seed)):
            sums = (
                np.take(self.matrix, index, axis=0).sum(axis=1)
                if self.keys
                else np.zeros((index.shape[0], 0))
            )
            for b in range(index.shape[0]):  # a Python finish per replicate: O(B · units)
                try:
                    out[start + b] = self.finish(self._state(sums[b], index[b]))
                except LossCliError:  # e.g. a replicate whose weights sum to zero
                    continue
        return out


def _rows(array: Any, rows: np.ndarray) -> Any:
    return None if array is None else np.asarray(array)[rows]


def loss_terms(
    name: str | LossSpec,
    y_true: Any,
    y_pred: Any,
    *,
    sample_weight: Any = None,
    groups: Any = None,
    convention: str | Convention = "losscli",
    task: str | None = None,
    **params: Any,
) -> Terms:
    """The resampling units of a loss on arrays laid out as for :func:`losscli.loss`.

    Mean losses become :class:`RatioTerms` (rows, or groups when ``groups`` is
    given); grouped losses (Dice per image, sequence CE, CTC) and losses whose mean
    has its own denominators (class-weighted cross-entropy) become :class:`StateTerms`
    over groups (or rows). The estimate always equals the library's value.
    """
    from losscli import api
    from losscli.conventions import get_convention
    from losscli.losses.base import check_weights

    spec, resolved = api.resolve(name, task, params)
    conv = get_convention(convention)
    value = api.loss(
        spec,
        y_true,
        y_pred,
        sample_weight=sample_weight,
        groups=groups,
        convention=conv,
        **resolved,
    )
    n = np.shape(y_true)[0]
    weights = check_weights(sample_weight, n)
    if spec.per_sample is not None and not spec.grouped:
        losses = np.asarray(spec.per_sample(y_true, y_pred, convention=conv, **resolved))
        w = np.ones(n) if weights is None else weights
        numerator = np.where(w > 0, w * losses, 0.0)  # a zero weight silences an inf
        denominator = w if conv.weighted_mean == "weights" else np.ones(n)
        transform = None
        if spec.transform is not None:
            transform = np.vectorize(spec.transform, otypes=[np.float64])
        terms = RatioTerms(numerator, denominator, groups=groups, transform=transform)
        if math.isclose(terms.estimate, value, rel_tol=1e-9, abs_tol=1e-12):
            return terms
        # class weights or ignored classes: the mean has its own denominators

    def finish(state: dict[str, Any]) -> float:
        # the library's own finish: the custom one, or the mean-state one (api.finish)
        return float(api.finish(spec, state, convention=conv, **resolved))

    def partial(rows: np.ndarray | None, unit_groups: Any) -> dict[str, Any]:
        return api.partial(
            spec,
            y_true if rows is None else _rows(y_true, rows),
            y_pred if rows is None else _rows(y_pred, rows),
            sample_weight=weights if rows is None else _rows(weights, rows),
            groups=unit_groups,
            convention=conv,
            **resolved,
        )

    if groups is not None:
        return _group_terms(spec, partial, finish, groups, value, conv, resolved)
    if spec.grouped:
        raise ShapeError(
            f"{spec.name}: the whole input is one group; a bootstrap interval needs several "
            "(give the image or sequence ids with --group)"
        )
    columns = _row_state_columns(spec, y_true, y_pred, weights, conv, resolved)
    if columns is not None:
        matrix = np.column_stack(list(columns.values()))
        return StateTerms(matrix, list(columns), finish, estimate=value, unit="rows")
    # an unfamiliar state layout: one state per row, a Python loop over rows
    states = [partial(np.array([i]), None) for i in range(n)]
    keys = [k for k in states[0] if not isinstance(states[0][k], Mapping)]
    return StateTerms.from_states(
        states, finish, estimate=value, unit="rows", table=False, summed_keys=keys
    )


def _group_terms(
    spec: LossSpec,
    partial: Callable[[np.ndarray | None, Any], dict[str, Any]],
    finish: Callable[[dict[str, Any]], float],
    groups: Any,
    value: float,
    conv: Convention,
    resolved: dict[str, Any],
) -> Terms:
    """The terms of a loss resampled by ``groups`` (images, sequences)."""
    whole = partial(None, groups)
    table = whole.get("groups")
    top = [k for k in whole if k != "groups"]
    if isinstance(table, Mapping) and len(table) > 1:
        from losscli.losses.segmentation import sorted_keys

        entries = [table[g] for g in sorted_keys(table)]
        # Dice per image, CTC: the loss is the plain mean of per-group values, which
        # resampling does not change: resample those values, vectorised.
        per_group = np.asarray(
            spec.finish(whole, reduction="none", convention=conv, **resolved),
            dtype=np.float64,
        ).reshape(-1)
        if per_group.shape[0] == len(entries) and np.isfinite(per_group).all():
            terms = RatioTerms(per_group, np.ones(len(entries)))
            if math.isclose(terms.estimate, value, rel_tol=1e-9, abs_tol=1e-12):
                terms.unit = "groups"
                return terms
        if all(k in entries[0] for k in top):
            return StateTerms.from_states(
                entries, finish, estimate=value, unit="groups", table=True, summed_keys=top
            )
    # one state per group (global pooling): a loop over groups, each vectorised inside
    ids = np.asarray(groups)
    ids = ids[:, 0] if ids.ndim == 2 else ids
    _, codes = np.unique(ids, return_inverse=True)
    codes = codes.reshape(-1)
    order = np.argsort(codes, kind="stable")
    bounds = np.flatnonzero(np.diff(codes[order])) + 1
    states = [partial(rows, None) for rows in np.split(order, bounds)]
    keys = [k for k in states[0] if k != "groups"]
    if "groups" in states[0]:
        raise ShapeError(f"{spec.name}: no bootstrap for this state layout")
    return StateTerms.from_states(
        states, finish, estimate=value, unit="groups", table=False, summed_keys=keys
    )


#: The state of a mean (``mean_state``, cross-entropy's own): Σ w·l, Σ weight, n.
_MEAN_STATE_KEYS = ("sum", "weight", "count")


def _row_state_columns(
    spec: LossSpec,
    y_true: Any,
    y_pred: Any,
    weights: np.ndarray | None,
    conv: Convention,
    resolved: dict[str, Any],
) -> dict[str, np.ndarray] | None:
    """Each row's mean state as columns, for a mean with its own denominators.

    Class-weighted and ``ignore_class`` cross-entropy: row i's state is
    ``{"sum": s_i·l_i, "weight": s_i·ω_i, "count": v_i}`` where the class weight ω_i
    (0 when ignored) and v_i (0 when ignored, else 1) depend on the row's target only.
    So the terms s_i·l_i come from the per-sample values in one call, and ω_i, v_i from
    one state per distinct target: K labels or one-hot rows, not n rows (soft targets
    are mostly distinct, so they still cost a state per row). None when the state is
    not of that layout (the caller then builds one state per row).
    """
    from losscli import api

    targets = np.asarray(y_true)
    _, first, inverse = np.unique(
        targets.reshape(targets.shape[0], -1), axis=0, return_index=True, return_inverse=True
    )
    # the state of the first row of each distinct target, at unit weight
    predictions = np.asarray(y_pred)
    distinct = [
        api.partial(
            spec, targets[row : row + 1], predictions[row : row + 1], convention=conv, **resolved
        )
        for row in first
    ]
    if any(set(state) != set(_MEAN_STATE_KEYS) for state in distinct):
        return None
    inverse = inverse.reshape(-1)
    unit_weight = np.array([state["weight"] for state in distinct], dtype=np.float64)[inverse]
    terms = api.per_sample(spec, y_true, y_pred, sample_weight=weights, convention=conv, **resolved)
    return {
        "sum": np.asarray(terms, dtype=np.float64).reshape(-1),
        "weight": unit_weight if weights is None else weights * unit_weight,
        "count": np.array([state["count"] for state in distinct], dtype=np.float64)[inverse],
    }


# --- intervals ------------------------------------------------------------------------


def _int_seed(seed: int | np.random.Generator | None) -> int:
    """One integer seed, so that two Terms can draw the same index matrix."""
    if isinstance(seed, np.random.Generator):
        return int(seed.integers(0, 2**63 - 1))
    if seed is None:
        return int(np.random.default_rng().integers(0, 2**63 - 1))
    return int(seed)


def interval_of(
    terms: Terms,
    *,
    level: float = DEFAULT_LEVEL,
    n_resamples: int = DEFAULT_RESAMPLES,
    seed: int | np.random.Generator | None = None,
) -> Interval:
    """The percentile bootstrap interval of ``terms``' statistic."""
    level = check_level(level)
    n_resamples = check_resamples(n_resamples)
    replicates = terms.replicates(n_resamples, _int_seed(seed))
    low, high = _percentiles(replicates, level)
    return Interval(level, low, high, terms.estimate, n_resamples, terms.units, terms.unit)


def loss_interval(
    name: str | LossSpec,
    y_true: Any,
    y_pred: Any,
    *,
    sample_weight: Any = None,
    groups: Any = None,
    convention: str | Convention = "losscli",
    task: str | None = None,
    level: float = DEFAULT_LEVEL,
    n_resamples: int = DEFAULT_RESAMPLES,
    seed: int | np.random.Generator | None = None,
    **params: Any,
) -> Interval:
    """Bootstrap interval of loss ``name`` on the arrays ``compute`` evaluates.

    Example:
        >>> interval = loss_interval("mse", [0.0, 1.0, 2.0, 3.0], [0.0, 0.0, 0.0, 0.0], seed=0)
        >>> interval.estimate, interval.unit
        (3.5, 'rows')
    """
    terms = loss_terms(
        name,
        y_true,
        y_pred,
        sample_weight=sample_weight,
        groups=groups,
        convention=convention,
        task=task,
        **params,
    )
    return interval_of(terms, level=level, n_resamples=n_resamples, seed=seed)


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
    """Percentile bootstrap interval of a (weighted) mean of per-sample values.

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
    terms = _ratio_terms(values, weights, groups, denominator, transform)
    return interval_of(terms, level=level, n_resamples=n_resamples, seed=seed)


def _ratio_terms(
    values: Any,
    weights: Any | None,
    groups: Any | None,
    denominator: str,
    transform: Callable[[np.ndarray], np.ndarray] | None,
) -> RatioTerms:
    values = np.asarray(values, dtype=np.float64).reshape(-1)
    if values.size == 0:
        raise ShapeError("a bootstrap interval needs at least one value")
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
    return RatioTerms(w * values, den, groups=groups, transform=transform)


@dataclass(frozen=True)
class PairedDifference:
    """``loss(candidate) − loss(baseline)`` on the same rows, with its bootstrap interval."""

    baseline: float
    candidate: float
    interval: Interval

    @property
    def difference(self) -> float:
        return self.interval.estimate


def paired_interval(
    baseline: Terms,
    candidate: Terms,
    *,
    level: float = DEFAULT_LEVEL,
    n_resamples: int = DEFAULT_RESAMPLES,
    seed: int | np.random.Generator | None = None,
) -> PairedDifference:
    """Paired bootstrap of ``candidate − baseline``: both resampled with the same indices."""
    level = check_level(level)
    n_resamples = check_resamples(n_resamples)
    if baseline.units != candidate.units or baseline.unit != candidate.unit:
        raise ShapeError(
            f"the two models have {baseline.units} and {candidate.units} {baseline.unit}; "
            "a paired comparison needs the same rows"
        )
    shared = _int_seed(seed)  # the same seed draws the same index matrix for both
    differences = candidate.replicates(n_resamples, shared) - baseline.replicates(
        n_resamples, shared
    )
    low, high = _percentiles(differences, level)
    estimate = candidate.estimate - baseline.estimate
    interval = Interval(level, low, high, estimate, n_resamples, baseline.units, baseline.unit)
    return PairedDifference(baseline.estimate, candidate.estimate, interval)


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
    """Paired percentile bootstrap of the difference between two models' mean losses.

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
    base = _ratio_terms(baseline_values, weights, groups, denominator, transform)
    cand = _ratio_terms(candidate_values, weights, groups, denominator, transform)
    return paired_interval(base, cand, level=level, n_resamples=n_resamples, seed=seed)


# --- compute --ci, compare -------------------------------------------------------------


def request_terms(layout: Any, request: Any, *, convention: str) -> Terms:
    """:func:`loss_terms` of one requested loss on a laid-out input, as ``compute`` and
    ``compare`` evaluate it (groups only for the grouped losses).

    Args:
        layout: a :class:`losscli.layout.Layout`.
        request: a :class:`losscli.evaluation.LossRequest` (spec, parameters, label).
        convention: the convention name.
    """
    spec = request.spec
    return loss_terms(
        spec,
        layout.target_as(spec.target),
        layout.y_pred,
        sample_weight=layout.sample_weight,
        groups=layout.groups if spec.grouped else None,
        convention=convention,
        task=layout.task,
        **request.params,
    )


def add_intervals(
    report: dict[str, Any],
    layout: Any,
    requests: Sequence[Any],
    *,
    convention: str,
    level: float,
    n_resamples: int = DEFAULT_RESAMPLES,
    seed: int | None = None,
) -> list[str]:
    """``compute --ci``: add ``"ci": {"level", "low", "high", ...}`` to each loss of the
    compute ``report`` (a loss that has no interval gets ``"ci": null`` and a warning).

    Args:
        report: the ``losscli/compute/1`` document; its ``losses`` are keyed by label.
        layout: the :class:`losscli.layout.Layout` the losses were evaluated on.
        requests: the :class:`losscli.evaluation.LossRequest` objects, one per label.
        convention, level, n_resamples: as for :func:`loss_interval`.
        seed: None draws one, which the report then shows, so a run can be repeated.

    Returns:
        The warnings (also appended to ``report["warnings"]``).
    """
    level = check_level(level)
    n_resamples = check_resamples(n_resamples)
    seed = _int_seed(seed) % (2**32)
    warnings: list[str] = []
    for request in requests:
        entry = report["losses"].get(request.label)
        if entry is None:
            continue
        try:
            terms = request_terms(layout, request, convention=convention)
        except ShapeError as error:
            entry["ci"] = None
            warnings.append(f"no interval for {request.label}: {error.message}")
            continue
        interval = interval_of(terms, level=level, n_resamples=n_resamples, seed=seed)
        entry["ci"] = {**interval.as_dict(), "seed": seed}
    report.setdefault("warnings", []).extend(warnings)
    return warnings
