"""Mergeable summaries of a column over many chunks or files, for ``recommend``.

``recommend`` reads its evidence from statistics of the targets or residuals
(:mod:`losscli.recommend.statistics`). Over many files (or a stream) they split in two:

- **Exact**: the count, mean, standard deviation, skewness, excess kurtosis, minimum
  and maximum merge exactly: each chunk's central moments are combined with the
  pairwise update of Chan, Golub & LeVeque (1979) extended to the third and fourth
  moments by Pébay (2008), which is numerically stable (no raw power sums). Class
  counts add.
- **From a sample**: medians, quartiles, MAD, Tukey fences, modified z-scores and the
  shares built on them need the whole column. They are computed on a uniform random
  sample without replacement of :data:`SAMPLE_SIZE` rows, chosen by *bottom-k
  sampling*: every row gets a pseudo-random key from a counter-based hash
  (SplitMix64) of ``(seed, file index, row index)``, and the sample is the rows with
  the k smallest keys. Samples merge by keeping the k smallest keys of the union, so
  the sample is the same whatever the chunk size, file order or engine (streaming or
  Dask), and the same seed gives the same sample. With at most k rows the "sample" is
  the whole column and the quantiles are exact.

References:
    Chan, Golub & LeVeque, "Updating formulae and a pairwise algorithm for computing
    sample variances", Stanford CS tech. report STAN-CS-79-773 (1979).
    Pébay, "Formulas for robust, one-pass parallel computation of covariances and
    arbitrary-order statistical moments", Sandia report SAND2008-6212 (2008).
    Steele, Lea & Flood, "Fast splittable pseudorandom number generators" (SplitMix64),
    OOPSLA 2014. Cohen & Kaplan, "Summarizing data using bottom-k sketches", PODC 2007.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

#: Rows kept for the quantile-based statistics. 100 k rows: a quartile's standard error
#: is then about 0.004 standard deviations for normal data (sqrt(p(1-p)/n)/φ(z_p)),
#: well below the decision thresholds of recommend, and sorting it takes ~10 ms.
SAMPLE_SIZE = 100_000
#: The default seed of the sample (any fixed number: it makes runs reproducible).
SAMPLE_SEED = 20_240_601

_MASK = np.uint64(0xFFFFFFFFFFFFFFFF)


def _splitmix64(x: np.ndarray) -> np.ndarray:
    """SplitMix64's finaliser applied elementwise (uint64 arithmetic wraps modulo 2**64)."""
    with np.errstate(over="ignore"):
        z = x + np.uint64(0x9E3779B97F4A7C15)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return (z ^ (z >> np.uint64(31))) & _MASK


def row_keys(seed: int, file_index: int, first_row: int, n: int) -> np.ndarray:
    """The sampling keys of rows ``first_row .. first_row + n - 1`` of file ``file_index``.

    A pure function of its arguments (no generator state), so any chunking of the rows
    gives every row the same key.
    """
    rows = np.arange(first_row, first_row + n, dtype=np.uint64)
    stream = _splitmix64(np.array([seed, file_index], dtype=np.uint64)).sum(dtype=np.uint64)
    with np.errstate(over="ignore"):
        return _splitmix64(rows ^ stream)


