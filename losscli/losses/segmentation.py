"""Segmentation losses: soft Dice, soft Jaccard (IoU of masks) and Tversky.

Layout (SPEC §3, long format): one row per pixel. ``y_true`` is (n,) 0/1 (or
soft) mask values and ``y_pred`` (n,) foreground probabilities; or, for several
classes, ``y_pred`` is (n, K) class probabilities and ``y_true`` either (n,)
integer class ids or (n, K) one-hot / soft masks. ``groups`` (n,) holds the image
id of each pixel; without it the whole input is one image.

These losses are ratios of sums, not means of per-pixel terms, so they have
their own mergeable state: per image (or over all pixels), the three weighted
sums every ratio is made of,

    inter = Σ w·p·t,   pred = Σ w·p,   true = Σ w·t,

(per class when there are K classes). States merge by addition
(:func:`losscli.losses.base.merge_states`), so an image split across chunks
gives exactly the whole-array value. ``finish`` forms the ratio per image and
averages over images (``pooling="per_image"``), or forms one ratio from the sums
over all pixels (``pooling="global"``, the CLI's ``--global``).

With K classes the score of an image is the unweighted mean over all K classes
(background included) of the per-class scores ("macro" averaging, as MONAI's
``DiceLoss(include_background=True, reduction="mean")``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from losscli.conventions import LOSSCLI, Convention
from losscli.errors import InputError, ShapeError
from losscli.losses.base import (
    State,
    as_float_array,
    check_probabilities,
    log_softmax,
    sigmoid,
)
from losscli.registry import LossSpec, Param

POOLINGS = ("per_image", "global")

#: Key of the one image when no ``groups`` are given.
WHOLE_INPUT = None


# --- input --------------------------------------------------------------------------


def group_index(groups: Any, n: int) -> tuple[list[Any], np.ndarray]:
    """Sorted unique group ids (as Python scalars) and each row's index into them.

    ``None`` means one group (the whole input). NaN ids, or a length other than
    ``n``, are errors naming the problem.
    """
    if groups is None:
        return [WHOLE_INPUT], np.zeros(n, dtype=np.intp)
    ids = np.asarray(groups)
    if ids.ndim == 2 and ids.shape[1] == 1:
        ids = ids[:, 0]
    if ids.ndim != 1 or ids.shape[0] != n:
        raise ShapeError(f"groups has shape {ids.shape}; expected ({n},), one id per row")
    if ids.dtype.kind == "f":
        bad = ~np.isfinite(ids)
        if bad.any():
            raise InputError(f"groups has a missing (NaN) id at row {int(np.argmax(bad))}")
        if np.all(ids == np.round(ids)):
            ids = ids.astype(np.int64)  # ids read from CSV as floats: 3.0 is image 3
    elif ids.dtype.kind == "O":
        missing = np.array([v is None or (isinstance(v, float) and v != v) for v in ids])
        if missing.any():
            raise InputError(f"groups has a missing id at row {int(np.argmax(missing))}")
        ids = ids.astype(str)
    try:
        unique, inverse = np.unique(ids, return_inverse=True)
    except TypeError:
        raise InputError(
            "groups mixes ids that cannot be compared (e.g. numbers and text)"
        ) from None
    return unique.tolist(), inverse.reshape(-1)


def check_ids(t: np.ndarray, k: int, noun: str) -> None:
    """``t`` (n,) must hold integer ids in 0..k−1 (one per prediction column); the error
    names the first row that does not."""
    bad = (t != np.round(t)) | (t < 0) | (t >= k)
    if bad.any():
        row = int(np.argmax(bad))
        raise InputError(
            f"y_true has {t[row]:g} at row {row}; with {k} prediction columns the "
            f"{noun} ids must be integers in 0..{k - 1}",
            row=row,
            argument="y_true",
        )


def sorted_keys(keys: Any) -> list[Any]:
    """Group ids in sorted order (by their text when they do not compare)."""
    keys = list(keys)
    try:
        return sorted(keys)
    except TypeError:
        return sorted(keys, key=repr)


def _mask_arrays(
    y_true: Any, y_pred: Any, *, from_logits: bool, check_range: bool
) -> tuple[np.ndarray, np.ndarray]:
    """Targets and predictions as (n, K) float64 arrays (K = 1 for a binary mask)."""
    t = as_float_array(y_true, "y_true")
    p = as_float_array(y_pred, "y_pred")
    if p.ndim == 1 or (p.ndim == 2 and p.shape[1] == 1):
        # binary mask: one foreground probability (or logit) per pixel
        p = p.reshape(-1, 1)
        if t.ndim == 2 and t.shape[1] == 1:
            t = t[:, 0]
        if t.ndim != 1 or t.shape[0] != p.shape[0]:
            raise ShapeError(f"y_true has shape {t.shape} but y_pred has shape {p.shape[:1]}")
        t = t.reshape(-1, 1)
        if from_logits:
            p = sigmoid(p)
    elif p.ndim == 2:
        k = p.shape[1]
        if t.ndim == 2 and t.shape[1] == 1:
            t = t[:, 0]
        if t.ndim == 1:
            if t.shape[0] != p.shape[0]:
                raise ShapeError(f"y_true has {t.shape[0]} rows but y_pred has {p.shape[0]}")
            check_ids(t, k, "class")
            t = (t[:, None] == np.arange(k)[None, :]).astype(np.float64)
        elif t.shape != p.shape:
            raise ShapeError(f"y_true has shape {t.shape} but y_pred has shape {p.shape}")
        if from_logits:
            p = np.exp(log_softmax(p))
    else:
        raise ShapeError(f"y_pred must be (n,) or (n, K), got shape {p.shape}")
    if p.shape[0] == 0:
        raise ShapeError("no pixels")
    if check_range and not from_logits:
        check_probabilities(p, "y_pred")
    if check_range:
        check_probabilities(t, "y_true")
    return t, p


def _option(convention: Convention, loss: str, key: str) -> Any:
    """The convention's value, else the losscli profile's (the documented default)."""
    return convention.option(loss, key, LOSSCLI.option(loss, key))


# --- the state ------------------------------------------------------------------------


def overlap_partial(
    loss: str,
    y_true: Any,
    y_pred: Any,
    *,
    weights: np.ndarray | None,
    groups: Any,
    convention: Convention,
    pooling: str | None,
    from_logits: bool,
) -> State:
    """The weighted overlap sums of one chunk of pixels.

    Returns:
        ``{"groups": {image_id: {"inter", "pred", "true", "pixels"}}}`` under
        ``pooling="per_image"``, ``{"inter", "pred", "true", "pixels"}`` under
        ``"global"``. The sums are floats for a binary mask and (K,) arrays
        for K classes.
    """
    check_range = convention.option(loss, "check_range", True)
    t, p = _mask_arrays(y_true, y_pred, from_logits=from_logits, check_range=check_range)
    n, k = p.shape
    w = np.ones(n) if weights is None else weights
    wp = w[:, None] * p
    columns = {"inter": wp * t, "pred": wp, "true": w[:, None] * t}
    pooling = pooling or _option(convention, loss, "pooling")
    scalar = k == 1  # a binary mask stores floats, K classes store (K,) arrays

    def pack(values: np.ndarray) -> Any:
        return float(values[0]) if scalar else values

    if pooling == "global":
        state = {key: pack(col.sum(axis=0)) for key, col in columns.items()}
        state["pixels"] = float(n)
        return state
    ids, inverse = group_index(groups, n)
    g = len(ids)
    sums = {
        key: np.stack([np.bincount(inverse, weights=col[:, j], minlength=g) for j in range(k)], 1)
        for key, col in columns.items()
    }
    pixels = np.bincount(inverse, minlength=g).astype(np.float64)
    table = {
        gid: {
            "inter": pack(sums["inter"][i]),
            "pred": pack(sums["pred"][i]),
            "true": pack(sums["true"][i]),
            "pixels": float(pixels[i]),
        }
        for i, gid in enumerate(ids)
    }
    return {"groups": table}


Score = Callable[[np.ndarray, np.ndarray, np.ndarray, float, float], np.ndarray]


def _safe_ratio(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    # 0/0 (an empty mask predicted empty, with smooth = 0): nothing to find and
    # nothing predicted, a perfect score; see docs/losses-segmentation-detection-sequence.md
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = numerator / denominator
    return np.where(denominator == 0, np.where(numerator == 0, 1.0, ratio), ratio)


def _score_of(sums: State, score: Score, smooth: float, eps: float) -> float:
    """1 - score of one set of sums, averaged over classes."""
    inter = np.atleast_1d(np.asarray(sums["inter"], dtype=np.float64))
    pred = np.atleast_1d(np.asarray(sums["pred"], dtype=np.float64))
    true = np.atleast_1d(np.asarray(sums["true"], dtype=np.float64))
    return float(np.mean(1.0 - score(inter, pred, true, smooth, eps)))


def overlap_finish(
    loss: str,
    score: Score,
    state: State,
    *,
    reduction: str,
    convention: Convention,
    pooling: str | None,
    smooth: float | None,
) -> float | np.ndarray:
    """The loss from merged overlap sums: per image then mean/sum, or one global ratio."""
    smooth = float(_option(convention, loss, "smooth") if smooth is None else smooth)
    eps = float(_option(convention, loss, "denominator_epsilon") or 0.0)
    pooling = pooling or _option(convention, loss, "pooling")
    if pooling == "global":
        if "groups" in state:
            raise InputError(f"{loss}: the state was made with pooling='per_image'")
        value = _score_of(state, score, smooth, eps)
        return np.array([value]) if reduction == "none" else value
    if "groups" not in state:
        raise InputError(f"{loss}: the state was made with pooling='global'")
    table = state["groups"]
    per_image = np.array([_score_of(table[g], score, smooth, eps) for g in sorted_keys(table)])
    if reduction == "none":
        return per_image
    if reduction == "sum":
        return float(per_image.sum())
    return float(per_image.mean())


# --- the three scores -------------------------------------------------------------------


def dice_score(inter, pred, true, smooth, eps):
    """Soft Dice coefficient (2·Σpt + s) / (Σp + Σt + s)."""
    return _safe_ratio(2.0 * inter + smooth, pred + true + smooth + eps)


def jaccard_score(inter, pred, true, smooth, eps):
    """Soft Jaccard index (IoU of masks) (Σpt + s) / (Σp + Σt − Σpt + s)."""
    return _safe_ratio(inter + smooth, pred + true - inter + smooth + eps)


def _tversky_score(alpha: float, beta: float) -> Score:
    def tversky_score(inter, pred, true, smooth, eps):
        """Tversky index (TP + s) / (TP + α·FP + β·FN + s), FP = Σp − TP, FN = Σt − TP."""
        fp = pred - inter
        fn = true - inter
        return _safe_ratio(inter + smooth, inter + alpha * fp + beta * fn + smooth + eps)

    return tversky_score


# --- the losses -------------------------------------------------------------------------


def _overlap_partial_of(loss: str) -> Callable[..., State]:
    """The mergeable state function of ``loss``: its overlap sums (:func:`overlap_partial`).

    The three losses share their state; their score parameters (``smooth``, ``alpha``,
    ``beta``) only matter in ``finish``, so the state function accepts and ignores them.
    """

    def partial(
        y_true: Any,
        y_pred: Any,
        *,
        weights: np.ndarray | None,
        groups: Any,
        convention: Convention,
        pooling: str | None = None,
        from_logits: bool = False,
        **score_params: Any,
    ) -> State:
        return overlap_partial(
            loss,
            y_true,
            y_pred,
            weights=weights,
            groups=groups,
            convention=convention,
            pooling=pooling,
            from_logits=from_logits,
        )

    partial.__name__ = partial.__qualname__ = f"{loss}_partial"
    partial.__doc__ = f"Mergeable state of the {loss} loss (see :func:`{loss}_finish`)."
    return partial


dice_partial = _overlap_partial_of("dice")
jaccard_partial = _overlap_partial_of("jaccard")
tversky_partial = _overlap_partial_of("tversky")


def dice_finish(
    state: State,
    *,
    reduction: str,
    convention: Convention,
    smooth: float | None = None,
    pooling: str | None = None,
    from_logits: bool = False,
) -> float | np.ndarray:
    """Soft Dice loss 1 − (2·Σpt + s) / (Σp + Σt + s).

    Sums run over the pixels of one image (``pooling="per_image"``, then the
    mean over images) or over all pixels (``"global"``); ``w`` (sample weights)
    weight the pixels: Σpt means Σ w·p·t. With K classes, the mean over classes
    of the per-class losses. ``smooth`` (default 1.0; 0 under the keras profile,
    which instead adds 1e-7 to the denominator) keeps empty masks finite and
    makes an empty mask predicted empty a perfect score.

    Args:
        state: merged :func:`dice_partial` states.
        reduction: ``mean`` over images, ``sum`` over images, ``none`` (one value
            per image in sorted id order).

    References:
        Dice (1945); Milletari, Navab & Ahmadi, "V-Net", 3DV 2016 (soft Dice as a
        loss); ``keras.losses.Dice``.
    """
    return overlap_finish(
        "dice",
        dice_score,
        state,
        reduction=reduction,
        convention=convention,
        pooling=pooling,
        smooth=smooth,
    )


def jaccard_finish(
    state: State,
    *,
    reduction: str,
    convention: Convention,
    smooth: float | None = None,
    pooling: str | None = None,
    from_logits: bool = False,
) -> float | np.ndarray:
    """Soft Jaccard (IoU of masks) loss 1 − (Σpt + s) / (Σp + Σt − Σpt + s).

    Pooling, weights, classes and ``smooth`` as for :func:`dice_finish`.

    References:
        Jaccard (1912); Rahman & Wang, "Optimizing Intersection-over-Union in Deep
        Neural Networks for Image Segmentation", ISVC 2016 (the soft IoU loss).
    """
    return overlap_finish(
        "jaccard",
        jaccard_score,
        state,
        reduction=reduction,
        convention=convention,
        pooling=pooling,
        smooth=smooth,
    )


def tversky_finish(
    state: State,
    *,
    reduction: str,
    convention: Convention,
    alpha: float = 0.5,
    beta: float = 0.5,
    smooth: float | None = None,
    pooling: str | None = None,
    from_logits: bool = False,
) -> float | np.ndarray:
    """Tversky loss 1 − (TP + s) / (TP + α·FP + β·FN + s).

    TP = Σpt, FP = Σp(1 − t), FN = Σ(1 − p)t (soft counts, pixel-weighted).
    α weighs false positives, β false negatives; β > α favours recall, which
    helps small lesions. α = β = 1/2 with s = 0 is the Dice loss, α = β = 1 the
    Jaccard loss. Pooling, classes and ``smooth`` as for :func:`dice_finish`.

    References:
        Tversky (1977); Salehi, Erdogmus & Gholipour, "Tversky loss function for
        image segmentation using 3D fully convolutional deep networks", MLMI 2017;
        ``keras.losses.Tversky``.
    """
    return overlap_finish(
        "tversky",
        _tversky_score(alpha, beta),
        state,
        reduction=reduction,
        convention=convention,
        pooling=pooling,
        smooth=smooth,
    )


def _shared_params() -> tuple[Param, ...]:
    return (
        Param(
            "smooth",
            None,
            "added to numerator and denominator; keeps empty masks finite "
            "(unset: the profile's value, 1.0 under losscli, 0 under keras)",
            low=0.0,
            unset=lambda convention, loss: float(_option(convention, loss, "smooth")),
        ),
        Param(
            "pooling",
            None,
            "per_image: score each image (group) then average; global: one score over "
            "all pixels (unset: the profile's value, per_image under losscli)",
            type=str,
            choices=POOLINGS,
            unset=lambda convention, loss: _option(convention, loss, "pooling"),
        ),
        Param(
            "from_logits", False, "predictions are logits (sigmoid / softmax applied)", type=bool
        ),
    )


#: What the three share: a sigmoid (or softmax) mask, scored per image (group).
_MASK_LOSS: dict[str, Any] = dict(
    tasks=("segmentation",), activation="sigmoid", target="mask", grouped=True
)

SPECS: tuple[LossSpec, ...] = (
    LossSpec(
        name="dice",
        aliases=("dice_loss", "soft_dice", "f1_loss"),
        **_MASK_LOSS,
        formula="1 - (2·Σ p·t + smooth) / (Σ p + Σ t + smooth), per image then mean over images",
        latex=r"1 - \frac{2\sum_i p_i t_i + s}{\sum_i p_i + \sum_i t_i + s}",
        when="Segmentation where the foreground is a small part of the image: it scores the "
        "overlap of the masks, so the many easy background pixels do not swamp the loss.",
        pros=(
            "insensitive to class imbalance between foreground and background",
            "directly optimises the overlap measure segmentation is judged by",
        ),
        cons=(
            "gradients are noisy and unstable when a mask is tiny or empty",
            "a ratio per image: its value depends on how pixels are grouped into images",
        ),
        reference="Milletari et al., V-Net, 3DV 2016; keras.losses.Dice",
        params=_shared_params(),
        partial=dice_partial,
        finish=dice_finish,
    ),
    LossSpec(
        name="jaccard",
        aliases=("iou_mask", "soft_iou", "jaccard_loss", "soft_jaccard"),
        **_MASK_LOSS,
        formula="1 - (Σ p·t + smooth) / (Σ p + Σ t - Σ p·t + smooth), per image then mean",
        latex=r"1 - \frac{\sum_i p_i t_i + s}{\sum_i p_i + \sum_i t_i - \sum_i p_i t_i + s}",
        when="Segmentation judged by intersection-over-union: the soft version of the IoU "
        "metric, stricter than Dice on partial overlaps.",
        pros=(
            "matches the IoU metric most segmentation benchmarks report",
            "robust to foreground/background imbalance",
        ),
        cons=(
            "like Dice, unstable on tiny or empty masks",
            "penalises partial overlap harder than Dice, which can slow early training",
        ),
        reference="Rahman & Wang, ISVC 2016 (soft IoU loss); Jaccard (1912)",
        params=_shared_params(),
        partial=jaccard_partial,
        finish=jaccard_finish,
    ),
    LossSpec(
        name="tversky",
        aliases=("tversky_loss",),
        **_MASK_LOSS,
        formula="1 - (TP + smooth) / (TP + α·FP + β·FN + smooth), TP = Σ p·t, "
        "FP = Σ p·(1-t), FN = Σ (1-p)·t",
        latex=r"1 - \frac{TP + s}{TP + \alpha\,FP + \beta\,FN + s}",
        when="Segmentation of small structures where missing foreground costs more than "
        "false alarms (raise beta above alpha), or the other way round.",
        pros=(
            "trades precision against recall with two explicit weights",
            "generalises Dice (α = β = 0.5) and Jaccard (α = β = 1)",
        ),
        cons=(
            "two more hyper-parameters to tune",
            "same instability as Dice on tiny or empty masks",
        ),
        reference="Salehi, Erdogmus & Gholipour, MLMI 2017; keras.losses.Tversky",
        params=(
            Param("alpha", 0.5, "weight of false positives", low=0.0),
            Param("beta", 0.5, "weight of false negatives", low=0.0),
            *_shared_params(),
        ),
        partial=tversky_partial,
        finish=tversky_finish,
    ),
)
