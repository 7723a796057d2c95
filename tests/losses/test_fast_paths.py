"""The hot-path shortcuts of issue 6 keep the public checks and the values.

- ``finite_checked`` (used by the evaluation of a Layout) skips only the NaN/inf scan of
  arrays that are float64 already; outside it, and for anything converted, the API checks.
- cce/sparse_cce pick p[i, y_i] for label and exactly one-hot targets; the values are
  those of the one-hot sum, computed here by hand.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from losscli import api
from losscli.errors import InputError
from losscli.losses.base import check_probabilities, finite_checked
from losscli.losses.classification import _one_hot_labels


def test_public_api_still_rejects_nan():
    with pytest.raises(InputError, match="y_pred has a NaN"):
        api.loss("mse", np.array([1.0, 2.0]), np.array([1.0, np.nan]))


def test_finite_checked_still_checks_converted_inputs():
    with finite_checked(), pytest.raises(InputError, match="y_true has a NaN"):
        api.loss("mae", [1.0, float("nan")], np.array([1.0, 2.0]))


def test_finite_checked_is_scoped():
    with finite_checked():
        pass
    with pytest.raises(InputError, match="infinite"):
        api.loss("huber", np.array([np.inf]), np.array([0.0]))


def test_huber_by_hand():
    # errors 0.5 (quadratic: 0.125) and 3 (linear: 1·(3 − 0.5) = 2.5); mean 1.3125
    assert api.loss("huber", np.array([0.0, 0.0]), np.array([0.5, -3.0])) == 1.3125


def test_log_cosh_both_branches_by_hand():
    errors = np.array([1e-5, 0.5, 2.0, 40.0])
    got = api.loss("log_cosh", np.zeros(4), errors, reduction="none")
    # log cosh x = x²/2 − x⁴/12 + … near 0 (math.log(math.cosh(1e-5)) would cancel)
    want = [1e-10 / 2 - 1e-20 / 12] + [math.log(math.cosh(e)) for e in errors[1:]]
    np.testing.assert_allclose(got, want, rtol=1e-14)


def test_sparse_cce_picks_the_label_probability():
    p = np.array([[0.7, 0.2, 0.1], [0.1, 0.1, 0.8], [0.25, 0.5, 0.25]])
    got = api.loss("sparse_cce", np.array([0, 2, 1]), p, reduction="none")
    np.testing.assert_allclose(got, -np.log([0.7, 0.8, 0.5]), rtol=1e-15)


def test_cce_one_hot_and_smoothing_by_hand():
    p = np.array([[0.7, 0.2, 0.1], [0.1, 0.1, 0.8]])
    one_hot = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]])
    got = api.loss("cce", one_hot, p, reduction="none")
    np.testing.assert_allclose(got, -np.log([0.7, 0.8]), rtol=1e-15)
    # ls = 0.3, K = 3: targets 0.8 on the label, 0.1 elsewhere
    smoothed = api.loss("cce", one_hot, p, reduction="none", label_smoothing=0.3)
    want = [
        -(0.8 * math.log(0.7) + 0.1 * math.log(0.2) + 0.1 * math.log(0.1)),
        -(0.1 * math.log(0.1) + 0.1 * math.log(0.1) + 0.8 * math.log(0.8)),
    ]
    np.testing.assert_allclose(smoothed, want, rtol=1e-13)
    sparse = api.loss("sparse_cce", np.array([0, 2]), p, reduction="none", label_smoothing=0.3)
    np.testing.assert_allclose(sparse, want, rtol=1e-13)


def test_one_hot_detection_is_exact():
    assert _one_hot_labels(np.eye(3)[[2, 0, 1]]).tolist() == [2, 0, 1]
    assert _one_hot_labels(np.array([[1.0, 1e-17], [0.0, 1.0]])) is None
    assert _one_hot_labels(np.array([[0.5, 0.5], [0.0, 1.0]])) is None
    assert _one_hot_labels(np.array([[1.0, 1.0], [0.0, 0.0]])) is None


def test_check_probabilities_names_the_row():
    check_probabilities(np.array([[0.0, 1.0]]))
    with pytest.raises(InputError, match="row 1"):
        check_probabilities(np.array([[0.5, 0.5], [1.5, -0.5]]))