@dataclass
class Moments:
    """Count, mean, sums of 2nd-4th powers of deviations from the mean, min and max."""

    n: int = 0
    mean: float = 0.0
    m2: float = 0.0
    m3: float = 0.0
    m4: float = 0.0
    minimum: float = float("inf")
    maximum: float = float("-inf")

    @classmethod
    def of(cls, values: np.ndarray) -> Moments:
        """The moments of one chunk of values (1-D float64)."""
        values = np.asarray(values, dtype=np.float64).reshape(-1)
        n = values.shape[0]
        if n == 0:
            return cls()
        mean = float(values.mean())
        d = values - mean
        d2 = d * d
        return cls(
            n=n,
            mean=mean,
            m2=float(d2.sum()),
            m3=float((d2 * d).sum()),
            m4=float((d2 * d2).sum()),
            minimum=float(values.min()),
            maximum=float(values.max()),
        )

    def merge(self, other: Moments) -> Moments:
        """The moments of both chunks together (Pébay 2008, eqs. 3.1 and 2.1 for p = 2..4)."""
        if other.n == 0:
            return self
        if self.n == 0:
            return other
        na, nb = self.n, other.n
        n = na + nb
        delta = other.mean - self.mean
        d_n = delta / n
        mean = self.mean + nb * d_n
        m2 = self.m2 + other.m2 + delta * d_n * na * nb
        m3 = (
            self.m3
            + other.m3
            + delta * d_n * d_n * na * nb * (na - nb)
            + 3.0 * d_n * (na * other.m2 - nb * self.m2)
        )
        m4 = (
            self.m4
            + other.m4
            + delta * d_n**3 * na * nb * (na * na - na * nb + nb * nb)
            + 6.0 * d_n * d_n * (na * na * other.m2 + nb * nb * self.m2)
            + 4.0 * d_n * (na * other.m3 - nb * self.m3)
        )
        return Moments(
            n=n,
            mean=mean,
            m2=m2,
            m3=m3,
            m4=m4,
            minimum=min(self.minimum, other.minimum),
            maximum=max(self.maximum, other.maximum),
        )

    @property
    def std(self) -> float:
        """Sample standard deviation (ddof = 1), as ``statistics.DistributionEvidence``."""
        return float(np.sqrt(self.m2 / (self.n - 1))) if self.n > 1 else 0.0

    @property
    def skewness(self) -> float:
        """Fisher-Pearson g1 = m3 / m2^(3/2) with population moments (scipy's default)."""
        if self.n == 0 or self.m2 == 0:
            return 0.0
        return float((self.m3 / self.n) / (self.m2 / self.n) ** 1.5)

    @property
    def excess_kurtosis(self) -> float:
        """g2 = m4 / m2² − 3 with population moments (scipy's Fisher, ``bias=True``)."""
        if self.n == 0 or self.m2 == 0:
            return 0.0
        return float((self.m4 / self.n) / (self.m2 / self.n) ** 2 - 3.0)


@dataclass
class ColumnSummary:
    """Exact moments of a column plus a seeded bottom-k sample of its rows.

    Attributes:
        moments: exact over every row.
        sample: the sampled rows' values (1-D, or 2-D rows such as (target, prediction)
            pairs), in key order.
        keys: their sampling keys (uint64).
        capacity: the sample size k.
        counts: exact counts of each distinct value, when requested (class labels).
    """

    moments: Moments = field(default_factory=Moments)
    sample: np.ndarray | None = None
    keys: np.ndarray | None = None
    capacity: int = SAMPLE_SIZE
    counts: dict[object, int] | None = None

    @property
    def n(self) -> int:
        return self.moments.n

    @property
    def exact_quantiles(self) -> bool:
        """True when the sample holds every row (then sample statistics are exact)."""
        return self.n <= self.capacity

    def note(self, seed: int = SAMPLE_SEED) -> str:
        """What the output should say about where the quantiles come from."""
        if self.exact_quantiles:
            return f"all {self.n:,} rows used; every statistic is exact"
        return (
            f"count, mean, std, skewness, kurtosis, min and max are exact over {self.n:,} "
            f"rows; medians, quartiles, MAD and outlier shares come from a seeded random "
            f"sample of {self.capacity:,} rows (bottom-k, seed {seed})"
        )

    def merge(self, other: ColumnSummary) -> ColumnSummary:
        """Both summaries as one: moments merge, the k smallest keys of both samples stay."""
        if other.sample is None:
            return self
        if self.sample is None:
            return other
        keys = np.concatenate([self.keys, other.keys])
        values = np.concatenate([self.sample, other.sample])
        keep = _smallest(keys, self.capacity)
        counts = None
        if self.counts is not None or other.counts is not None:
            counts = dict(self.counts or {})
            for label, count in (other.counts or {}).items():
                counts[label] = counts.get(label, 0) + count
        return ColumnSummary(
            moments=self.moments.merge(other.moments),
            sample=values[keep],
            keys=keys[keep],
            capacity=self.capacity,
            counts=counts,
        )


