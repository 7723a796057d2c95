"""What every loss shares: input checks, the mergeable state and the one reduction.

A loss is evaluated as ``finish(partial(chunk_1) + partial(chunk_2) + …)``: the
partial state of a chunk is a dict of sums (nested dicts for per-group sums),
and states merge by adding (:func:`merge_states`). This is what lets the
streaming and Dask engines reuse the in-memory code (torchmetrics' ``_update`` /
``_compute`` split).

The default state of a mean-of-per-sample-terms loss is
``{"sum": Σ w·l, "weight": Σ w, "count": n}``; ``finish`` divides by ``weight``
or by ``count`` as the convention says (:attr:`Convention.weighted_mean`).
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator, Mapping
from typing import Any

import numpy as np

from losscli.conventions import Convention
from losscli.errors import InputError, ParameterError, ShapeError

State = dict[str, Any]
REDUCTIONS = ("mean", "sum", "none")


# --- input checks -------------------------------------------------------------------

# Set only by :func:`finite_checked`, never by the public API.
_FINITE_CHECKED: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "losscli_finite_checked", default=False
)


@contextlib.contextmanager
def finite_checked() -> Iterator[None]:
    """Internal: the caller has already checked that every array it passes is finite.

    Within the block, :func:`as_float_array` skips its NaN/inf scan for arrays that are
    already float64 (no conversion): the evaluation of a ``Layout`` uses it, whose
    columns ``Table.numeric`` checked with the file, line and column. Everything else
    (the conversion, shapes, domains) is checked as always; the public API never sets it.
    """
    token = _FINITE_CHECKED.set(True)
    try:
        yield
    finally:
        _FINITE_CHECKED.reset(token)


# Set only by :func:`probabilities_checked`: (y_pred in [0, 1], its rows sum to 1).
_PROBABILITIES_CHECKED: contextvars.ContextVar[tuple[bool, bool]] = contextvars.ContextVar(
    "losscli_probabilities_checked", default=(False, False)
)


@contextlib.contextmanager
def probabilities_checked(*, rows_sum_to_one: bool) -> Iterator[None]:
    """Internal: the caller has already checked that ``y_pred`` lies in [0, 1] and, with
    ``rows_sum_to_one``, that its rows sum to 1 within the row tolerance.

    The evaluation of a ``Layout`` uses it after ``Layout.check_probabilities``, which
    names the file, line and column: within the block :func:`check_probabilities` skips
    ``y_pred`` and :func:`row_sums_checked` is true, so a streamed chunk is not scanned
    twice more (3 of 8 passes over a 1 M x 10 matrix). The public API never sets it.
    """
    token = _PROBABILITIES_CHECKED.set((True, rows_sum_to_one))
    try:
        yield
    finally:
        _PROBABILITIES_CHECKED.reset(token)


def row_sums_checked() -> bool:
    """Whether the caller checked that the rows of ``y_pred`` sum to 1
    (:func:`probabilities_checked`)."""
    return _PROBABILITIES_CHECKED.get()[1]


def as_float_array(values: Any, name: str) -> np.ndarray:
    """``values`` as a float64 array; NaN or inf is an error naming the argument."""
    try:
        array = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        raise InputError(f"{name} must be numeric") from None
    if array is values and _FINITE_CHECKED.get():
        return array  # float64 already, and the caller checked it (finite_checked)
    if array.size and not np.isfinite(array).all():
        bad = int(np.flatnonzero(~np.isfinite(array.reshape(-1)))[0])
        row = bad // max(1, int(np.prod(array.shape[1:])))
        raise InputError(f"{name} has a NaN or infinite value at row {row}", row=row, argument=name)
    return array


def column_pair(y_true: Any, y_pred: Any) -> tuple[np.ndarray, np.ndarray]:
    """Targets and predictions as equal-shaped float64 arrays, (n,) or (n, k).

    (n,) and (n, 1) are brought to one form; anything else must match exactly,
    so that a column minus a column vector never broadcasts to an (n, n) matrix.
    """
    t = as_float_array(y_true, "y_true")
    p = as_float_array(y_pred, "y_pred")
    if t.ndim == 2 and t.shape[1] == 1 and p.ndim == 1:
        t = t[:, 0]
    if p.ndim == 2 and p.shape[1] == 1 and t.ndim == 1:
        p = p[:, 0]
    if t.shape != p.shape:
        raise ShapeError(f"y_true has shape {t.shape} but y_pred has shape {p.shape}")
    if t.ndim not in (1, 2):
        raise ShapeError(f"expected (n,) or (n, k) arrays, got shape {t.shape}")
    if t.shape[0] == 0:
        raise ShapeError("no samples")
    return t, p


def check_weights(sample_weight: Any, n: int) -> np.ndarray | None:
    """Sample weights as a float64 (n,) array (a scalar is broadcast); None stays None."""
    if sample_weight is None:
        return None
    w = as_float_array(sample_weight, "sample_weight")
    if w.ndim == 0:
        return np.full(n, float(w))
    if w.ndim == 2 and w.shape[1] == 1:
        w = w[:, 0]
    if w.shape != (n,):
        raise ShapeError(f"sample_weight has shape {w.shape}; expected ({n},)")
    if (w < 0).any():
        row = int(np.argmax(w < 0))
        raise InputError(
            f"sample_weight has a negative value at row {row}", row=row, argument="sample_weight"
        )
    return w


def check_probabilities(p: np.ndarray, name: str = "y_pred") -> None:
    """Values outside [0, 1] are an error that suggests ``--from-logits``."""
    if name == "y_pred" and _PROBABILITIES_CHECKED.get()[0]:
        return  # the caller checked them, naming file, line and column
    if p.size == 0 or (p.min() >= 0 and p.max() <= 1):
        return  # two reductions, no boolean temporaries (the common case on every chunk)
    bad = (p < 0) | (p > 1)
    if bad.any():
        row = int(np.flatnonzero(bad.reshape(p.shape[0], -1).any(axis=1))[0])
        raise InputError(
            f"{name} has a value outside [0, 1] at row {row} "
            f"({p.reshape(p.shape[0], -1)[row].max():g}); are these logits? use from_logits",
            hint="--from-logits",
            row=row,
            argument=name,
        )


def check_reduction(reduction: str) -> str:
    if reduction not in REDUCTIONS:
        raise ParameterError(
            f"unknown reduction {reduction!r}; choose one of {', '.join(REDUCTIONS)}"
        )
    return reduction


# --- numerically stable building blocks ----------------------------------------------


def softplus(x: np.ndarray) -> np.ndarray:
    """log(1 + e^x) without overflow: max(x, 0) + log1p(e^-|x|)."""
    return np.maximum(x, 0.0) + np.log1p(np.exp(-np.abs(x)))


def log_sigmoid(x: np.ndarray) -> np.ndarray:
    """log σ(x) = -softplus(-x), finite for |x| of 1e4 and beyond."""
    return -softplus(-x)


def sigmoid(x: np.ndarray) -> np.ndarray:
    """σ(x) = e^{log σ(x)}, with no overflow warning for large |x|."""
    return np.exp(log_sigmoid(x))


def log_softmax(z: np.ndarray) -> np.ndarray:
    """log softmax over the last axis by log-sum-exp: z - max - log Σ e^{z - max}."""
    shifted = z - z.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def clip_probabilities(p: np.ndarray, epsilon: float) -> np.ndarray:
    """p clipped to [epsilon, 1 - epsilon] (the Keras convention); epsilon 0 leaves p."""
    if epsilon <= 0:
        return p
    return np.clip(p, epsilon, 1.0 - epsilon)


# --- the mergeable state and the one reduction --------------------------------------


def mean_state(per_sample: np.ndarray, weights: np.ndarray | None) -> State:
    """The state of a mean of per-sample terms: Σ w·l, Σ w and n."""
    n = per_sample.shape[0]
    if weights is None:
        return {"sum": float(per_sample.sum()), "weight": float(n), "count": float(n)}
    return {
        "sum": float(np.dot(weights, per_sample)),
        "weight": float(weights.sum()),
        "count": float(n),
    }


def merge_states(a: State, b: State) -> State:
    """The state of two chunks together: sums add, per-group tables merge key by key."""
    merged: State = dict(a)
    for key, value in b.items():
        if key not in merged:
            merged[key] = value
        elif isinstance(value, Mapping):
            merged[key] = merge_states(merged[key], value)
        else:
            merged[key] = merged[key] + value
    return merged


def finish_mean(state: State, reduction: str, convention: Convention) -> float:
    """Mean (Σ w·l / Σ w, or / n under ``elements``) or sum of a :func:`mean_state`."""
    if reduction == "sum":
        return float(state["sum"])
    denominator = state["count"] if convention.weighted_mean == "elements" else state["weight"]
    if denominator == 0:
        if state.get("count", 0) == 0:
            return 0.0  # no samples at all (an empty merge): nothing to average
        # Every weight is zero: the weighted mean is 0/0, not 0 (a silent 0.0 would pass
        # any --fail-if gate).
        raise InputError("the sample weights sum to zero", argument="sample_weight")
    return float(state["sum"] / denominator)
