"""The evidence, checked against scipy.stats, scikit-learn and plain NumPy recomputations."""

from __future__ import annotations

import math

import numpy as np
import pytest

from losscli.recommend.statistics import (
    class_evidence,
    distribution,
    excess_kurtosis,
    median_absolute_deviation,
    modified_z,
    multilabel_evidence,
    regression_evidence,
    robust_scale,
    skewness,
    worst_share,
)

stats = pytest.importorskip("scipy.stats")


@pytest.fixture
def skewed():
    return np.random.default_rng(7).lognormal(0.0, 0.9, size=1001)


def test_skewness_and_kurtosis_match_scipy(skewed):
    assert skewness(skewed) == pytest.approx(stats.skew(skewed), rel=1e-12)
    assert excess_kurtosis(skewed) == pytest.approx(stats.kurtosis(skewed), rel=1e-12)


def test_moments_of_a_constant_are_zero():
    values = np.full(5, 2.5)
    assert skewness(values) == 0.0
    assert excess_kurtosis(values) == 0.0


def test_mad_matches_scipy(skewed):
    assert median_absolute_deviation(skewed) == pytest.approx(
        stats.median_abs_deviation(skewed), rel=1e-14
    )
    # scipy's "normal" scale is 1/Φ⁻¹(0.75) = 1.482602…; SPEC §5 uses 1.4826.
    normal = stats.median_abs_deviation(skewed, scale="normal")
    assert robust_scale(skewed) == pytest.approx(normal, rel=2e-6)


def test_modified_z_by_hand():
    values = np.array([1.0, 2.0, 3.0, 4.0, 100.0])
    # median 3, |x - 3| = 2 1 0 1 97 -> MAD 1; M = 0.6745 (x - 3) / 1
    assert modified_z(values).tolist() == pytest.approx(
        [-1.349, -0.6745, 0.0, 0.6745, 65.4265], rel=1e-12
    )


def test_modified_z_falls_back_to_mean_absolute_deviation_when_mad_is_zero():
    values = np.array([5.0, 5.0, 5.0, 5.0, 9.0])
    # MAD = 0; mean |x - 5| = 0.8; scale 1.253314 × 0.8
    expected = (values - 5.0) / (1.253314 * 0.8)
    assert modified_z(values) == pytest.approx(expected, rel=1e-12)


def test_worst_share_by_sorting():
    squared = np.random.default_rng(3).exponential(size=250) ** 2
    k = math.ceil(0.01 * 250)  # 3 samples
    expected = np.sort(squared)[-k:].sum() / squared.sum()
    assert worst_share(squared) == pytest.approx(expected, rel=1e-12)
    assert worst_share(np.zeros(4)) == 0.0


def test_distribution_fences_and_shares_by_hand(skewed):
    d = distribution(skewed, "targets")
    q1, q3 = np.percentile(skewed, [25, 75])
    iqr = q3 - q1
    assert d.iqr == pytest.approx(stats.iqr(skewed), rel=1e-12)
    assert d.inner_fences == pytest.approx((q1 - 1.5 * iqr, q3 + 1.5 * iqr))
    assert d.outer_fences == pytest.approx((q1 - 3 * iqr, q3 + 3 * iqr))
    inner = np.mean((skewed < q1 - 1.5 * iqr) | (skewed > q3 + 1.5 * iqr))
    outer = np.mean((skewed < q1 - 3 * iqr) | (skewed > q3 + 3 * iqr))
    assert d.share_outside_inner == pytest.approx(inner)
    assert d.share_outside_outer == pytest.approx(outer)
    median = np.median(skewed)
    mad = np.median(np.abs(skewed - median))
    z = 0.6745 * (skewed - median) / mad
    assert d.share_modified_z == pytest.approx(np.mean(np.abs(z) > 3.5))
    bulk = skewed[np.abs(z) <= 3.5]
    assert d.bulk_skewness == pytest.approx(stats.skew(bulk), rel=1e-12)
    assert d.bulk_excess_kurtosis == pytest.approx(stats.kurtosis(bulk), rel=1e-12)
    assert d.std == pytest.approx(np.std(skewed, ddof=1))
    assert d.nonnegative
    assert not d.integer_valued
    assert d.mse_share_worst_1pct is None


def test_regression_evidence_uses_residuals_when_predictions_are_given():
    y = np.array([1.0, 2.0, 3.0, 4.0, 50.0])
    p = np.array([1.5, 2.0, 2.0, 4.5, 10.0])
    evidence = regression_evidence(y, p)
    residuals = y - p
    assert evidence.decide_on.on == "residuals"
    assert evidence.decide_on.mean == pytest.approx(residuals.mean())
    assert evidence.decide_on.median == pytest.approx(np.median(residuals))
    assert evidence.targets.mean == pytest.approx(y.mean())
    # worst 1 % of 5 samples is 1 sample: 40² of Σ r² = 0.25 + 0 + 1 + 0.25 + 1600
    assert evidence.decide_on.mse_share_worst_1pct == pytest.approx(1600 / 1601.5)
    assert evidence.values.tolist() == residuals.tolist()


def test_class_evidence_counts_shares_entropy():
    labels = np.array(["a"] * 70 + ["b"] * 25 + ["c"] * 5, dtype=object)
    evidence = class_evidence(labels, ("a", "b", "c"))
    assert evidence.counts == (70, 25, 5)
    assert evidence.shares == pytest.approx((0.70, 0.25, 0.05))
    assert evidence.imbalance_ratio == 14.0
    assert evidence.minority_class == "c"
    assert evidence.majority_class == "a"
    assert evidence.minority_share == 0.05
    expected = stats.entropy([70, 25, 5]) / math.log(3)
    assert evidence.normalized_entropy == pytest.approx(expected, rel=1e-12)
    assert evidence.small_classes == ("c",)


def test_class_evidence_of_numeric_labels_and_one_hot_agree():
    codes = np.array([0, 0, 1, 2, 2, 2], dtype=np.float64)
    sparse = class_evidence(codes, (0.0, 1.0, 2.0))
    dense = class_evidence(np.eye(3)[codes.astype(int)], ("x", "y", "z"))
    assert sparse.counts == dense.counts == (2, 1, 3)
    assert sparse.imbalance_ratio == dense.imbalance_ratio == 3.0


def test_multilabel_evidence():
    matrix = np.array([[1, 0, 1], [1, 1, 0], [0, 0, 0], [1, 0, 0]], dtype=float)
    evidence = multilabel_evidence(matrix, ("a", "b", "c"))
    assert evidence.label_cardinality == pytest.approx(5 / 4)
    assert evidence.label_density == pytest.approx(5 / 12)
    assert evidence.positive_rates == pytest.approx((0.75, 0.25, 0.25))
    assert evidence.imbalance_ratios == pytest.approx((3.0, 3.0, 3.0))
    assert evidence.rarest_label == "b"  # first of the rarest
    assert evidence.small_labels == ("a", "b", "c")