def _smallest(keys: np.ndarray, k: int) -> np.ndarray:
    """Indices of the k smallest keys, in key order."""
    if keys.shape[0] <= k:
        return np.argsort(keys, kind="stable")
    part = np.argpartition(keys, k - 1)[:k]
    return part[np.argsort(keys[part], kind="stable")]


def summarise_chunk(
    values: np.ndarray,
    *,
    file_index: int = 0,
    first_row: int = 0,
    seed: int = SAMPLE_SEED,
    capacity: int = SAMPLE_SIZE,
    sample_rows: np.ndarray | None = None,
    count_values: bool = False,
) -> ColumnSummary:
    """The summary of one chunk.

    Args:
        values: the chunk's column (1-D); its moments are computed.
        file_index, first_row: where the chunk's rows are (for their sampling keys).
        seed: the sample's seed.
        capacity: the sample size k.
        sample_rows: what to keep for the sampled rows when it is not ``values`` itself,
            e.g. an (n, 2) array of targets and predictions, so that residual quantiles
            and per-sample losses can be computed on the sample.
        count_values: also count each distinct value exactly (class labels).
    """
    values = np.asarray(values)
    rows = values if sample_rows is None else np.asarray(sample_rows)
    keys = row_keys(seed, file_index, first_row, values.shape[0])
    keep = _smallest(keys, capacity)
    counts = None
    if count_values:
        labels, numbers = np.unique(values, return_counts=True)
        counts = {
            label.item() if hasattr(label, "item") else label: int(c)
            for label, c in zip(labels, numbers, strict=True)
        }
    moments = Moments.of(values) if values.dtype.kind in "fiub" else Moments(n=values.shape[0])
    return ColumnSummary(
        moments=moments, sample=rows[keep], keys=keys[keep], capacity=capacity, counts=counts
    )


def summarise_files(
    chunks: Iterable[tuple[int, int, np.ndarray]],
    *,
    seed: int = SAMPLE_SEED,
    capacity: int = SAMPLE_SIZE,
    count_values: bool = False,
) -> ColumnSummary:
    """The merged summary of ``(file_index, first_row, values)`` chunks, in any order.

    >>> import numpy as np
    >>> s = summarise_files([(0, 0, np.array([1.0, 2.0])), (0, 2, np.array([3.0, 4.0]))])
    >>> s.n, s.moments.mean, sorted(s.sample.tolist()), s.exact_quantiles
    (4, 2.5, [1.0, 2.0, 3.0, 4.0], True)
    """
    total = ColumnSummary(capacity=capacity)
    for file_index, first_row, values in chunks:
        total = total.merge(
            summarise_chunk(
                values,
                file_index=file_index,
                first_row=first_row,
                seed=seed,
                capacity=capacity,
                count_values=count_values,
            )
        )
    return total


# --------------------------------------------------------------------------- over files


@dataclass
class RegressionSummary:
    """Targets and residuals (y − ŷ) of every row of many files, summarised.

    ``targets.sample`` holds sampled target values; ``residuals.sample`` holds, for the
    same sampled rows, ``(residual, target, prediction)`` triples, so that any
    per-sample statistic (e.g. the worst 1 % share of the squared error) can be computed
    on them. Multi-output targets are pooled (n·k values), as ``regression_evidence`` does.
    """

    targets: ColumnSummary
    residuals: ColumnSummary

    @property
    def residual_sample(self) -> np.ndarray:
        """The sampled residuals y − ŷ (1-D)."""
        return self.residuals.sample[:, 0]

    @property
    def pair_sample(self) -> np.ndarray:
        """The sampled (target, prediction) pairs, (k, 2)."""
        return self.residuals.sample[:, 1:]


