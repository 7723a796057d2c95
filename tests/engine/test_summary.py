"""Mergeable column summaries: exact moments, and a seeded sample independent of chunking."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from losscli.engine.summary import (
    ColumnSummary,
    Moments,
    row_keys,
    summarise_chunk,
    summarise_files,
)

stats = pytest.importorskip("scipy.stats")


def _chunks(values: np.ndarray, cuts: list[int], file_index: int = 0):
    bounds = [0, *cuts, len(values)]
    return [(file_index, a, values[a:b]) for a, b in itertools.pairwise(bounds)]


@pytest.mark.parametrize("cuts", [[], [1], [10, 11, 500], list(range(7, 1000, 93))])
def test_merged_moments_equal_scipy_on_all_rows(cuts):
    rng = np.random.default_rng(0)
    values = rng.lognormal(size=1000)  # skewed and heavy-tailed
    summary = summarise_files(_chunks(values, cuts))
    m = summary.moments
    assert m.n == 1000
    assert m.mean == pytest.approx(values.mean(), rel=1e-12)
    assert m.std == pytest.approx(values.std(ddof=1), rel=1e-12)
    assert m.skewness == pytest.approx(stats.skew(values), rel=1e-12)
    assert m.excess_kurtosis == pytest.approx(stats.kurtosis(values), rel=1e-12)
    assert (m.minimum, m.maximum) == (values.min(), values.max())


def test_moments_merge_is_stable_far_from_zero():
    rng = np.random.default_rng(1)
    values = 1e9 + rng.normal(size=10_000)  # raw power sums would lose every digit here
    merged = Moments()
    for part in np.array_split(values, 37):
        merged = merged.merge(Moments.of(part))
    assert merged.std == pytest.approx(values.std(ddof=1), rel=1e-9)
    assert merged.skewness == pytest.approx(stats.skew(values), abs=1e-6)


def test_the_sample_does_not_depend_on_chunking_or_order():
    values = np.arange(50_000, dtype=float)
    a = summarise_files(_chunks(values, [100, 20_000]), capacity=1000)
    parts = _chunks(values, list(range(333, 50_000, 333)))
    b = summarise_files(reversed(parts), capacity=1000)
    assert not a.exact_quantiles
    assert np.array_equal(a.sample, b.sample)
    assert len(a.sample) == 1000
    assert len(np.unique(a.sample)) == 1000  # without replacement


def test_the_sample_is_seeded_and_uniform():
    values = np.arange(1_000_000, dtype=float)
    one = summarise_files(_chunks(values, [400_000]), capacity=20_000, seed=1)
    again = summarise_files(_chunks(values, [123]), capacity=20_000, seed=1)
    other = summarise_files(_chunks(values, [400_000]), capacity=20_000, seed=2)
    assert np.array_equal(one.sample, again.sample)
    assert not np.array_equal(one.sample, other.sample)
    # Uniform over 0..999999: mean 499999.5, sd of the sample mean ~ 288675 / sqrt(20000)
    # = 2041 (finite-population correction aside); 5 sd is a deterministic bound here.
    assert abs(one.sample.mean() - 499_999.5) < 5 * 2041
    # and the median of the sample estimates the median within a few thousand ranks
    assert abs(np.median(one.sample) - 500_000) < 15_000


def test_small_columns_keep_every_row_and_say_statistics_are_exact():
    values = np.array([3.0, 1.0, 2.0])
    summary = summarise_files([(0, 0, values)])
    assert summary.exact_quantiles
    assert sorted(summary.sample) == [1.0, 2.0, 3.0]
    assert "every statistic is exact" in summary.note()


def test_the_note_names_the_sample_when_sampled():
    summary = summarise_files([(0, 0, np.arange(10.0))], capacity=4)
    assert "seeded random sample of 4 rows" in summary.note()
    assert "exact over 10 rows" in summary.note()


def test_class_counts_merge_exactly():
    a = summarise_chunk(np.array([0, 1, 1, 2]), count_values=True)
    b = summarise_chunk(np.array([2, 2, 5]), file_index=1, count_values=True)
    assert a.merge(b).counts == {0: 1, 1: 2, 2: 3, 5: 1}


def test_sample_rows_can_be_pairs():
    y = np.arange(10.0)
    pairs = np.column_stack([y, y + 1])
    summary = summarise_chunk(y, sample_rows=pairs, capacity=3)
    assert summary.sample.shape == (3, 2)
    assert np.all(summary.sample[:, 1] - summary.sample[:, 0] == 1)


def test_row_keys_are_a_function_of_position_only():
    whole = row_keys(7, 2, 0, 100)
    assert np.array_equal(whole[40:], row_keys(7, 2, 40, 60))
    assert not np.array_equal(whole, row_keys(7, 3, 0, 100))
    assert len(np.unique(whole)) == 100


def test_empty_summaries_merge_to_the_other():
    filled = summarise_chunk(np.array([1.0, 2.0]))
    assert ColumnSummary().merge(filled) is filled
    assert filled.merge(ColumnSummary()) is filled


def test_regression_files_summarised_like_recommend_on_the_concatenation(tmp_path):
    import dataclasses

    from losscli.engine.summary import summarise_regression_files, with_exact_moments
    from losscli.io import concat_tables, expand_paths, read_header, read_table
    from losscli.layout import LayoutOptions, plan_layout, resolve_roles
    from losscli.recommend.statistics import distribution

    rng = np.random.default_rng(3)
    for i in range(3):
        y = rng.lognormal(size=400 + i)
        p = y + rng.standard_t(3, size=y.size)
        lines = "".join(f"{a!r},{b!r}\n" for a, b in zip(y.tolist(), p.tolist(), strict=True))
        (tmp_path / f"part-{i}.csv").write_text("y_true,y_pred\n" + lines)
    paths = expand_paths(str(tmp_path / "part-*.csv"))
    whole = concat_tables([read_table(path) for path in paths])
    plan = plan_layout(resolve_roles([read_header(paths[0])], [paths[0]]), [whole], LayoutOptions())
    residuals = whole.numeric("y_true") - whole.numeric("y_pred")

    # capacity above the row count: the sample is every row, so everything is exact
    full = summarise_regression_files(paths, plan, chunk_rows=50)
    assert full.residuals.exact_quantiles
    got = with_exact_moments(distribution(full.residual_sample, "residuals"), full.residuals)
    want = distribution(residuals, "residuals")
    for name, value in dataclasses.asdict(want).items():
        if isinstance(value, float):
            assert getattr(got, name) == pytest.approx(value, rel=1e-12, abs=1e-12), name

    # a small sample: moments stay exact, quantiles come from 300 of 1203 rows
    small = summarise_regression_files(paths, plan, chunk_rows=50, capacity=300, seed=5)
    assert not small.residuals.exact_quantiles
    assert len(small.residuals.sample) == 300
    sampled = with_exact_moments(distribution(small.residuals.sample, "residuals"), small.residuals)
    assert sampled.n == 1203
    assert sampled.std == pytest.approx(residuals.std(ddof=1), rel=1e-12)
    assert sampled.skewness == pytest.approx(stats.skew(residuals), rel=1e-10)
    assert sampled.maximum == residuals.max()
    # the sampled residuals, targets and predictions are the same rows
    pairs = small.pair_sample
    assert np.array_equal(pairs[:, 0] - pairs[:, 1], small.residual_sample)
    assert np.array_equal(np.sort(pairs[:, 0]), np.sort(small.targets.sample))
