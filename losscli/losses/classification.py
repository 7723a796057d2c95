"""Classification losses: cross-entropies, focal, hinge family, KL divergence and Brier.

Layouts (SPEC §3): binary and multilabel targets are (n,) or (n, K) arrays of 0/1
(or soft) labels next to predictions of the same shape; multiclass targets are
(n,) integer class indices (``sparse_cce``) or (n, K) one-hot / soft rows
(``cce``) next to (n, K) probabilities or logits. Each function returns one value
per sample; a sample with K labels gets the mean over its labels (binary family)
or the sum over its classes (categorical family), as Keras reduces the last axis.

Where the frameworks differ (clip constant, ``log(1 - p)`` against ``log1p(-p)``,
row renormalisation, label mapping, the class-weighted mean) the functions read the
:class:`~losscli.conventions.Convention`'s small print; they never test its name.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from losscli.conventions import Convention
from losscli.distinct import sorted_distinct
from losscli.errors import InputError, ParameterError, ShapeError
from losscli.losses.base import (
    State,
    as_float_array,
    check_probabilities,
    clip_probabilities,
    column_pair,
    log_softmax,
    row_sums_checked,
    sigmoid,
    softplus,
)
from losscli.registry import LossSpec, NumberOrList, Param

#: A row of probabilities "sums to 1" when it is within this of 1 (SPEC §2 Numerics).
ROW_SUM_TOLERANCE = 1e-6

# --- small helpers ------------------------------------------------------------------


def _epsilon(epsilon: float | None, convention: Convention) -> float:
    """The clip constant: the parameter when given, else the convention's."""
    return convention.epsilon if epsilon is None else float(epsilon)


def _times_log(weight: np.ndarray, log_value: np.ndarray) -> np.ndarray:
    """weight · log_value with 0 · log 0 = 0 (the xlogy convention)."""
    with np.errstate(invalid="ignore"):
        product = weight * log_value
    return np.where(weight == 0, 0.0, product)


