"""Detection losses: IoU and generalised IoU of matched box pairs.

Layout (SPEC §3): ``y_true`` and ``y_pred`` are (n, 4) boxes, one matched
(ground truth, prediction) pair per row, in the format ``box_format``:

- ``xyxy``: (x1, y1, x2, y2), corners, x2 >= x1 and y2 >= y1;
- ``xywh``: (x, y, w, h), top-left corner and size, w, h >= 0;
- ``cxcywh``: (cx, cy, w, h), centre and size, w, h >= 0.

Each row gives one loss value; the reduction is the usual weighted mean.

Degenerate boxes: when the union of a pair has zero area (both boxes are points
or segments), IoU is defined as 1 if the two boxes are identical and 0
otherwise; when the smallest enclosing box has zero area, the GIoU penalty
term is 0 (so GIoU = IoU). Nothing is divided by zero and no epsilon shifts
the value of ordinary boxes.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from losscli.conventions import Convention
from losscli.errors import InputError, ShapeError
from losscli.losses.base import as_float_array
from losscli.registry import LossSpec, Param

BOX_FORMATS = ("xyxy", "xywh", "cxcywh")


def to_xyxy(boxes: np.ndarray, box_format: str, name: str) -> np.ndarray:
    """(n, 4) boxes in ``box_format`` as corners (x1, y1, x2, y2).

    Raises:
        InputError: naming the first row whose box is inverted (x2 < x1 or
            y2 < y1) or has a negative width or height.
    """
    a, b, c, d = boxes.T
    if box_format == "xyxy":
        out = boxes
        bad = (c < a) | (d < b)
        what = "x2 < x1 or y2 < y1"
    else:
        bad = (c < 0) | (d < 0)
        what = "a negative width or height"
        if box_format == "xywh":
            out = np.stack([a, b, a + c, b + d], axis=1)
        elif box_format == "cxcywh":
            out = np.stack([a - c / 2, b - d / 2, a + c / 2, b + d / 2], axis=1)
        else:  # the Param's choices normally catch this first
            raise InputError(f"unknown box_format {box_format!r}; choose one of {BOX_FORMATS}")
    if bad.any():
        row = int(np.argmax(bad))
        raise InputError(
            f"{name} box at row {row} has {what}: {boxes[row].tolist()} ({box_format})",
            hint="check --box-format",
            row=row,
            argument=name,
        )
    return out


def _boxes(y_true: Any, y_pred: Any, box_format: str) -> tuple[np.ndarray, np.ndarray]:
    t = as_float_array(y_true, "y_true")
    p = as_float_array(y_pred, "y_pred")
    for array, name in ((t, "y_true"), (p, "y_pred")):
        if array.ndim != 2 or array.shape[1] != 4:
            raise ShapeError(f"{name} must be (n, 4) boxes, got shape {array.shape}")
    if t.shape != p.shape:
        raise ShapeError(f"y_true has shape {t.shape} but y_pred has shape {p.shape}")
    if t.shape[0] == 0:
        raise ShapeError("no boxes")
    return to_xyxy(t, box_format, "y_true"), to_xyxy(p, box_format, "y_pred")


def _area(boxes: np.ndarray) -> np.ndarray:
    return (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])


def _iou_parts(t: np.ndarray, p: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """IoU of each pair and the area of its union (degenerate unions as documented)."""
    width = np.clip(np.minimum(t[:, 2], p[:, 2]) - np.maximum(t[:, 0], p[:, 0]), 0.0, None)
    height = np.clip(np.minimum(t[:, 3], p[:, 3]) - np.maximum(t[:, 1], p[:, 1]), 0.0, None)
    inter = width * height
    union = _area(t) + _area(p) - inter
    identical = np.all(t == p, axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        iou = np.where(union > 0, inter / union, np.where(identical, 1.0, 0.0))
    return iou, union


def iou_loss(
    y_true: Any, y_pred: Any, *, convention: Convention, box_format: str = "xyxy"
) -> np.ndarray:
    """IoU loss per matched pair: 1 − |A ∩ B| / |A ∪ B|.

    Args:
        y_true: (n, 4) ground-truth boxes.
        y_pred: (n, 4) predicted boxes, matched row by row.
        convention: unused; the definition is the same everywhere.
        box_format: ``xyxy``, ``xywh`` or ``cxcywh``.

    Returns:
        (n,) float64 array in [0, 1].

    References:
        Yu et al., "UnitBox: An Advanced Object Detection Network", ACM MM 2016;
        ``torchvision.ops.box_iou``.
    """
    t, p = _boxes(y_true, y_pred, box_format)
    iou, _ = _iou_parts(t, p)
    return 1.0 - iou


def giou_loss(
    y_true: Any, y_pred: Any, *, convention: Convention, box_format: str = "xyxy"
) -> np.ndarray:
    """Generalised IoU loss per matched pair: 1 − GIoU.

    GIoU = IoU − |C \\ (A ∪ B)| / |C|, where C is the smallest box enclosing A
    and B; it lies in (−1, 1], so the loss lies in [0, 2) and still has a
    gradient when the boxes do not overlap.

    Args:
        y_true: (n, 4) ground-truth boxes.
        y_pred: (n, 4) predicted boxes, matched row by row.
        convention: unused.
        box_format: ``xyxy``, ``xywh`` or ``cxcywh``.

    Returns:
        (n,) float64 array in [0, 2].

    References:
        Rezatofighi et al., "Generalized Intersection over Union: A Metric and a
        Loss for Bounding Box Regression", CVPR 2019;
        ``torchvision.ops.generalized_box_iou_loss``.
    """
    t, p = _boxes(y_true, y_pred, box_format)
    iou, union = _iou_parts(t, p)
    enclosing = (np.maximum(t[:, 2], p[:, 2]) - np.minimum(t[:, 0], p[:, 0])) * (
        np.maximum(t[:, 3], p[:, 3]) - np.minimum(t[:, 1], p[:, 1])
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        penalty = np.where(enclosing > 0, (enclosing - union) / enclosing, 0.0)
    return 1.0 - (iou - penalty)


#: What the two share: matched (n, 4) box pairs, compared by their overlap.
_BOX_LOSS: dict[str, Any] = dict(
    tasks=("detection",),
    activation="linear",
    target="boxes",
    params=(
        Param(
            "box_format",
            "xyxy",
            "xyxy corners, xywh top-left + size, or cxcywh centre + size",
            type=str,
            choices=BOX_FORMATS,
        ),
    ),
)


SPECS: tuple[LossSpec, ...] = (
    LossSpec(
        name="iou",
        aliases=("iou_loss", "box_iou"),
        **_BOX_LOSS,
        formula="1 - area(A ∩ B) / area(A ∪ B), per matched box pair",
        latex=r"1 - \frac{|A \cap B|}{|A \cup B|}",
        when="Bounding-box regression judged by IoU: it is scale-invariant, unlike an L1 or "
        "L2 loss on the coordinates.",
        pros=(
            "invariant to the scale of the boxes",
            "optimises the overlap measure detection is evaluated with",
        ),
        cons=(
            "zero gradient once the boxes stop overlapping (the loss is flat at 1)",
            "needs a matching of predictions to targets first",
        ),
        reference="Yu et al., UnitBox, ACM MM 2016",
        per_sample=iou_loss,
    ),
    LossSpec(
        name="giou",
        aliases=("giou_loss", "generalized_iou", "generalised_iou"),
        **_BOX_LOSS,
        formula="1 - IoU + area(C \\ (A ∪ B)) / area(C), C = smallest box enclosing A and B",
        latex=r"1 - \mathrm{IoU} + \frac{|C \setminus (A \cup B)|}{|C|}",
        when="Bounding-box regression when predictions may not overlap their targets yet "
        "(early training): the enclosing-box term still pulls them together.",
        pros=(
            "keeps a useful gradient for non-overlapping boxes",
            "equals the IoU loss when one box contains the other",
        ),
        cons=(
            "converges slowly when boxes are nested or aligned (DIoU/CIoU address this)",
            "needs a matching of predictions to targets first",
        ),
        reference="Rezatofighi et al., Generalized IoU, CVPR 2019",
        per_sample=giou_loss,
    ),
)