def summarise_regression_files(
    paths: Sequence[str],
    plan: Any,
    *,
    chunk_rows: int | None = None,
    read_options: dict[str, Any] | None = None,
    seed: int = SAMPLE_SEED,
    capacity: int = SAMPLE_SIZE,
) -> RegressionSummary:
    """Stream ``paths`` through ``plan`` (a regression ``LayoutPlan``) into summaries.

    The exact moments cover every row; the quantile statistics are to be computed on the
    sample (see the module docstring and :meth:`ColumnSummary.note`).
    """
    from losscli.engine.streaming import default_chunk_rows
    from losscli.io import iter_tables

    columns = getattr(plan, "columns", None)
    chunk_rows = chunk_rows or default_chunk_rows(len(columns) if columns else 2)
    targets = ColumnSummary(capacity=capacity)
    residuals = ColumnSummary(capacity=capacity)
    for file_index, path in enumerate(paths):
        first_row = 0
        for table in iter_tables(
            path, columns=columns, chunk_rows=chunk_rows, **(read_options or {})
        ):
            if not table.n_rows:
                continue
            layout = plan.arrays(table)
            y = np.asarray(layout.y_true, dtype=np.float64).reshape(-1)
            p = np.asarray(layout.y_pred, dtype=np.float64).reshape(-1)
            common = {
                "file_index": file_index,
                "first_row": first_row,
                "seed": seed,
                "capacity": capacity,
            }
            targets = targets.merge(summarise_chunk(y, **common))
            r = y - p
            residuals = residuals.merge(
                summarise_chunk(r, sample_rows=np.column_stack([r, y, p]), **common)
            )
            first_row += y.shape[0]
    return RegressionSummary(targets=targets, residuals=residuals)


#: The fields of ``losscli.recommend.statistics.DistributionEvidence`` that
#: :func:`with_exact_moments` replaces by their exact values.
EXACT_FIELDS = ("n", "mean", "std", "skewness", "excess_kurtosis", "minimum", "maximum")


def with_exact_moments(evidence: Any, summary: ColumnSummary) -> Any:
    """``evidence`` (computed on the sample) with its exact fields from ``summary``.

    Works on any dataclass with the :data:`EXACT_FIELDS` (recommend's
    ``DistributionEvidence``): the moments and extremes are the whole data's, the
    quantile-based fields stay the sample's.
    """
    import dataclasses

    m = summary.moments
    return dataclasses.replace(
        evidence,
        n=m.n,
        mean=m.mean,
        std=m.std,
        skewness=m.skewness,
        excess_kurtosis=m.excess_kurtosis,
        minimum=m.minimum,
        maximum=m.maximum,
    )


@dataclass
class RowSample:
    """A seeded bottom-k sample of whole rows (several named columns) over many chunks.

    The same keys as :func:`row_keys` (so the same rows as :func:`summarise_chunk` would
    keep), but the rows are kept as a dict of columns, which may hold text (class labels).

    >>> import numpy as np
    >>> s = RowSample(capacity=3)
    >>> s.add(0, 0, {"y": np.arange(5.0)})
    >>> s.add(0, 5, {"y": np.arange(5.0, 10.0)})
    >>> s.rows, s.size, sorted(s.columns["y"].tolist()) == sorted(s.columns["y"].tolist())
    (10, 3, True)
    """

    capacity: int = SAMPLE_SIZE
    seed: int = SAMPLE_SEED
    rows: int = 0
    keys: np.ndarray | None = None
    columns: dict[str, np.ndarray] = field(default_factory=dict)

    @property
    def size(self) -> int:
        return 0 if self.keys is None else int(self.keys.shape[0])

    @property
    def exact(self) -> bool:
        """True when every row is in the sample."""
        return self.rows <= self.capacity

    def add(self, file_index: int, first_row: int, columns: dict[str, np.ndarray]) -> None:
        """Add a chunk's rows (every column the same length) starting at ``first_row``."""
        n = len(next(iter(columns.values())))
        self.rows += n
        keys = row_keys(self.seed, file_index, first_row, n)
        keep = _smallest(keys, self.capacity)
        keys = keys[keep]
        chunk = {name: np.asarray(values)[keep] for name, values in columns.items()}
        if self.keys is not None:
            keys = np.concatenate([self.keys, keys])
            chunk = {name: _concat(self.columns[name], values) for name, values in chunk.items()}
            keep = _smallest(keys, self.capacity)
            keys = keys[keep]
            chunk = {name: values[keep] for name, values in chunk.items()}
        self.keys = keys
        self.columns = chunk


def _concat(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Concatenate two chunks of a column; float and text chunks become one object column."""
    if a.dtype != b.dtype and (a.dtype == object or b.dtype == object):
        return np.concatenate([a.astype(object), b.astype(object)])
    return np.concatenate([a, b])
