"""The Python API: ``loss()``, ``partial()``/``merge()``/``finish()`` and ``catalog()``.

The CLI, the streaming engine and the Dask engine all call these functions.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from losscli import registry
from losscli.conventions import Convention, get_convention
from losscli.errors import ParameterError, ShapeError
from losscli.losses.base import (
    State,
    check_reduction,
    check_weights,
    finish_mean,
    mean_state,
    merge_states,
)
from losscli.registry import LossSpec


def resolve(
    name: str | LossSpec, task: str | None, params: dict[str, Any]
) -> tuple[LossSpec, dict[str, Any]]:
    """The spec of ``name`` (its form for ``task``) and its checked parameters."""
    spec = registry.get(name) if isinstance(name, str) else name
    spec = spec.for_task(task)
    return spec, spec.resolve_params(params)


def _sample_count(y_true: Any) -> int:
    shape = np.shape(y_true)
    if not shape:
        raise ShapeError("y_true must be an array with one row per sample, got a scalar")
    return shape[0]


def partial(
    name: str | LossSpec,
    y_true: Any,
    y_pred: Any,
    *,
    sample_weight: Any = None,
    groups: Any = None,
    convention: str | Convention = "losscli",
    task: str | None = None,
    **params: Any,
) -> State:
    """The mergeable state of ``name`` on one chunk of rows (see :func:`merge`)."""
    spec, resolved = resolve(name, task, params)
    conv = get_convention(convention)
    weights = check_weights(sample_weight, _sample_count(y_true))
    if spec.partial is not None:
        return spec.partial(
            y_true, y_pred, weights=weights, groups=groups, convention=conv, **resolved
        )
    values = spec.per_sample(y_true, y_pred, convention=conv, **resolved)
    return mean_state(values, weights)


def merge(*states: State) -> State:
    """Two or more chunk states as one (addition of sufficient statistics)."""
    if not states:
        raise ValueError("merge() needs at least one state")
    merged = states[0]
    for state in states[1:]:
        merged = merge_states(merged, state)
    return merged


def finish(
    name: str | LossSpec,
    state: State,
    *,
    reduction: str = "mean",
    convention: str | Convention = "losscli",
    task: str | None = None,
    **params: Any,
) -> float:
    """The loss value from a (merged) state."""
    spec, resolved = resolve(name, task, params)
    conv = get_convention(convention)
    check_reduction(reduction)
    if reduction == "none":
        raise ParameterError("reduction='none' has no mergeable state; call loss() on the arrays")
    if spec.finish is not None:
        return spec.finish(state, reduction=reduction, convention=conv, **resolved)
    value = finish_mean(state, reduction, conv)
    if spec.transform is not None:
        if reduction != "mean":
            raise ParameterError(f"{spec.name} is defined for reduction='mean' only")
        value = spec.transform(value)
    return value


def per_sample(
    name: str | LossSpec,
    y_true: Any,
    y_pred: Any,
    *,
    sample_weight: Any = None,
    groups: Any = None,
    convention: str | Convention = "losscli",
    task: str | None = None,
    **params: Any,
) -> np.ndarray:
    """Per-sample (or, for grouped losses, per-group) values, times the sample weights."""
    spec, resolved = resolve(name, task, params)
    conv = get_convention(convention)
    if spec.per_sample is None or spec.grouped:
        state = partial(
            spec,
            y_true,
            y_pred,
            sample_weight=sample_weight,
            groups=groups,
            convention=conv,
            **resolved,
        )
        return np.asarray(spec.finish(state, reduction="none", convention=conv, **resolved))
    values = spec.per_sample(y_true, y_pred, convention=conv, **resolved)
    weights = check_weights(sample_weight, values.shape[0])
    return values if weights is None else values * weights


def loss(
    name: str,
    y_true: Any,
    y_pred: Any,
    *,
    sample_weight: Any = None,
    reduction: str = "mean",
    convention: str | Convention = "losscli",
    groups: Any = None,
    task: str | None = None,
    **params: Any,
) -> float | np.ndarray:
    """Compute loss ``name`` on NumPy arrays shaped as the task's layout (SPEC §3).

    Args:
        name: a canonical loss name or alias (``losscli.catalog()`` lists them).
        y_true: targets: (n,) or (n, k) values, (n,) labels, (n, K) one-hot, (n, 4) boxes.
        y_pred: predictions of the shape the loss expects.
        sample_weight: optional (n,) non-negative weights (a scalar is broadcast).
        reduction: ``"mean"`` (Σ w·l / Σ w, or the convention's mean), ``"sum"`` or
            ``"none"`` (per-sample values times their weights).
        convention: ``"losscli"``, ``"keras"``, ``"torch"`` or ``"sklearn"``.
        groups: image or sequence ids, for segmentation and sequence losses.
        task: picks the form of a loss that has several (``focal``).
        **params: the loss's parameters (``delta=2.5``).

    Returns:
        A float, or a float64 array for ``reduction="none"``.

    Example:
        >>> import losscli
        >>> losscli.loss("mse", [1.0, 2.0, 3.0], [1.0, 2.0, 5.0])
        1.3333333333333333
    """
    check_reduction(reduction)
    if reduction == "none":
        return per_sample(
            name,
            y_true,
            y_pred,
            sample_weight=sample_weight,
            groups=groups,
            convention=convention,
            task=task,
            **params,
        )
    state = partial(
        name,
        y_true,
        y_pred,
        sample_weight=sample_weight,
        groups=groups,
        convention=convention,
        task=task,
        **params,
    )
    return finish(name, state, reduction=reduction, convention=convention, task=task, **params)


def catalog() -> tuple[LossSpec, ...]:
    """Every loss in the registry, with its metadata."""
    return registry.all_specs()
