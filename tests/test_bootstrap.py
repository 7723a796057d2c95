"""Bootstrap intervals: coverage by seeded simulation, exact estimates, reproducibility."""

from __future__ import annotations

import numpy as np
import pytest

import losscli
from losscli.bootstrap import (
    bootstrap_interval,
    interval_of,
    loss_interval,
    loss_terms,
    paired_difference,
    resample_sums,
)
from losscli.errors import ParameterError, ShapeError

REPETITIONS = 200


def test_interval_covers_a_known_mean_at_about_the_nominal_rate():
    # 200 normal samples with a known mean; a 95% interval should cover it ~95% of the
    # time (the percentile method runs a little short for n = 80: ~93-94%).
    rng = np.random.default_rng(20261123)
    true_mean = 2.0
    covered = 0
    for repetition in range(REPETITIONS):
        sample = rng.normal(true_mean, 1.5, size=80)
        interval = bootstrap_interval(sample, level=0.95, n_resamples=1000, seed=repetition)
        covered += interval.low <= true_mean <= interval.high
    assert 0.90 <= covered / REPETITIONS <= 0.98


def test_lower_level_gives_lower_coverage_and_narrower_interval():
    rng = np.random.default_rng(7)
    covered = 0
    for repetition in range(REPETITIONS):
        sample = rng.exponential(1.0, size=100)  # skewed: mean 1
        interval = bootstrap_interval(sample, level=0.80, n_resamples=800, seed=repetition)
        covered += interval.low <= 1.0 <= interval.high
    assert 0.70 <= covered / REPETITIONS <= 0.88
    sample = rng.normal(size=200)
    wide = bootstrap_interval(sample, level=0.99, seed=1)
    narrow = bootstrap_interval(sample, level=0.5, seed=1)
    assert wide.low < narrow.low < narrow.high < wide.high


def test_weighted_estimate_is_the_weighted_mean_and_elements_divides_by_n():
    values = np.array([1.0, 2.0, 4.0, 8.0])
    weights = np.array([1.0, 0.0, 3.0, 2.0])
    by_weights = bootstrap_interval(values, weights, seed=0, n_resamples=200)
    assert by_weights.estimate == pytest.approx((1 + 12 + 16) / 6, rel=1e-15)
    by_elements = bootstrap_interval(
        values, weights, seed=0, n_resamples=200, denominator="elements"
    )
    assert by_elements.estimate == pytest.approx((1 + 12 + 16) / 4, rel=1e-15)
    assert by_weights.low <= by_weights.estimate <= by_weights.high


def test_standard_error_matches_the_textbook_value():
    # For a mean, the bootstrap replicates' spread is s/sqrt(n) (plug-in, ddof=0);
    # the 95% percentile interval is close to ±1.96 of it for a symmetric sample.
    rng = np.random.default_rng(3)
    sample = rng.normal(0.0, 2.0, size=400)
    interval = bootstrap_interval(sample, n_resamples=4000, seed=5)
    half_width = (interval.high - interval.low) / 2
    expected = 1.959964 * sample.std() / np.sqrt(sample.size)
    assert half_width == pytest.approx(expected, rel=0.06)


def test_seed_makes_it_reproducible_and_batch_size_does_not_matter():
    rng = np.random.default_rng(11)
    sample = rng.normal(size=500)
    first = bootstrap_interval(sample, seed=42, n_resamples=300)
    second = bootstrap_interval(sample, seed=42, n_resamples=300)
    other = bootstrap_interval(sample, seed=43, n_resamples=300)
    assert (first.low, first.high) == (second.low, second.high)
    assert (first.low, first.high) != (other.low, other.high)
    columns = sample[:, None]
    whole = resample_sums(columns, 50, np.random.default_rng(9))
    batched = resample_sums(columns, 50, np.random.default_rng(9), max_batch_elements=1200)
    np.testing.assert_array_equal(whole, batched)