def _log(values: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore"):
        return np.log(values)


def _label_mean(values: np.ndarray) -> np.ndarray:
    """Per-sample value: itself for (n,), the mean over the K labels for (n, K)."""
    return values if values.ndim == 1 else values.mean(axis=1)


def _first_bad_row(bad: np.ndarray) -> int:
    return int(np.flatnonzero(bad.reshape(bad.shape[0], -1).any(axis=1))[0])


def _check_unit_targets(t: np.ndarray, loss: str) -> None:
    """Binary targets must be 0/1 labels or soft labels in [0, 1]."""
    bad = (t < 0) | (t > 1)
    if bad.any():
        row = _first_bad_row(bad)
        raise InputError(
            f"{loss}: y_true has a value outside [0, 1] at row {row} "
            f"({t.reshape(t.shape[0], -1)[row][bad.reshape(t.shape[0], -1)[row]][0]:g}); "
            "targets must be 0/1 labels or probabilities",
            hint="map the labels to 0/1 (--positive LABEL)",
            row=row,
            argument="y_true",
        )


def _smooth_binary(t: np.ndarray, label_smoothing: float) -> np.ndarray:
    """Keras' binary label smoothing: y·(1 − ls) + ls/2 (each target moves towards 0.5)."""
    return t * (1.0 - label_smoothing) + 0.5 * label_smoothing if label_smoothing else t


def _binary_log_terms(
    p: np.ndarray, epsilon: float, convention: Convention, loss: str
) -> tuple[np.ndarray, np.ndarray]:
    """log p and log(1 − p) of probabilities, in the convention's small print.

    ``log_complement``: ``log1p`` (losscli, PyTorch) computes log1p(−clip(p)),
    exact for small p; ``log_one_minus`` (Keras) computes log(1 − clip(p));
    ``clip_one_minus`` (scikit-learn) clips the column 1 − p on its own.
    ``log_floor`` (PyTorch) clamps both logs from below instead of clipping p.
    """
    clipped = clip_probabilities(p, epsilon)
    form = convention.option(loss, "log_complement", "log1p")
    with np.errstate(divide="ignore"):
        log_p = np.log(clipped)
        if form == "log_one_minus":
            log_q = np.log(1.0 - clipped)
        elif form == "clip_one_minus":
            log_q = np.log(clip_probabilities(1.0 - p, epsilon))
        else:
            log_q = np.log1p(-clipped)
    floor = convention.option(loss, "log_floor")
    if floor is not None:
        log_p = np.maximum(log_p, floor)
        log_q = np.maximum(log_q, floor)
    return log_p, log_q


# --- binary cross-entropy -----------------------------------------------------------


def binary_cross_entropy(
    y_true: Any,
    y_pred: Any,
    *,
    convention: Convention,
    from_logits: bool = False,
    label_smoothing: float = 0.0,
    epsilon: float | None = None,
    pos_weight: float | tuple[float, ...] = 1.0,
) -> np.ndarray:
    """Binary (and multi-label) cross-entropy per sample.

    Probabilities p (clipped to [ε, 1 − ε]):
        l = −(w₊·y·log p + (1 − y)·log(1 − p))
    Logits x (never clipped; finite for |x| of 1e4 and beyond):
        l = (1 − y)·x + (1 + (w₊ − 1)·y)·softplus(−x),
    which for w₊ = 1 is max(x, 0) − x·y + log1p(e^−|x|). With K labels a sample's
    loss is the mean over its labels.

    Args:
        y_true: (n,) or (n, K) targets, 0/1 labels or soft labels in [0, 1].
        y_pred: probabilities, or logits with ``from_logits``, of the same shape.
        convention: the profile (clip constant, ``log(1 − p)`` form, PyTorch's −100 floor).
        from_logits: ``y_pred`` are logits.
        label_smoothing: targets become y·(1 − ls) + ls/2 (Keras).
        epsilon: clip constant; None takes the convention's.
        pos_weight: weight w₊ of the positive term (PyTorch ``BCEWithLogitsLoss``): one
            number, or one per label of (n, K) targets (broadcast over the rows, as
            PyTorch broadcasts a (K,) ``pos_weight``).

    Returns:
        (n,) float64 array.

    References:
        Cox (1958), logistic regression; ``torch.nn.BCEWithLogitsLoss``;
        ``keras.losses.BinaryCrossentropy``; ``sklearn.metrics.log_loss``.
    """
    t, p = column_pair(y_true, y_pred)
    _check_unit_targets(t, "bce")
    pos_weight = _pos_weight(pos_weight, p)
    t = _smooth_binary(t, label_smoothing)
    if from_logits:
        values = (1.0 - t) * p + (1.0 + (pos_weight - 1.0) * t) * softplus(-p)
    else:
        check_probabilities(p)
        log_p, log_q = _binary_log_terms(p, _epsilon(epsilon, convention), convention, "bce")
        values = -(pos_weight * _times_log(t, log_p) + _times_log(1.0 - t, log_q))
    return _label_mean(values)


def _pos_weight(pos_weight: Any, p: np.ndarray) -> float | np.ndarray:
    """``pos_weight`` as a number, or as a (K,) row that broadcasts over (n, K) labels."""
    w = np.asarray(pos_weight, dtype=np.float64)
    if w.ndim == 0 or w.size == 1:
        return float(w.reshape(-1)[0])
    labels = p.shape[1] if p.ndim == 2 else 1
    if w.ndim != 1 or w.size != labels:
        raise ParameterError(
            f"bce: pos_weight has {w.size} values but y_pred has {labels} label"
            f"{'s' if labels != 1 else ''}; give one number, or one per label"
        )
    if not (np.isfinite(w).all() and (w > 0).all()):
        raise ParameterError("bce: pos_weight values must be finite and > 0")
    return w


# --- focal losses ---------------------------------------------------------------------


def _apply_class_balancing(value: bool | None, convention: Convention) -> bool:
    if value is None:
        return bool(convention.option("focal", "apply_class_balancing", True))
    return bool(value)


def binary_focal(
    y_true: Any,
    y_pred: Any,
    *,
    convention: Convention,
    alpha: float = 0.25,
    gamma: float = 2.0,
    from_logits: bool = False,
    label_smoothing: float = 0.0,
    epsilon: float | None = None,
    apply_class_balancing: bool | None = None,
) -> np.ndarray:
    """Binary focal loss per sample (mean over labels for (n, K)).

        l = α_t · (1 − p_t)^γ · BCE(y, p),   p_t = y·p + (1 − y)·(1 − p),
        α_t = α·y + (1 − α)·(1 − y) when class balancing is on, else 1.

    Class balancing is Keras' ``apply_class_balancing``: on in losscli and PyTorch
    (torchvision ``sigmoid_focal_loss`` always applies α), off in the Keras profile
    (Keras' default, where α is then ignored). From logits, 1 − p_t and the BCE
    are computed without forming p, so ±1e4 logits stay finite.

    Args:
        y_true, y_pred, from_logits, label_smoothing, epsilon: as :func:`binary_cross_entropy`.
        alpha: weight of the positive class when balancing.
        gamma: focusing exponent; 0 gives (α-weighted) BCE.
        apply_class_balancing: None takes the convention's choice.

    Returns:
        (n,) float64 array.

    References:
        Lin, Goyal, Girshick, He, Dollár (2017), "Focal Loss for Dense Object
        Detection", ICCV; ``keras.losses.BinaryFocalCrossentropy``.
    """
    t, p = column_pair(y_true, y_pred)
    _check_unit_targets(t, "focal")
    t = _smooth_binary(t, label_smoothing)
    if from_logits:
        cross_entropy = (1.0 - t) * p + softplus(-p)
        one_minus_pt = t * sigmoid(-p) + (1.0 - t) * sigmoid(p)
    else:
        check_probabilities(p)
        log_p, log_q = _binary_log_terms(p, _epsilon(epsilon, convention), convention, "focal")
        cross_entropy = -(_times_log(t, log_p) + _times_log(1.0 - t, log_q))
        one_minus_pt = t * (1.0 - p) + (1.0 - t) * p
    values = np.power(one_minus_pt, gamma) * cross_entropy
    if _apply_class_balancing(apply_class_balancing, convention):
        values = (alpha * t + (1.0 - alpha) * (1.0 - t)) * values
    return _label_mean(values)


# --- categorical inputs ---------------------------------------------------------------


def _prediction_matrix(y_pred: Any) -> np.ndarray:
    p = as_float_array(y_pred, "y_pred")
    if p.ndim != 2:
        raise ShapeError(f"y_pred must be (n, K) class scores, got shape {p.shape}")
    if p.shape[0] == 0:
        raise ShapeError("no samples")
    return p


def _class_indices(
    y_true: Any, n: int, n_classes: int, ignore_class: int | None = None
) -> tuple[np.ndarray, np.ndarray | None]:
    """Integer labels (n,) checked against 0..K−1; returns (labels, valid mask or None).

    Samples labelled ``ignore_class`` are exempt from the range check; their label
    is replaced by 0 and the mask marks them invalid.
    """
    y = as_float_array(y_true, "y_true")
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if y.shape != (n,):
        raise ShapeError(
            f"y_true must be (n,) class labels for y_pred of shape ({n}, {n_classes}), "
            f"got {y.shape}"
        )
    valid = None if ignore_class is None else y != ignore_class
    checked = y if valid is None else np.where(valid, y, 0.0)
    fractional = checked != np.floor(checked)
    if fractional.any():
        row = int(np.argmax(fractional))
        raise InputError(
            f"y_true has a non-integer class label {y[row]:g} at row {row}",
            row=row,
            argument="y_true",
        )
    outside = (checked < 0) | (checked >= n_classes)
    if outside.any():
        row = int(np.argmax(outside))
        raise InputError(
            f"y_true has class label {y[row]:g} at row {row}, outside 0..{n_classes - 1} "
            f"(y_pred has {n_classes} columns)",
            row=row,
            argument="y_true",
        )
    return checked.astype(np.intp), valid


def _one_hot(labels: np.ndarray, n_classes: int) -> np.ndarray:
    rows = np.zeros((labels.shape[0], n_classes))
    rows[np.arange(labels.shape[0]), labels] = 1.0
    return rows


def _class_targets(
    y_true: Any, p: np.ndarray, ignore_class: int | None = None
) -> tuple[np.ndarray, np.ndarray | None]:
    """(n, K) target rows from one-hot/soft rows or from (n,) labels; plus the valid mask."""
    n, n_classes = p.shape
    shape = np.shape(y_true)
    if len(shape) == 1 or (len(shape) == 2 and shape[1] == 1 and n_classes > 1):
        labels, valid = _class_indices(y_true, n, n_classes, ignore_class)
        return _one_hot(labels, n_classes), valid
    t = as_float_array(y_true, "y_true")
    if t.shape != p.shape:
        raise ShapeError(f"y_true has shape {t.shape} but y_pred has shape {p.shape}")
    if (t < 0).any():
        row = _first_bad_row(t < 0)
        raise InputError(
            f"y_true has a negative class probability at row {row}", row=row, argument="y_true"
        )
    return t, None


def _one_hot_labels(t: np.ndarray) -> np.ndarray | None:
    """The class index of every row when every row of ``t`` (non-negative) is exactly
    one-hot (one entry 1.0, the others 0.0), else None (soft labels)."""
    if t.ndim != 2 or t.shape[1] == 0:
        return None
    flat = t.ravel()
    # (argmax along a short last axis is slow in NumPy; the non-zero positions are not.)
    nonzero = np.flatnonzero(flat)
    if nonzero.shape[0] != t.shape[0]:
        return None
    rows, labels = np.divmod(nonzero, t.shape[1])
    if not (rows == np.arange(t.shape[0])).all() or not (flat[nonzero] == 1.0).all():
        return None
    return labels


def _class_labels_or_targets(
    y_true: Any, p: np.ndarray, ignore_class: int | None
) -> tuple[np.ndarray | None, np.ndarray | None, np.ndarray | None]:
    """(labels, None, valid) for (n,) labels or exactly one-hot rows; (None, t, None) for
    soft rows. Labels let the cross-entropy pick p[i, y_i] instead of multiplying the
    whole (n, K) log-probability matrix by a one-hot matrix (the same value)."""
    n, n_classes = p.shape
    shape = np.shape(y_true)
    if len(shape) == 1 or (len(shape) == 2 and shape[1] == 1 and n_classes > 1):
        labels, valid = _class_indices(y_true, n, n_classes, ignore_class)
        return labels, None, valid
    t, valid = _class_targets(y_true, p, ignore_class)
    labels = _one_hot_labels(t)
    return (None, t, valid) if labels is None else (labels, None, valid)


def _picked(matrix: np.ndarray, labels: np.ndarray | None) -> np.ndarray:
    """``matrix[i, labels[i]]`` (n,), or the whole matrix when ``labels`` is None."""
    if labels is None:
        return matrix
    if matrix.flags.c_contiguous:  # flat positions: ~3x faster than fancy indexing
        n, k = matrix.shape
        return matrix.ravel().take(np.arange(0, n * k, k) + labels)
    return np.take_along_axis(matrix, labels[:, None], axis=1)[:, 0]


def _categorical_log_probabilities(
    p: np.ndarray,
    *,
    loss: str,
    convention: Convention,
    from_logits: bool,
    epsilon: float | None,
    renormalize: bool,
    labels: np.ndarray | None = None,
) -> np.ndarray:
    """log of the class probabilities: log-softmax of logits, or the clipped probabilities.

    With ``labels``, only log p[i, labels[i]] (n,), the same values picked out of the full
    (n, K) result: the checks and row sums still see every entry, but the clipping and
    the logarithm run on n values instead of n·K.

    Rows not summing to 1 (beyond :data:`ROW_SUM_TOLERANCE`) are an error unless
    ``renormalize`` (or the convention's ``renormalize``) rescales them, or the
    convention's ``unnormalized_rows`` is ``as_given`` (scikit-learn ≥ 1.5 warns and
    uses them). Keras rescales then clips; old scikit-learn clipped then rescaled
    (``renormalize_order``).
    """
    if from_logits:
        if labels is None:
            return log_softmax(p)
        # log_softmax's own steps (z - max - log Σ e^(z - max)), kept for the label only.
        shifted = p - p.max(axis=-1, keepdims=True)
        picked = _picked(shifted, labels)
        return picked - np.log(np.exp(shifted, out=shifted).sum(axis=-1))
    check_probabilities(p)
    eps = _epsilon(epsilon, convention)
    if renormalize or convention.option(loss, "renormalize", False):
        sums = p.sum(axis=1)
        if convention.option(loss, "renormalize_order", "renormalize_first") == "clip_first":
            clipped = clip_probabilities(p, eps)
            row_sums = clipped.sum(axis=1)
            return _log(
                _picked(clipped, labels) / (row_sums if labels is not None else row_sums[:, None])
            )
        if (sums == 0).any():
            raise InputError(
                f"y_pred row {int(np.argmax(sums == 0))} sums to 0; cannot renormalise it"
            )
        if labels is not None:
            return _log(clip_probabilities(_picked(p, labels) / sums, eps))
        return _log(clip_probabilities(p / sums[:, None], eps))
    if row_sums_checked():  # the layout checked them, naming file and line
        return _log(clip_probabilities(_picked(p, labels), eps))
    # Row sums for the tolerance check only: einsum is ~10x faster than sum(axis=1) on a
    # short last axis, and equal to it within a few ulps (the tolerance is 1e-6).
    sums = np.einsum("ij->i", p)
    off = np.abs(sums - 1.0) > ROW_SUM_TOLERANCE
    if off.any() and convention.option(loss, "unnormalized_rows", "error") == "error":
        row = int(np.argmax(off))
        raise InputError(
            f"y_pred row {row} sums to {sums[row]:.9g}, not 1; these are not class probabilities",
            hint="--renormalize to rescale the rows, or --from-logits for logits",
            row=row,
            argument="y_pred",
        )
    return _log(clip_probabilities(_picked(p, labels), eps))


def _smooth_categorical(t: np.ndarray, label_smoothing: float) -> np.ndarray:
    """y·(1 − ls) + ls/K (Keras and PyTorch agree)."""
    return t * (1.0 - label_smoothing) + label_smoothing / t.shape[1] if label_smoothing else t


def _class_weight_vector(
    class_weights: tuple[float, ...] | None, n_classes: int, loss: str
) -> np.ndarray | None:
    if class_weights is None:
        return None
    w = np.asarray(class_weights, dtype=np.float64)
    if w.shape != (n_classes,):
        raise ParameterError(
            f"{loss}: class_weights has {w.size} values but y_pred has {n_classes} classes"
        )
    if (w < 0).any() or not np.isfinite(w).all():
        raise ParameterError(f"{loss}: class_weights must be finite and non-negative")
    return w


def _cross_entropy_terms(
    y_true: Any,
    y_pred: Any,
    *,
    loss: str,
    convention: Convention,
    from_logits: bool,
    label_smoothing: float,
    class_weights: tuple[float, ...] | None,
    renormalize: bool,
    epsilon: float | None,
    ignore_class: int | None,
) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
    """(per-sample loss, per-sample class weight ω or None, valid mask or None)."""
    p = _prediction_matrix(y_pred)
    labels, t, valid = _class_labels_or_targets(y_true, p, ignore_class)
    w = _class_weight_vector(class_weights, p.shape[1], loss)
    options = {
        "loss": loss,
        "convention": convention,
        "from_logits": from_logits,
        "epsilon": epsilon,
        "renormalize": renormalize,
    }
    if labels is not None:
        values = _label_cross_entropy(p, labels, w, label_smoothing, options)
        omega = None
        if w is not None and convention.option(loss, "class_weights_in_denominator", True):
            omega = w[labels]
        if valid is not None:
            values = np.where(valid, values, 0.0)
        return values, omega, valid
    log_p = _categorical_log_probabilities(p, **options)
    smoothed = _smooth_categorical(t, label_smoothing)
    weighted = smoothed if w is None else smoothed * w
    values = -_times_log(weighted, log_p).sum(axis=1)
    omega = None
    if w is not None and convention.option(loss, "class_weights_in_denominator", True):
        omega = t @ w
    if valid is not None:
        values = np.where(valid, values, 0.0)
    return values, omega, valid


def _label_cross_entropy(
    p: np.ndarray,
    labels: np.ndarray,
    w: np.ndarray | None,
    label_smoothing: float,
    options: dict[str, Any],
) -> np.ndarray:
    """−Σ_k w_k ỹ_k log p_k for hard labels y, without the one-hot matrix.

    Without smoothing only the label's term is non-zero: −w_y · log p_y (bit for bit the
    one-hot sum). With smoothing ỹ_k = (1 − ls)·[k = y] + ls/K, so the loss is
    −((1 − ls)·w_y·log p_y + (ls/K)·Σ_k w_k log p_k): the row sums of log p (all terms of
    one sign, so this differs from the one-hot sum by rounding only).
    """
    if not label_smoothing:
        log_picked = _categorical_log_probabilities(p, labels=labels, **options)
        return -(log_picked if w is None else _times_log(w[labels], log_picked))
    log_p = _categorical_log_probabilities(p, **options)
    log_picked = _picked(log_p, labels)
    share = label_smoothing / p.shape[1]
    if w is None:
        return -((1.0 - label_smoothing) * log_picked + share * log_p.sum(axis=1))
    spread = _times_log(w, log_p).sum(axis=1)
    return -(_times_log((1.0 - label_smoothing) * w[labels], log_picked) + share * spread)


def _cross_entropy_state(
    values: np.ndarray,
    omega: np.ndarray | None,
    valid: np.ndarray | None,
    weights: np.ndarray | None,
) -> State:
    """Σ s·l, Σ s·ω over valid samples and the number of valid samples.

    With class weights the denominator of the mean is Σ s_i·w[y_i] (PyTorch
    ``CrossEntropyLoss(weight=)``); ignored samples count nowhere (Keras
    ``ignore_class``, PyTorch ``ignore_index``).
    """
    per_sample_weight = np.ones(values.shape[0]) if weights is None else weights
    if omega is not None:
        per_sample_weight = per_sample_weight * omega
    if valid is not None:
        per_sample_weight = np.where(valid, per_sample_weight, 0.0)
    total = float(values.sum()) if weights is None else float(np.dot(weights, values))
    return {
        "sum": total,
        "weight": float(per_sample_weight.sum()),
        "count": float(values.shape[0] if valid is None else valid.sum()),
    }


def categorical_cross_entropy(
    y_true: Any,
    y_pred: Any,
    *,
    convention: Convention,
    from_logits: bool = False,
    label_smoothing: float = 0.0,
    class_weights: tuple[float, ...] | None = None,
    renormalize: bool = False,
    epsilon: float | None = None,
) -> np.ndarray:
    """Categorical cross-entropy per sample, one-hot or soft targets.

        l = −Σ_k w_k · ỹ_k · log p_k,   ỹ = y·(1 − ls) + ls/K,

    log p_k by log-sum-exp from logits, else log of the clipped probabilities.
    Class weights w (default 1) also set the weighted mean's denominator, see
    :func:`categorical_cross_entropy_partial`.

    Args:
        y_true: (n, K) one-hot or probability rows (an (n,) label vector is accepted too).
        y_pred: (n, K) probabilities, or logits with ``from_logits``.
        convention: the profile (clip constant, renormalisation, denominator).
        from_logits: ``y_pred`` are logits.
        label_smoothing: in [0, 1).
        class_weights: K non-negative weights, or None.
        renormalize: rescale probability rows that do not sum to 1.
        epsilon: clip constant; None takes the convention's.

    Returns:
        (n,) float64 array.

    References:
        Shannon (1948); Szegedy et al. (2016) for label smoothing;
        ``torch.nn.CrossEntropyLoss``; ``keras.losses.CategoricalCrossentropy``.
    """
    values, _, _ = _cross_entropy_terms(
        y_true,
        y_pred,
        loss="cce",
        convention=convention,
        from_logits=from_logits,
        label_smoothing=label_smoothing,
        class_weights=class_weights,
        renormalize=renormalize,
        epsilon=epsilon,
        ignore_class=None,
    )
    return values


def categorical_cross_entropy_partial(
    y_true: Any,
    y_pred: Any,
    *,
    weights: np.ndarray | None,
    groups: Any = None,
    convention: Convention,
    **params: Any,
) -> State:
    """Mergeable state of ``cce``: the weight of sample i is s_i · Σ_k w_k y_ik."""
    values, omega, valid = _cross_entropy_terms(
        y_true, y_pred, loss="cce", convention=convention, ignore_class=None, **params
    )
    return _cross_entropy_state(values, omega, valid, weights)


def sparse_categorical_cross_entropy(
    y_true: Any,
    y_pred: Any,
    *,
    convention: Convention,
    from_logits: bool = False,
    label_smoothing: float = 0.0,
    class_weights: tuple[float, ...] | None = None,
    renormalize: bool = False,
    epsilon: float | None = None,
    ignore_class: int | None = None,
) -> np.ndarray:
    """Cross-entropy per sample with integer class labels: −log p_{y} (plus smoothing).

    The same value as :func:`categorical_cross_entropy` on the one-hot targets.
    Samples labelled ``ignore_class`` get loss 0 and weight 0 (Keras ``ignore_class``,
    PyTorch ``ignore_index``). Labels outside 0..K−1 are an error naming the row.

    Args:
        y_true: (n,) integer class indices (integral floats are fine).
        y_pred: (n, K) probabilities, or logits with ``from_logits``.
        ignore_class: a label whose samples are left out, or None.
        convention, from_logits, label_smoothing, class_weights, renormalize, epsilon:
            as :func:`categorical_cross_entropy`.

    Returns:
        (n,) float64 array.

    References:
        ``torch.nn.CrossEntropyLoss`` (class-index targets);
        ``keras.losses.SparseCategoricalCrossentropy``; ``sklearn.metrics.log_loss``.
    """
    values, _, _ = _cross_entropy_terms(
        _sparse_labels(y_true),
        y_pred,
        loss="sparse_cce",
        convention=convention,
        from_logits=from_logits,
        label_smoothing=label_smoothing,
        class_weights=class_weights,
        renormalize=renormalize,
        epsilon=epsilon,
        ignore_class=ignore_class,
    )
    return values


def sparse_categorical_cross_entropy_partial(
    y_true: Any,
    y_pred: Any,
    *,
    weights: np.ndarray | None,
    groups: Any = None,
    convention: Convention,
    **params: Any,
) -> State:
    """Mergeable state of ``sparse_cce``: the weight of sample i is s_i · w[y_i]."""
    values, omega, valid = _cross_entropy_terms(
        _sparse_labels(y_true), y_pred, loss="sparse_cce", convention=convention, **params
    )
    return _cross_entropy_state(values, omega, valid, weights)


def _sparse_labels(y_true: Any) -> np.ndarray:
    """Labels as an (n,) array, so that (n, 1) never reads as one-hot rows."""
    y = as_float_array(y_true, "y_true")
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if y.ndim != 1:
        raise ShapeError(
            f"sparse_cce needs (n,) class labels, got shape {y.shape}; use cce for one-hot rows"
        )
    return y


def categorical_focal(
    y_true: Any,
    y_pred: Any,
    *,
    convention: Convention,
    alpha: float = 0.25,
    gamma: float = 2.0,
    from_logits: bool = False,
    label_smoothing: float = 0.0,
    epsilon: float | None = None,
    renormalize: bool = False,
) -> np.ndarray:
    """Categorical focal loss per sample: −Σ_k α · (1 − p_k)^γ · ỹ_k · log p_k.

    The focal factor is applied per class entry, as Keras does; ỹ is the smoothed
    target. From logits, 1 − p_k = −expm1(log p_k) keeps precision near p_k = 1.

    Args:
        y_true: (n, K) one-hot or soft rows, or (n,) labels.
        y_pred: (n, K) probabilities, or logits with ``from_logits``.
        alpha: scalar class weight.
        gamma: focusing exponent (>= 0).
        convention, from_logits, label_smoothing, epsilon, renormalize: as
            :func:`categorical_cross_entropy`.

    Returns:
        (n,) float64 array.

    References:
        Lin et al. (2017), ICCV; ``keras.losses.CategoricalFocalCrossentropy``.
    """
    p = _prediction_matrix(y_pred)
    t, _ = _class_targets(y_true, p)
    log_p = _categorical_log_probabilities(
        p,
        loss="focal",
        convention=convention,
        from_logits=from_logits,
        epsilon=epsilon,
        renormalize=renormalize,
    )
    factor = alpha * np.power(-np.expm1(log_p), gamma)
    return -(factor * _times_log(_smooth_categorical(t, label_smoothing), log_p)).sum(axis=1)


# --- hinge family -------------------------------------------------------------------


def _signed_labels(t: np.ndarray, loss: str, convention: Convention) -> np.ndarray:
    """Targets as −1/+1 by the convention's ``labels`` rule.

    ``binary_to_signed`` (losscli, PyTorch): 0/1 → −1/+1, −1/+1 kept, else an error;
    ``binary_to_signed_if_all_binary`` (Keras): map only when every value is 0 or 1;
    ``sorted_two_labels_to_signed`` (scikit-learn): also any two labels, the
    smaller → −1 and the greater → +1.
    """
    rule = convention.option(loss, "labels", "binary_to_signed")
    zero_one = bool(np.isin(t, (0.0, 1.0)).all())
    if zero_one:
        return 2.0 * t - 1.0
    if rule == "binary_to_signed_if_all_binary" or np.isin(t, (-1.0, 1.0)).all():
        return t
    values = sorted_distinct(t)
    if rule == "sorted_two_labels_to_signed" and values.size == 2:
        return np.where(t == values[1], 1.0, -1.0)
    found = ", ".join(f"{v:g}" for v in values[:5])
    raise InputError(
        f"{loss}: y_true must hold labels 0/1 or -1/+1, found {found}",
        hint="map the labels (--positive LABEL)",
    )


def _hinge(
    y_true: Any, y_pred: Any, *, convention: Convention, loss: str, power: int
) -> np.ndarray:
    t_shape, p_shape = np.shape(y_true), np.shape(y_pred)
    if (
        len(p_shape) == 2
        and p_shape[1] > 1
        and (len(t_shape) == 1 or (len(t_shape) == 2 and t_shape[1] == 1))
    ):
        return _crammer_singer(y_true, y_pred, power)
    t, p = column_pair(y_true, y_pred)
    margins = np.maximum(1.0 - _signed_labels(t, loss, convention) * p, 0.0)
    return _label_mean(margins if power == 1 else np.square(margins))


def _crammer_singer(y_true: Any, y_pred: Any, power: int) -> np.ndarray:
    """max(0, 1 − (s_y − max_{k≠y} s_k))^power for (n, K) decision values and (n,) labels."""
    scores = _prediction_matrix(y_pred)
    labels, _ = _class_indices(y_true, *scores.shape)
    rows = np.arange(scores.shape[0])
    others = scores.copy()
    others[rows, labels] = -np.inf
    losses = 1.0 - (scores[rows, labels] - others.max(axis=1))
    losses = np.maximum(losses, 0.0)
    return losses if power == 1 else np.square(losses)


def hinge(y_true: Any, y_pred: Any, *, convention: Convention) -> np.ndarray:
    """Hinge loss per sample: max(0, 1 − y·s), y in {−1, +1}, s a raw score.

    0/1 labels become −1/+1 (see :func:`_signed_labels` for each profile's rule);
    with K labels a sample's loss is the mean over them (Keras). Given (n,) integer
    labels and (n, K) decision values it is the multiclass hinge of Crammer and
    Singer (scikit-learn ``hinge_loss``): max(0, 1 − s_y + max_{k≠y} s_k).

    Args:
        y_true: (n,) or (n, K) labels 0/1 or −1/+1; or (n,) class indices.
        y_pred: raw scores (decision values), same shape; or (n, K).
        convention: the label-mapping rule.

    Returns:
        (n,) float64 array.

    References:
        Cortes & Vapnik (1995); Crammer & Singer (2001), JMLR 2;
        ``keras.losses.Hinge``; ``sklearn.metrics.hinge_loss``.
    """
    return _hinge(y_true, y_pred, convention=convention, loss="hinge", power=1)


def squared_hinge(y_true: Any, y_pred: Any, *, convention: Convention) -> np.ndarray:
    """Squared hinge per sample: max(0, 1 − y·s)², labels and shapes as :func:`hinge`.

    References:
        ``keras.losses.SquaredHinge``; Rennie & Srebro (2005) on smooth hinge losses.
    """
    return _hinge(y_true, y_pred, convention=convention, loss="squared_hinge", power=2)


def categorical_hinge(y_true: Any, y_pred: Any, *, convention: Convention) -> np.ndarray:
    """Keras' categorical hinge per sample: max(0, 1 + max_k (1 − y_k)·s_k − Σ_k y_k·s_k).

    With one-hot y this is max(0, 1 + max_{k≠y} s_k − s_y), except that the masked
    true class contributes a 0 to the max (Keras' definition, kept for agreement).

    Args:
        y_true: (n, K) one-hot rows (or (n,) labels).
        y_pred: (n, K) raw scores.
        convention: unused; every framework that has it agrees.

    Returns:
        (n,) float64 array.

    References:
        Weston & Watkins (1999); ``keras.losses.CategoricalHinge``.
    """
    s = _prediction_matrix(y_pred)
    t, _ = _class_targets(y_true, s)
    positive = (t * s).sum(axis=1)
    negative = ((1.0 - t) * s).max(axis=1)
    return np.maximum(negative - positive + 1.0, 0.0)


# --- KL divergence and Brier score ----------------------------------------------------


def kl_divergence(
    y_true: Any,
    y_pred: Any,
    *,
    convention: Convention,
    from_logits: bool = False,
    epsilon: float | None = None,
) -> np.ndarray:
    """Kullback-Leibler divergence per sample: Σ_k y_k · log(y_k / p_k), 0·log 0 = 0.

    p is clipped to [ε, 1]; the Keras profile clips y to [ε, 1] too (``clip_targets``).
    From logits, log p is the log-softmax of the row. Rows need not sum to 1.

    Args:
        y_true: (n, K) (or (n,)) non-negative target distribution.
        y_pred: predicted probabilities (or logits with ``from_logits``), same shape.
        convention: clip constant and target clipping.
        from_logits: ``y_pred`` are logits (log-softmax over the last axis).
        epsilon: clip constant; None takes the convention's.

    Returns:
        (n,) float64 array.

    References:
        Kullback & Leibler (1951); ``keras.losses.KLDivergence``;
        ``torch.nn.KLDivLoss(reduction="batchmean")`` on log-probabilities.
    """
    t, p = column_pair(y_true, y_pred)
    if (t < 0).any():
        row = _first_bad_row(t < 0)
        raise InputError(
            f"kl_divergence: y_true has a negative value at row {row}", row=row, argument="y_true"
        )
    eps = _epsilon(epsilon, convention)
    if from_logits:
        log_p = log_softmax(p if p.ndim == 2 else p[:, None])
        log_p = log_p if p.ndim == 2 else log_p[:, 0]
    else:
        check_probabilities(p)
        log_p = _log(np.maximum(p, eps) if eps > 0 else p)
    if convention.option("kl_divergence", "clip_targets", False) and eps > 0:
        t = np.clip(t, eps, 1.0)
    values = _times_log(t, _log(t)) - _times_log(t, log_p)
    return values if values.ndim == 1 else values.sum(axis=1)


def _binary_outcomes(t: np.ndarray, convention: Convention) -> np.ndarray:
    """Brier targets as outcomes in [0, 1].

    losscli: values in [0, 1] as given, −1/+1 mapped to 0/1, anything else an error.
    scikit-learn (``labels: sorted_two_labels``): 1 is the positive label for 0/1 and
    −1/+1 labels, else the greater of two labels.
    """
    if convention.option("brier", "labels", "unit_or_signed") == "sorted_two_labels":
        values = sorted_distinct(t)
        if np.isin(values, (0.0, 1.0)).all() or np.isin(values, (-1.0, 1.0)).all():
            return (t == 1.0).astype(np.float64)
        if values.size == 2:
            return (t == values[1]).astype(np.float64)
        raise InputError(f"brier: y_true must hold two labels, found {values.size}")
    if ((t >= 0) & (t <= 1)).all():
        return t
    if np.isin(t, (-1.0, 1.0)).all():
        return (t + 1.0) / 2.0
    _check_unit_targets(t, "brier")
    return t


def brier(y_true: Any, y_pred: Any, *, convention: Convention) -> np.ndarray:
    """Brier score per sample, binary form: (p − y)², mean over labels for (n, K).

    Given (n,) labels and (n, K) probabilities it switches to :func:`brier_multiclass`.

    Args:
        y_true: (n,) outcomes 0/1 (or −1/+1; soft outcomes in [0, 1] too).
        y_pred: (n,) probabilities of the positive class.
        convention: the label rule (scikit-learn's ``pos_label`` default).

    Returns:
        (n,) float64 array.

    References:
        Brier (1950), Monthly Weather Review 78; ``sklearn.metrics.brier_score_loss``.
    """
    t_shape, p_shape = np.shape(y_true), np.shape(y_pred)
    if len(p_shape) == 2 and p_shape[1] > 1 and len(t_shape) == 1:
        return brier_multiclass(y_true, y_pred, convention=convention)
    t, p = column_pair(y_true, y_pred)
    check_probabilities(p)
    return _label_mean(np.square(p - _binary_outcomes(t, convention)))


def brier_multiclass(y_true: Any, y_pred: Any, *, convention: Convention) -> np.ndarray:
    """Multiclass Brier score per sample: Σ_k (p_k − 1[y = k])².

    For K = 2 this is twice the binary form; scikit-learn halves it when K < 3
    (``scale_by_half="auto"``), and so does the sklearn profile.

    Args:
        y_true: (n,) class indices or (n, K) one-hot rows.
        y_pred: (n, K) probabilities.
        convention: ``scale_by_half`` rule.

    Returns:
        (n,) float64 array.

    References:
        Brier (1950); ``sklearn.metrics.brier_score_loss`` (multiclass, scikit-learn >= 1.7).
    """
    p = _prediction_matrix(y_pred)
    check_probabilities(p)
    t, _ = _class_targets(y_true, p)
    values = np.square(p - t).sum(axis=1)
    if convention.option("brier", "scale_by_half", False) == "auto" and p.shape[1] < 3:
        values = 0.5 * values
    return values


# --- the catalogue entries ------------------------------------------------------------

_FROM_LOGITS = Param(
    "from_logits", False, "predictions are logits (no sigmoid/softmax applied)", type=bool
)
_EPSILON = Param(
    "epsilon",
    None,
    "probabilities are clipped to [epsilon, 1 - epsilon]; default: the convention's "
    "(1e-7 losscli/keras, none torch, 2.2e-16 sklearn)",
    low=0.0,
    high=0.5,
    high_inclusive=False,
    unset=lambda convention, loss: _epsilon(None, convention),
)
_BINARY_SMOOTHING = Param(
    "label_smoothing",
    0.0,
    "targets move towards 0.5: y*(1-ls) + ls/2",
    low=0.0,
    high=1.0,
    high_inclusive=False,
)
_CATEGORICAL_SMOOTHING = Param(
    "label_smoothing",
    0.0,
    "targets move towards uniform: y*(1-ls) + ls/K",
    low=0.0,
    high=1.0,
    high_inclusive=False,
)
_CLASS_WEIGHTS = Param(
    "class_weights",
    None,
    "one non-negative weight per class (K values, ';'-separated); the mean "
    "divides by the summed weights of the samples' classes, as PyTorch does",
    type=tuple,
)
_RENORMALIZE = Param(
    "renormalize", False, "rescale probability rows that do not sum to 1", type=bool
)
_ALPHA = Param("alpha", 0.25, "weight of the positive (rare) class", low=0.0, high=1.0)
_GAMMA = Param("gamma", 2.0, "focusing exponent; 0 turns focal into cross-entropy", low=0.0)

_CCE_COMMON = dict(
    activation="softmax",
    when="The default for single-label multiclass problems with a softmax output layer.",
    pros=(
        "the maximum-likelihood loss for a categorical model; well-calibrated probabilities",
        "label smoothing and class weights handle over-confidence and imbalance",
    ),
    cons=(
        "unbounded: one confident mistake can dominate the mean",
        "minority classes contribute little under heavy imbalance without weights",
    ),
    reference="Shannon (1948); torch.nn.CrossEntropyLoss; keras.losses.CategoricalCrossentropy; "
    "sklearn.metrics.log_loss",
)

_FOCAL_MULTICLASS = LossSpec(
    name="focal",
    aliases=("categorical_focal_crossentropy", "categorical_focal"),
    tasks=("multiclass",),
    activation="softmax",
    target="distribution",
    formula="-sum_k alpha * (1 - p_k)^gamma * y_k * log p_k",
    latex=r"-\sum_k \alpha (1 - p_k)^{\gamma}\, y_k \log p_k",
    when="Multiclass problems with many easy examples or heavy class imbalance.",
    pros=("down-weights well-classified samples so hard ones drive the mean",),
    cons=("two extra hyper-parameters", "probabilities are less calibrated than with plain CE"),
    reference="Lin et al. (2017) ICCV; keras.losses.CategoricalFocalCrossentropy",
    params=(_ALPHA, _GAMMA, _FROM_LOGITS, _CATEGORICAL_SMOOTHING, _EPSILON, _RENORMALIZE),
    per_sample=categorical_focal,
)

_HINGE_MULTICLASS = LossSpec(
    name="hinge",
    aliases=("crammer_singer",),
    tasks=("multiclass",),
    activation="linear",
    target="labels",
    formula="max(0, 1 - s_y + max_{k != y} s_k)",
    latex=r"\max\!\left(0,\ 1 - s_y + \max_{k \neq y} s_k\right)",
    when="Scoring a multiclass margin classifier (linear SVM decision values).",
    pros=("zero once the true class wins by a margin of 1",),
    cons=("no probabilities", "only the strongest rival class matters"),
    reference="Crammer & Singer (2001) JMLR 2; sklearn.metrics.hinge_loss",
    per_sample=hinge,
)

_BRIER_MULTICLASS = LossSpec(
    name="brier",
    aliases=("brier_score",),
    tasks=("multiclass",),
    activation="softmax",
    target="labels",
    formula="sum_k (p_k - 1[y = k])^2",
    latex=r"\sum_k (p_k - \mathbb{1}[y = k])^2",
    when="Judging the calibration of multiclass probabilities.",
    pros=("bounded in [0, 2]; a strictly proper scoring rule",),
    cons=("weak gradient for confident mistakes; not a training loss of choice",),
    reference="Brier (1950); sklearn.metrics.brier_score_loss",
    per_sample=brier_multiclass,
)

SPECS: tuple[LossSpec, ...] = (
    LossSpec(
        name="bce",
        aliases=(
            "binary_crossentropy",
            "binary_cross_entropy",
            "log_loss",
            "logloss",
            "logistic",
        ),
        tasks=("binary", "multilabel"),
        activation="sigmoid",
        target="binary",
        formula="-(pos_weight*y*log(p) + (1-y)*log(1-p)), mean over labels",
        latex=r"-\left(w_+\, y \log p + (1 - y)\log(1 - p)\right)",
        when="The default for binary classification and for multi-label problems "
        "(one independent sigmoid per label).",
        pros=(
            "the maximum-likelihood loss for a Bernoulli model; calibrated probabilities",
            "stable from logits; pos_weight rebalances rare positives",
        ),
        cons=(
            "unbounded for confident mistakes; sensitive to label noise",
            "on its own, easy negatives dominate under heavy imbalance",
        ),
        reference="Cox (1958); torch.nn.BCEWithLogitsLoss; keras.losses.BinaryCrossentropy; "
        "sklearn.metrics.log_loss",
        params=(
            _FROM_LOGITS,
            _BINARY_SMOOTHING,
            _EPSILON,
            Param(
                "pos_weight",
                1.0,
                "weight of the positive term (PyTorch pos_weight): one number, or one per "
                "label such as 1;4;0.5",
                type=NumberOrList,
                low=0.0,
                low_inclusive=False,
            ),
        ),
        per_sample=binary_cross_entropy,
    ),
    LossSpec(
        name="focal",
        aliases=("focal_loss", "binary_focal_crossentropy"),
        tasks=("binary", "multilabel", "multiclass"),
        activation="sigmoid",
        target="binary",
        formula="alpha_t * (1 - p_t)^gamma * BCE, p_t = y*p + (1-y)*(1-p)",
        latex=r"-\alpha_t (1 - p_t)^{\gamma} \log p_t",
        when="Binary or multi-label problems with heavy imbalance (IR > 20, or a minority "
        "under 1 %), where easy negatives swamp the cross-entropy.",
        pros=(
            "focuses training on hard, misclassified samples",
            "alpha re-weights the rare class without resampling",
        ),
        cons=(
            "gamma and alpha need tuning; values are not comparable with BCE",
            "less calibrated probabilities than BCE",
        ),
        reference="Lin, Goyal, Girshick, He, Dollar (2017), Focal Loss for Dense Object "
        "Detection, ICCV; keras.losses.BinaryFocalCrossentropy",
        params=(
            _ALPHA,
            _GAMMA,
            _FROM_LOGITS,
            _BINARY_SMOOTHING,
            _EPSILON,
            Param(
                "apply_class_balancing",
                None,
                "weight samples by alpha (positives) and "
                "1-alpha (negatives); default: the convention's (on, Keras off)",
                type=bool,
                unset=lambda convention, loss: _apply_class_balancing(None, convention),
            ),
        ),
        per_sample=binary_focal,
        forms={"multiclass": _FOCAL_MULTICLASS},
    ),
    LossSpec(
        name="hinge",
        aliases=("svm", "hinge_loss"),
        tasks=("binary", "multilabel", "multiclass"),
        activation="linear",
        target="binary",
        formula="max(0, 1 - y*s), y in {-1, +1} (0/1 mapped), mean over labels",
        latex=r"\max(0,\ 1 - y\, s)",
        when="Training or scoring margin classifiers (SVMs) on raw decision values.",
        pros=("zero loss beyond the margin: ignores easy samples", "robust to outliers in score"),
        cons=("no probabilities", "not differentiable at the margin"),
        reference="Cortes & Vapnik (1995); keras.losses.Hinge; sklearn.metrics.hinge_loss",
        robust_to_outliers=True,
        per_sample=hinge,
        forms={"multiclass": _HINGE_MULTICLASS},
    ),
    LossSpec(
        name="squared_hinge",
        aliases=("l2_hinge",),
        tasks=("binary", "multilabel"),
        activation="linear",
        target="binary",
        formula="max(0, 1 - y*s)^2, y in {-1, +1} (0/1 mapped), mean over labels",
        latex=r"\max(0,\ 1 - y\, s)^2",
        when="Margin classifiers that want a smooth (differentiable) hinge.",
        pros=("differentiable everywhere", "still zero beyond the margin"),
        cons=("no probabilities", "margin violations cost quadratically"),
        reference="keras.losses.SquaredHinge; sklearn LinearSVC(loss='squared_hinge')",
        per_sample=squared_hinge,
    ),
    LossSpec(
        name="cce",
        aliases=(
            "categorical_crossentropy",
            "categorical_cross_entropy",
        ),
        tasks=("multiclass",),
        target="distribution",
        formula="-sum_k w_k * y_k * log p_k (y one-hot or soft)",
        latex=r"-\sum_k w_k\, y_k \log p_k",
        params=(_FROM_LOGITS, _CATEGORICAL_SMOOTHING, _CLASS_WEIGHTS, _RENORMALIZE, _EPSILON),
        per_sample=categorical_cross_entropy,
        partial=categorical_cross_entropy_partial,
        **_CCE_COMMON,
    ),
    LossSpec(
        name="sparse_cce",
        aliases=(
            "sparse_categorical_crossentropy",
            "sparse_categorical_cross_entropy",
            "multiclass_log_loss",
        ),
        tasks=("multiclass",),
        target="labels",
        formula="-w_y * log p_y (y an integer class label)",
        latex=r"-w_{y} \log p_{y}",
        params=(
            _FROM_LOGITS,
            _CATEGORICAL_SMOOTHING,
            _CLASS_WEIGHTS,
            _RENORMALIZE,
            _EPSILON,
            Param(
                "ignore_class",
                None,
                "samples with this label count nowhere (loss 0, weight 0)",
                type=int,
            ),
        ),
        per_sample=sparse_categorical_cross_entropy,
        partial=sparse_categorical_cross_entropy_partial,
        **_CCE_COMMON,
    ),
    LossSpec(
        name="categorical_hinge",
        aliases=("multiclass_hinge",),
        tasks=("multiclass",),
        activation="linear",
        target="distribution",
        formula="max(0, 1 + max_k (1-y_k)*s_k - sum_k y_k*s_k)",
        latex=r"\max\!\left(0,\ 1 + \max_k (1 - y_k) s_k - \sum_k y_k s_k\right)",
        when="Multiclass margin classifiers trained on raw scores (Keras' multiclass SVM loss).",
        pros=("zero once the true class leads every rival by 1",),
        cons=("no probabilities", "only the strongest rival matters"),
        reference="Weston & Watkins (1999); keras.losses.CategoricalHinge",
        per_sample=categorical_hinge,
    ),
    LossSpec(
        name="kl_divergence",
        aliases=("kld", "kullback_leibler_divergence", "kl"),
        tasks=("multiclass",),
        activation="softmax",
        target="distribution",
        formula="sum_k y_k * log(y_k / p_k)",
        latex=r"\sum_k y_k \log \frac{y_k}{p_k}",
        when="Matching a predicted distribution to a soft target distribution "
        "(distillation, label distributions).",
        pros=("zero exactly when the distributions agree", "equals CE minus the target entropy"),
        cons=("asymmetric", "infinite when p_k = 0 where y_k > 0 (hence the clip)"),
        reference="Kullback & Leibler (1951); keras.losses.KLDivergence; torch.nn.KLDivLoss",
        params=(_FROM_LOGITS, _EPSILON),
        per_sample=kl_divergence,
    ),
    LossSpec(
        name="brier",
        aliases=("brier_score", "brier_score_loss"),
        tasks=("binary", "multiclass"),
        activation="sigmoid",
        target="binary",
        formula="(p - y)^2 (binary); sum_k (p_k - 1[y=k])^2 (multiclass)",
        latex=r"(p - y)^2",
        when="Judging the calibration of predicted probabilities (forecast quality).",
        pros=("bounded; a strictly proper scoring rule", "insensitive to a few confident mistakes"),
        cons=("weak gradient for confident mistakes, so rarely a training loss",),
        reference="Brier (1950), Monthly Weather Review 78; sklearn.metrics.brier_score_loss",
        robust_to_outliers=True,
        per_sample=brier,
        forms={"multiclass": _BRIER_MULTICLASS},
    ),
)
