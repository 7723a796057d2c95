"""``recommend`` over many files (a glob) or a stream: exact where statistics merge, sampled
where they do not (SPEC §7, issue 7).

One pass over the chunks keeps, with :mod:`losscli.engine.summary`:

- exact: the row count, the rows left out (NaN/inf), the moments of every target column
  and of every residual column (count, mean, std, skewness, excess kurtosis, min, max;
  Pébay's pairwise merge), and the count of every class of every target column (while a
  column has at most :data:`MAX_COUNTED_VALUES` distinct values: a regression target's
  values are not counted);
- sampled: a seeded bottom-k sample of whole rows (:class:`~losscli.engine.summary.RowSample`,
  ``SAMPLE_SIZE`` rows, seed ``SAMPLE_SEED``), on which the task is inferred and the
  quantile statistics (median, MAD, quartiles, Tukey fences, modified z and the shares built
  on them, the worst-1 % MSE share) and the losses on the predictions are computed.

:func:`losscli.recommend.recommend` takes the summary (``summary=``), replaces the sampled
evidence by the exact figures where they exist, and reports which are which under
``evidence.sample``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np

from losscli.engine.summary import SAMPLE_SEED, SAMPLE_SIZE, Moments, RowSample

#: A target column with more distinct values than this stops being counted (it is a
#: regression target, or labels too many to be classes: SPEC §5 allows at most 1000).
MAX_COUNTED_VALUES = 10_000

#: Statistics that are exact over every row, and those computed on the sample.
EXACT_STATISTICS = (
    "n",
    "mean",
    "std",
    "skewness",
    "excess_kurtosis",
    "minimum",
    "maximum",
    "class counts",
    "shares",
    "imbalance_ratio",
    "minority_share",
    "normalized_entropy",
    "positive rates",
    "label_cardinality",
)
SAMPLED_STATISTICS = (
    "task inference",
    "median",
    "mad",
    "q1",
    "q3",
    "iqr",
    "fences",
    "share_outside_inner",
    "share_outside_outer",
    "share_modified_z",
    "bulk moments",
    "robust_scale (Huber delta)",
    "mse_share_worst_1pct",
    "prediction shape",
    "losses",
)


@dataclass
class StreamSummary:
    """What one pass over many chunks keeps (see the module docstring)."""

    sample: RowSample
    target_columns: tuple[str, ...] = ()
    prediction_columns: tuple[str, ...] = ()
    rows: int = 0
    dropped: int = 0
    files: int = 1
    target_moments: dict[str, Moments] = field(default_factory=dict)
    residual_moments: dict[str, Moments] = field(default_factory=dict)
    counts: dict[str, dict[object, int] | None] = field(default_factory=dict)

    def describe(self) -> dict:
        """``evidence.sample`` of the JSON report."""
        return {
            "size": self.sample.size,
            "rows": self.rows,
            "files": self.files,
            "seed": self.sample.seed,
            "method": "bottom-k (SplitMix64 keys of file and row), losscli.engine.summary",
            "all_rows": self.sample.exact,
            "exact": list(EXACT_STATISTICS),
            "sampled": [] if self.sample.exact else list(SAMPLED_STATISTICS),
        }

    def note(self) -> str:
        if self.sample.exact:
            return f"all {self.rows:,} rows of {self.files} files used: every statistic is exact"
        return (
            f"{self.rows:,} rows in {self.files} files: counts, class counts and moments (mean, "
            "std, skewness, kurtosis, min, max) are exact; the task, medians, MAD, quartiles, "
            "fences, outlier shares, the Huber delta and the losses come from a seeded random "
            f"sample of {self.sample.size:,} rows (seed {self.sample.seed})"
        )

    def pooled_targets(self) -> Moments:
        return _pool(self.target_moments[name] for name in self.target_columns)

    def pooled_residuals(self) -> Moments:
        return _pool(self.residual_moments.values())


def _pool(moments: Iterable[Moments]) -> Moments:
    total = Moments()
    for m in moments:
        total = total.merge(m)
    return total


def summarise_stream(
    chunks: Iterable[
        tuple[
            int, int, Mapping[str, np.ndarray], Mapping[str, np.ndarray], Mapping[str, np.ndarray]
        ]
    ],
    *,
    capacity: int = SAMPLE_SIZE,
    seed: int = SAMPLE_SEED,
    files: int = 1,
) -> StreamSummary:
    """One pass over ``(file_index, first_row, targets, predictions, extra)`` chunks.

    ``targets``/``predictions`` map column names to arrays (predictions may be empty);
    residuals y − ŷ are summarised when there are as many prediction as target columns
    (regression pairs them one to one). ``extra`` columns (a weight) ride in the sample only.
    """
    summary = StreamSummary(RowSample(capacity=capacity, seed=seed), files=files)
    for file_index, first_row, targets, predictions, extra in chunks:
        if not summary.target_columns:
            summary.target_columns = tuple(targets)
            summary.prediction_columns = tuple(predictions)
            summary.counts = {name: {} for name in targets}
        summary.sample.add(file_index, first_row, {**targets, **predictions, **extra})
        n = len(next(iter(targets.values())))
        summary.rows += n
        numeric = {k: v for k, v in targets.items() if np.asarray(v).dtype.kind in "fiub"}
        finite = np.ones(n, dtype=bool)
        for values in (*numeric.values(), *predictions.values()):
            finite &= np.isfinite(np.asarray(values, dtype=np.float64))
        for name, values in targets.items():
            _count(summary, name, np.asarray(values), finite)
        summary.dropped += int(n - finite.sum())
        for name, values in numeric.items():
            chunk = Moments.of(np.asarray(values, dtype=np.float64)[finite])
            summary.target_moments[name] = summary.target_moments.get(name, Moments()).merge(chunk)
        if predictions and len(predictions) == len(numeric) == len(targets):
            for (name, y), p in zip(numeric.items(), predictions.values(), strict=True):
                r = np.asarray(y, np.float64)[finite] - np.asarray(p, np.float64)[finite]
                merged = summary.residual_moments.get(name, Moments()).merge(Moments.of(r))
                summary.residual_moments[name] = merged
    return summary


def _count(summary: StreamSummary, name: str, values: np.ndarray, finite: np.ndarray) -> None:
    counts = summary.counts.get(name)
    if counts is None:
        return
    if values.dtype.kind in "fiub":
        keys, numbers = np.unique(values.astype(np.float64)[finite], return_counts=True)
        labels = keys.tolist()
    else:
        text = values.astype(str)
        keys, numbers = np.unique(text[text != ""], return_counts=True)
        labels = keys.tolist()
    if len(labels) > MAX_COUNTED_VALUES:
        summary.counts[name] = None
        return
    for label, number in zip(labels, numbers.tolist(), strict=True):
        counts[label] = counts.get(label, 0) + number
    if len(counts) > MAX_COUNTED_VALUES:
        summary.counts[name] = None