def test_resample_sums_are_sums_of_drawn_rows():
    columns = np.array([[1.0, 10.0], [2.0, 20.0], [4.0, 40.0]])
    sums = resample_sums(columns, 20, np.random.default_rng(0))
    index = np.random.default_rng(0).integers(0, 3, size=(20, 3))
    np.testing.assert_array_equal(sums, columns[index].sum(axis=1))


def test_groups_are_resampled_whole():
    # Rows inside a group share a strong group effect: resampling groups keeps the
    # nominal coverage, resampling rows as if they were independent falls far short.
    rng = np.random.default_rng(2024)
    groups = np.repeat(np.arange(40), 10)
    by_group = by_row = 0
    for repetition in range(REPETITIONS):
        values = np.repeat(rng.normal(size=40), 10) + rng.normal(scale=0.1, size=400)
        grouped = bootstrap_interval(values, groups=groups, n_resamples=600, seed=repetition)
        rows = bootstrap_interval(values, n_resamples=600, seed=repetition)
        by_group += grouped.low <= 0.0 <= grouped.high
        by_row += rows.low <= 0.0 <= rows.high
    assert grouped.unit == "groups" and grouped.units == 40
    assert 0.88 <= by_group / REPETITIONS <= 0.98
    assert by_row / REPETITIONS < 0.6


def test_grouped_ratio_uses_pooled_sums():
    # Token-averaged loss: Σ w·l / Σ w over all tokens, groups of unequal length.
    values = np.array([1.0, 3.0, 10.0, 0.0, 0.0, 0.0])
    weights = np.array([1.0, 1.0, 1.0, 1.0, 1.0, 0.0])
    groups = np.array(["a", "a", "b", "c", "c", "c"])
    interval = bootstrap_interval(values, weights, groups=groups, seed=1, n_resamples=500)
    assert interval.estimate == pytest.approx(14 / 5, rel=1e-15)
    # every replicate is a ratio of group sums: (4, 2), (10, 1), (0, 2) mixtures
    assert interval.low >= 0.0 and interval.high <= 10.0


def test_transform_applies_to_every_replicate():
    rng = np.random.default_rng(5)
    squared = rng.normal(size=300) ** 2
    plain = bootstrap_interval(squared, seed=8)
    rooted = bootstrap_interval(squared, seed=8, transform=np.sqrt)
    assert rooted.estimate == pytest.approx(np.sqrt(squared.mean()), rel=1e-14)
    assert rooted.low == pytest.approx(np.sqrt(plain.low), rel=1e-3)
    assert rooted.high == pytest.approx(np.sqrt(plain.high), rel=1e-3)


def test_paired_difference_of_a_constant_shift_is_exact():
    baseline = np.array([0.5, 1.5, 3.0, 0.1])
    result = paired_difference(baseline, baseline + 0.25, seed=0, n_resamples=200)
    assert result.baseline == pytest.approx(baseline.mean(), rel=1e-15)
    assert result.candidate == pytest.approx(baseline.mean() + 0.25, rel=1e-15)
    assert result.difference == pytest.approx(0.25, rel=1e-12)
    assert result.interval.low == pytest.approx(0.25, rel=1e-12)
    assert result.interval.high == pytest.approx(0.25, rel=1e-12)


def test_paired_interval_covers_the_true_difference_and_is_narrower_than_unpaired():
    rng = np.random.default_rng(99)
    covered = 0
    for repetition in range(REPETITIONS):
        baseline = rng.exponential(2.0, size=150)  # losses vary a lot between rows
        candidate = baseline + rng.normal(0.1, 0.3, size=150)  # true difference 0.1
        paired = paired_difference(baseline, candidate, n_resamples=600, seed=repetition)
        covered += paired.interval.low <= 0.1 <= paired.interval.high
    assert 0.90 <= covered / REPETITIONS <= 0.98
    unpaired_width = sum(
        bootstrap_interval(v, seed=1).high - bootstrap_interval(v, seed=1).low
        for v in (baseline, candidate)
    )
    assert paired.interval.high - paired.interval.low < unpaired_width / 3


