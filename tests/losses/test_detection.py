"""IoU and GIoU box losses: hand-computed values, box formats, degenerate and bad boxes."""

from __future__ import annotations

import numpy as np
import pytest

import losscli
from losscli.errors import InputError, ParameterError, ShapeError

# xyxy pairs, hand-computed:
# 0: [0,0,2,2] vs [1,1,3,3]: inter 1, union 7, enclosing [0,0,3,3] = 9
# 1: [0,0,1,1] vs [2,2,3,3]: disjoint, inter 0, union 2, enclosing 9
# 2: [0,0,4,4] vs [1,1,2,2]: nested, inter 1, union 16, enclosing 16
# 3: identical [1,2,5,7]
TRUE = np.array([[0, 0, 2, 2], [0, 0, 1, 1], [0, 0, 4, 4], [1, 2, 5, 7]], dtype=float)
PRED = np.array([[1, 1, 3, 3], [2, 2, 3, 3], [1, 1, 2, 2], [1, 2, 5, 7]], dtype=float)
IOU = np.array([1 / 7, 0.0, 1 / 16, 1.0])
GIOU = IOU - np.array([2 / 9, 7 / 9, 0.0, 0.0])


def _xywh(b):
    return np.stack([b[:, 0], b[:, 1], b[:, 2] - b[:, 0], b[:, 3] - b[:, 1]], axis=1)


def _cxcywh(b):
    w = b[:, 2] - b[:, 0]
    h = b[:, 3] - b[:, 1]
    return np.stack([b[:, 0] + w / 2, b[:, 1] + h / 2, w, h], axis=1)


def test_iou_by_hand():
    got = losscli.loss("iou", TRUE, PRED, reduction="none")
    np.testing.assert_allclose(got, 1 - IOU, rtol=1e-15, atol=0)
    assert losscli.loss("iou", TRUE, PRED) == pytest.approx(np.mean(1 - IOU), rel=1e-15)


def test_giou_by_hand():
    got = losscli.loss("giou", TRUE, PRED, reduction="none")
    np.testing.assert_allclose(got, 1 - GIOU, rtol=1e-15, atol=1e-16)
    assert got[1] == pytest.approx(1 + 7 / 9)  # disjoint boxes: loss above 1
    w = np.array([1.0, 2.0, 0.0, 1.0])
    assert losscli.loss("giou", TRUE, PRED, sample_weight=w) == pytest.approx(
        np.dot(w, 1 - GIOU) / w.sum(), rel=1e-15
    )


@pytest.mark.parametrize("name,expected", [("iou", 1 - IOU), ("giou", 1 - GIOU)])
@pytest.mark.parametrize("fmt,convert", [("xywh", _xywh), ("cxcywh", _cxcywh)])
def test_box_formats_agree(name, expected, fmt, convert):
    got = losscli.loss(name, convert(TRUE), convert(PRED), box_format=fmt, reduction="none")
    np.testing.assert_allclose(got, expected, rtol=1e-14, atol=1e-15)


def test_degenerate_boxes():
    # points and segments: union of zero area
    t = np.array([[1, 1, 1, 1], [1, 1, 1, 1], [0, 0, 2, 0], [0, 0, 0, 0]], dtype=float)
    p = np.array([[1, 1, 1, 1], [2, 2, 2, 2], [0, 0, 2, 0], [0, 0, 2, 2]], dtype=float)
    # identical point -> IoU 1; distinct points -> IoU 0; identical segment -> IoU 1;
    # a point in a 2x2 box -> union 4, IoU 0
    np.testing.assert_array_equal(losscli.loss("iou", t, p, reduction="none"), [0, 1, 0, 1])
    # GIoU: enclosing area 0 -> no penalty; distinct points (1,1),(2,2) enclose 1 -> penalty 1
    # point in box: enclosing = union = 4 -> no penalty
    np.testing.assert_array_equal(losscli.loss("giou", t, p, reduction="none"), [0, 2, 0, 1])


@pytest.mark.parametrize("name", ["iou", "giou"])
def test_bad_boxes_name_the_row(name):
    bad = PRED.copy()
    bad[2] = [3, 0, 1, 1]  # x2 < x1
    with pytest.raises(InputError, match="y_pred box at row 2 has x2 < x1"):
        losscli.loss(name, TRUE, bad)
    bad_wh = _xywh(TRUE)
    bad_wh[1, 3] = -1.0
    with pytest.raises(InputError, match="y_true box at row 1 has a negative width or height"):
        losscli.loss(name, bad_wh, _xywh(PRED), box_format="xywh")


def test_bad_shapes_and_params():
    with pytest.raises(ShapeError, match=r"\(n, 4\)"):
        losscli.loss("iou", TRUE[:, :3], PRED[:, :3])
    with pytest.raises(ShapeError):
        losscli.loss("iou", TRUE, PRED[:3])
    with pytest.raises(ParameterError, match="box_format"):
        losscli.loss("iou", TRUE, PRED, box_format="yxyx")
    with pytest.raises(InputError, match="NaN"):
        losscli.loss("giou", TRUE, np.where(PRED == 3, np.nan, PRED))


def test_giou_bounds_on_random_boxes():
    rng = np.random.default_rng(0)
    xy = rng.random((500, 2)) * 10
    wh = rng.random((500, 2)) * 5
    t = np.hstack([xy, xy + wh])
    xy2 = rng.random((500, 2)) * 10
    p = np.hstack([xy2, xy2 + rng.random((500, 2)) * 5])
    iou = losscli.loss("iou", t, p, reduction="none")
    giou = losscli.loss("giou", t, p, reduction="none")
    assert np.all((iou >= 0) & (iou <= 1))
    assert np.all((giou >= iou - 1e-15) & (giou < 2))
