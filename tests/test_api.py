"""The Python API of SPEC §2: loss(), partial/merge/finish, reductions and conventions."""

from __future__ import annotations

import numpy as np
import pytest

import losscli
from losscli import api
from losscli.errors import InputError, ParameterError, ShapeError


def test_loss_mean_sum_none_by_hand():
    y, p = [1.0, 2.0, 3.0], [1.0, 2.0, 5.0]  # squared errors 0, 0, 4
    assert losscli.loss("mse", y, p) == pytest.approx(4 / 3, rel=1e-15)
    assert losscli.loss("mse", y, p, reduction="sum") == 4.0
    np.testing.assert_array_equal(losscli.loss("mse", y, p, reduction="none"), [0, 0, 4])


def test_weighted_mean_divides_by_weights_or_elements_by_convention():
    y, p, w = [1.0, 2.0, 3.0], [1.0, 2.0, 5.0], [1.0, 1.0, 2.0]
    assert losscli.loss("mse", y, p, sample_weight=w) == pytest.approx(8 / 4)  # Σwl/Σw
    assert losscli.loss("mse", y, p, sample_weight=w, convention="keras") == pytest.approx(8 / 3)
    np.testing.assert_array_equal(
        losscli.loss("mse", y, p, sample_weight=w, reduction="none"), [0, 0, 8]
    )


def test_chunks_merge_to_the_whole():
    rng = np.random.default_rng(0)
    y, p, w = rng.normal(size=1000), rng.normal(size=1000), rng.uniform(size=1000)
    whole = losscli.loss("mse", y, p, sample_weight=w)
    states = [
        api.partial("mse", y[a:b], p[a:b], sample_weight=w[a:b])
        for a, b in ((0, 10), (10, 700), (700, 1000))
    ]
    assert api.finish("mse", api.merge(*states)) == pytest.approx(whole, rel=1e-12)


def test_no_silent_broadcasting():
    assert losscli.loss("mse", [[1.0], [2.0]], [1.0, 4.0]) == 2.0  # (n,1) and (n,) are one form
    with pytest.raises(ShapeError, match=r"y_true has shape \(3,\) but y_pred has shape \(2,\)"):
        losscli.loss("mse", [1.0, 2.0, 3.0], [1.0, 2.0])


def test_bad_values_and_options():
    with pytest.raises(InputError, match="NaN or infinite value at row 1"):
        losscli.loss("mse", [1.0, float("nan")], [1.0, 2.0])
    with pytest.raises(InputError, match="negative value at row 0"):
        losscli.loss("mse", [1.0], [1.0], sample_weight=[-1.0])
    with pytest.raises(ParameterError, match="unknown reduction"):
        losscli.loss("mse", [1.0], [1.0], reduction="avg")
    with pytest.raises(ParameterError, match="unknown convention 'tf'"):
        losscli.loss("mse", [1.0], [1.0], convention="tf")


def test_catalog_lists_the_registry():
    names = [spec.name for spec in losscli.catalog()]
    assert "mse" in names and len(names) == len(set(names))