def test_zero_weight_replicates_are_dropped_not_nan():
    values = np.arange(20, dtype=float)
    weights = np.zeros(20)
    weights[3] = 1.0  # most replicates of size 20 still draw row 3; some do not
    interval = bootstrap_interval(values, weights, seed=0, n_resamples=500)
    assert interval.low == interval.high == interval.estimate == 3.0


@pytest.mark.parametrize(
    ("kwargs", "error", "text"),
    [
        ({"level": 95}, ParameterError, "between 0 and 1"),
        ({"level": 0.0}, ParameterError, "between 0 and 1"),
        ({"n_resamples": 5}, ParameterError, "at least 10"),
        ({"weights": [0.0, 0.0, 0.0]}, ShapeError, "sum to zero"),
        ({"weights": [1.0, 1.0]}, ShapeError, "weights have shape"),
        ({"groups": [1, 2]}, ShapeError, "groups has shape"),
        ({"denominator": "rows"}, ParameterError, "denominator"),
    ],
)
def test_bad_arguments_are_user_errors(kwargs, error, text):
    with pytest.raises(error, match=text):
        bootstrap_interval([1.0, 2.0, 3.0], **kwargs)


def test_paired_needs_the_same_rows():
    with pytest.raises(ShapeError, match="same rows"):
        paired_difference([1.0, 2.0], [1.0, 2.0, 3.0])


# --- intervals of the library's losses (loss_terms) -----------------------------------


def _hand_quantiles(replicates: np.ndarray, level: float = 0.95) -> tuple[float, float]:
    low, high = np.quantile(replicates, [(1 - level) / 2, (1 + level) / 2])
    return float(low), float(high)


def _segmentation(seed: int = 0, images: int = 30, pixels: int = 40):
    rng = np.random.default_rng(seed)
    groups = np.repeat(np.arange(images), pixels)
    truth = (rng.random(images * pixels) < 0.3).astype(float)
    pred = np.clip(0.7 * truth + 0.3 * rng.random(images * pixels), 0.0, 1.0)
    return truth, pred, groups


def test_dice_per_image_resamples_images_with_hand_computed_scores():
    truth, pred, groups = _segmentation()
    inter = np.bincount(groups, weights=truth * pred)
    total = np.bincount(groups, weights=truth) + np.bincount(groups, weights=pred)
    per_image = 1.0 - (2.0 * inter + 1.0) / (total + 1.0)  # smooth = 1 (losscli profile)
    got = loss_interval("dice", truth, pred, groups=groups, seed=4, n_resamples=400)
    index = np.random.default_rng(4).integers(0, 30, size=(400, 30))
    expected = _hand_quantiles(per_image[index].mean(axis=1))
    assert got.unit == "groups" and got.units == 30
    assert got.estimate == pytest.approx(per_image.mean(), rel=1e-12)
    assert (got.low, got.high) == pytest.approx(expected, rel=1e-12)


def test_dice_global_pooling_rebuilds_the_pooled_ratio_per_replicate():
    truth, pred, groups = _segmentation(1)
    inter = np.bincount(groups, weights=truth * pred)
    total = np.bincount(groups, weights=truth) + np.bincount(groups, weights=pred)
    got = loss_interval(
        "dice", truth, pred, groups=groups, pooling="global", seed=2, n_resamples=300
    )
    index = np.random.default_rng(2).integers(0, 30, size=(300, 30))
    replicates = 1.0 - (2.0 * inter[index].sum(1) + 1.0) / (total[index].sum(1) + 1.0)
    assert got.estimate == pytest.approx(
        losscli.loss("dice", truth, pred, groups=groups, pooling="global"), rel=1e-12
    )
    assert (got.low, got.high) == pytest.approx(_hand_quantiles(replicates), rel=1e-12)


def test_class_weighted_cross_entropy_uses_its_own_denominators():
    rng = np.random.default_rng(3)
    labels = rng.integers(0, 3, size=300)
    probabilities = rng.dirichlet(np.ones(3), size=300)
    class_weights = np.array([1.0, 2.0, 5.0])
    nll = -np.log(probabilities[np.arange(300), labels])
    omega = class_weights[labels]
    got = loss_interval(
        "sparse_cce",
        labels,
        probabilities,
        class_weights=tuple(class_weights),
        seed=6,
        n_resamples=200,
    )
    index = np.random.default_rng(6).integers(0, 300, size=(200, 300))
    replicates = (omega * nll)[index].sum(1) / omega[index].sum(1)
    assert got.estimate == pytest.approx((omega * nll).sum() / omega.sum(), rel=1e-12)
    assert (got.low, got.high) == pytest.approx(_hand_quantiles(replicates), rel=1e-12)


def test_ignored_class_and_sample_weights_give_their_own_denominators():
    # rows labelled 2 count nowhere; a replicate drawing only those has no valid row, and
    # finish gives 0 for an empty mean (not a dropped replicate)
    rng = np.random.default_rng(4)
    n = 12
    labels = np.array([0, 1] + [2] * 10)
    probabilities = rng.dirichlet(np.ones(3), size=n)
    weights = rng.uniform(0.5, 2.0, size=n)
    class_weights = np.array([3.0, 1.0, 4.0])
    valid = labels != 2
    omega = np.where(valid, class_weights[labels], 0.0)
    terms_i = -omega * np.log(probabilities[np.arange(n), labels])  # ω_i · (−log p_i)
    denominator = weights * omega
    terms = loss_terms(
        "sparse_cce",
        labels,
        probabilities,
        sample_weight=weights,
        class_weights=tuple(class_weights),
        ignore_class=2,
    )
    index = np.random.default_rng(9).integers(0, n, size=(300, n))
    numerators = (weights * terms_i)[index].sum(1)
    denominators = denominator[index].sum(1)
    empty = valid[index].sum(1) == 0
    assert empty.any()
    expected = np.where(empty, 0.0, numerators / np.where(empty, 1.0, denominators))
    estimate = (weights * terms_i).sum() / denominator.sum()
    assert terms.estimate == pytest.approx(estimate, rel=1e-12)
    np.testing.assert_allclose(terms.replicates(300, 9), expected, rtol=1e-12)


def test_sequence_ce_resamples_sequences_and_pools_tokens():
    rng = np.random.default_rng(8)
    groups = np.repeat(np.arange(25), 12)
    tokens = rng.integers(0, 4, size=300)
    probabilities = rng.dirichlet(np.ones(4), size=300)
    mask = (rng.random(300) < 0.75).astype(float)
    nll = -np.log(probabilities[np.arange(300), tokens])
    sums = np.bincount(groups, weights=mask * nll)
    counts = np.bincount(groups, weights=mask)
    got = loss_interval(
        "sequence_ce",
        tokens,
        probabilities,
        sample_weight=mask,
        groups=groups,
        seed=5,
        n_resamples=300,
    )
    index = np.random.default_rng(5).integers(0, 25, size=(300, 25))
    assert got.estimate == pytest.approx(sums.sum() / counts.sum(), rel=1e-12)
    expected = _hand_quantiles(sums[index].sum(1) / counts[index].sum(1))
    assert (got.low, got.high) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize(
    ("name", "convention", "kwargs"),
    [
        ("mse", "keras", {"sample_weight": np.linspace(0.0, 2.0, 50)}),
        ("rmse", "losscli", {}),
        ("huber", "losscli", {"delta": 0.5}),
        ("mae", "sklearn", {"sample_weight": np.linspace(1.0, 3.0, 50)}),
    ],
)
def test_estimate_is_the_library_value(name, convention, kwargs):
    rng = np.random.default_rng(0)
    truth, pred = rng.normal(size=50), rng.normal(size=50)
    terms = loss_terms(name, truth, pred, convention=convention, **kwargs)
    expected = losscli.loss(name, truth, pred, convention=convention, **kwargs)
    assert terms.estimate == pytest.approx(expected, rel=1e-12)
    interval = interval_of(terms, seed=0, n_resamples=200)
    assert interval.low < expected < interval.high


def test_a_grouped_loss_on_one_group_is_a_user_error():
    truth, pred, _ = _segmentation()
    with pytest.raises(ShapeError, match="--group"):
        loss_terms("dice", truth, pred)
