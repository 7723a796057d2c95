"""The evidence ``recommend`` decides from (SPEC §5): distribution statistics, class balance.

Pure NumPy (SciPy is only a test dependency); every statistic is vectorised.

Definitions (checked against ``scipy.stats`` in the tests):

- ``std``: sample standard deviation (ddof = 1).
- ``skewness``: the Fisher-Pearson coefficient g1 = m3 / m2^(3/2) (``scipy.stats.skew``
  with its default ``bias=True``).
- ``excess_kurtosis``: g2 = m4 / m2² − 3 (``scipy.stats.kurtosis``, Fisher, ``bias=True``);
  0 for a normal distribution.
- ``mad``: the raw median absolute deviation, median(|x − median(x)|), unscaled;
  1.4826 × MAD estimates σ under normality.
- Tukey fences: Q1 − c·IQR and Q3 + c·IQR for c = 1.5 (inner) and 3 (outer) (Tukey 1977),
  with quartiles by linear interpolation (``numpy.percentile``'s default, Hyndman & Fan
  type 7).
- modified z: M = 0.6745 (x − median) / MAD, an outlier when |M| > 3.5 (Iglewicz &
  Hoaglin 1993). When MAD = 0 (more than half the values equal) the scale falls back to
  1.253314 × mean absolute deviation from the median (the same convention IBM SPSS uses).
- ``bulk_skewness``/``bulk_excess_kurtosis``: the same moments over the values with
  |modified z| <= 3.5 only (the bulk without its flagged outliers).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field

import numpy as np

# Tukey (1977), Exploratory Data Analysis: "inner" and "outer" fences at 1.5 and 3 IQR.
TUKEY_INNER = 1.5
TUKEY_OUTER = 3.0
# Iglewicz & Hoaglin (1993), How to Detect and Handle Outliers: M = 0.6745 (x − x̃) / MAD,
# and |M| > 3.5 flags a potential outlier. 0.6745 ≈ Φ⁻¹(0.75).
MODIFIED_Z_FACTOR = 0.6745
MODIFIED_Z_THRESHOLD = 3.5
# 1 / Φ⁻¹(0.75): MAD × this estimates σ under normality (Rousseeuw & Croux 1993; SPEC §5).
MAD_TO_SIGMA = 1.4826
# sqrt(pi/2): mean absolute deviation × this estimates σ under normality; the fallback
# scale of the modified z when MAD is 0.
MEAN_ABSOLUTE_DEVIATION_TO_SIGMA = 1.253314
# The share of the MSE that the worst 1 % of samples contribute (SPEC §5).
WORST_SHARE = 0.01
# Classes with fewer samples than this are warned about (SPEC §5): too few to learn from
# or to estimate a per-class loss.
SMALL_CLASS_SAMPLES = 10


@dataclass(frozen=True)
class DistributionEvidence:
    """Summary statistics of targets or residuals (regression)."""

    on: str  # "targets" or "residuals"
    n: int
    mean: float
    std: float
    median: float
    mad: float
    skewness: float
    excess_kurtosis: float
    minimum: float
    maximum: float
    q1: float
    q3: float
    iqr: float
    inner_fences: tuple[float, float]
    outer_fences: tuple[float, float]
    share_outside_inner: float
    share_outside_outer: float
    share_modified_z: float
    # Skewness and excess kurtosis of the bulk: the values with |modified z| <= 3.5. The
    # decision reads these (docs/recommend.md): whole-sample moments are dominated by the
    # very outliers the modified-z share already counts.
    bulk_skewness: float = 0.0
    bulk_excess_kurtosis: float = 0.0
    robust_scale: float = 0.0  # 1.4826 × MAD, or 1.253314 × mean absolute deviation if MAD = 0
    mse_share_worst_1pct: float | None = None  # residuals only
    integer_valued: bool = False
    nonnegative: bool = False

    def to_dict(self) -> dict:
        data = asdict(self)
        data["inner_fences"] = list(self.inner_fences)
        data["outer_fences"] = list(self.outer_fences)
        return data


@dataclass(frozen=True)
class RegressionEvidence:
    """Evidence for regression: on the residuals when predictions are given, else the targets."""

    decide_on: DistributionEvidence
    targets: DistributionEvidence
    outputs: int = 1
    values: np.ndarray = field(default=None, compare=False, repr=False)  # type: ignore[assignment]
    #: several outputs: each output's own evidence (residuals or targets), by column name;
    #: ``decide_on`` is then the pool of the outputs each divided by its robust scale.
    per_output: tuple[tuple[str, DistributionEvidence], ...] = ()

    @property
    def standardised(self) -> bool:
        return bool(self.per_output)

    def to_dict(self) -> dict:
        data = {"kind": "regression", "on": self.decide_on.on, "outputs": self.outputs}
        if self.per_output:
            data["standardised"] = "each output divided by its robust scale, then pooled"
        data.update(self.decide_on.to_dict())
        if self.decide_on.on == "residuals":
            data["targets"] = self.targets.to_dict()
        if self.per_output:
            data["per_output"] = {name: d.to_dict() for name, d in self.per_output}
        return data


@dataclass(frozen=True)
class ClassEvidence:
    """Class balance of one label column (binary, multiclass) or one-hot columns."""

    n: int
    classes: tuple
    counts: tuple[int, ...]
    shares: tuple[float, ...]
    imbalance_ratio: float
    minority_class: object
    majority_class: object
    minority_share: float
    normalized_entropy: float
    small_classes: tuple = ()

    def to_dict(self) -> dict:
        return {
            "kind": "classes",
            "n": self.n,
            "classes": [_json_label(c) for c in self.classes],
            "counts": {_key(c): int(k) for c, k in zip(self.classes, self.counts, strict=True)},
            "shares": {_key(c): float(s) for c, s in zip(self.classes, self.shares, strict=True)},
            "imbalance_ratio": self.imbalance_ratio,
            "minority_class": _json_label(self.minority_class),
            "majority_class": _json_label(self.majority_class),
            "minority_share": self.minority_share,
            "normalized_entropy": self.normalized_entropy,
            "small_classes": [_json_label(c) for c in self.small_classes],
        }


@dataclass(frozen=True)
class MultilabelEvidence:
    """Label cardinality and per-label positive rates of K 0/1 columns."""

    n: int
    labels: tuple[str, ...]
    positives: tuple[int, ...]
    positive_rates: tuple[float, ...]
    label_cardinality: float  # mean number of positive labels per row
    label_density: float  # cardinality / K
    imbalance_ratios: tuple[float, ...]  # per label max(pos, neg) / min(pos, neg)
    imbalance_ratio: float  # the largest of those
    rarest_label: str
    rarest_rate: float
    small_labels: tuple[str, ...] = ()

    def to_dict(self) -> dict:
        return {
            "kind": "labels",
            "n": self.n,
            "labels": list(self.labels),
            "label_cardinality": self.label_cardinality,
            "label_density": self.label_density,
            "positive_rate": dict(zip(self.labels, map(float, self.positive_rates), strict=True)),
            "positives": dict(zip(self.labels, map(int, self.positives), strict=True)),
            "imbalance_ratio": self.imbalance_ratio,
            "rarest_label": self.rarest_label,
            "rarest_rate": self.rarest_rate,
            "small_labels": list(self.small_labels),
        }


def _json_label(label: object) -> object:
    if isinstance(label, float) and label.is_integer():
        return int(label)
    return label


def _key(label: object) -> str:
    return str(_json_label(label))


# --------------------------------------------------------------------------- statistics


def skewness(values: np.ndarray) -> float:
    """Fisher-Pearson g1 = m3 / m2^1.5 (biased, as ``scipy.stats.skew``); 0 when m2 = 0."""
    centred = values - values.mean()
    m2 = float(np.mean(centred**2))
    if m2 == 0.0:
        return 0.0
    return float(np.mean(centred**3) / m2**1.5)


def excess_kurtosis(values: np.ndarray) -> float:
    """g2 = m4 / m2² − 3 (biased, as ``scipy.stats.kurtosis``); 0 when m2 = 0."""
    centred = values - values.mean()
    m2 = float(np.mean(centred**2))
    if m2 == 0.0:
        return 0.0
    return float(np.mean(centred**4) / m2**2 - 3.0)


def median_absolute_deviation(values: np.ndarray) -> float:
    """Raw MAD: median(|x − median(x)|), not scaled."""
    return float(np.median(np.abs(values - np.median(values))))


def robust_scale(values: np.ndarray) -> float:
    """σ estimated robustly: 1.4826 × MAD, or 1.253314 × mean|x − median| when MAD = 0."""
    mad = median_absolute_deviation(values)
    if mad > 0.0:
        return MAD_TO_SIGMA * mad
    return MEAN_ABSOLUTE_DEVIATION_TO_SIGMA * float(np.mean(np.abs(values - np.median(values))))


def modified_z(values: np.ndarray) -> np.ndarray:
    """Iglewicz & Hoaglin's modified z-scores, 0.6745 (x − median) / MAD.

    With MAD = 0 the scale is 1.253314 × mean|x − median| / 0.6745 ⁻¹ (i.e. the mean
    absolute deviation estimate of σ); with that 0 too, every score is 0.
    """
    median = np.median(values)
    deviation = values - median
    mad = float(np.median(np.abs(deviation)))
    if mad > 0.0:
        return MODIFIED_Z_FACTOR * deviation / mad
    mean_ad = float(np.mean(np.abs(deviation)))
    if mean_ad == 0.0:
        return np.zeros_like(values)
    return deviation / (MEAN_ABSOLUTE_DEVIATION_TO_SIGMA * mean_ad)


def worst_share(squared_errors: np.ndarray, share: float = WORST_SHARE) -> float:
    """The share of Σ squared error that the worst ``ceil(share·n)`` samples contribute."""
    total = float(squared_errors.sum())
    if total == 0.0:
        return 0.0
    count = max(1, math.ceil(share * squared_errors.shape[0]))
    worst = np.partition(squared_errors, squared_errors.shape[0] - count)[-count:]
    return float(worst.sum() / total)


def _moments(values: np.ndarray) -> tuple[float, float, float]:
    """(mean, skewness g1, excess kurtosis g2) in one pass over the centred values."""
    mean = float(values.mean())
    centred = values - mean
    squared = centred * centred
    m2 = float(squared.mean())
    if m2 == 0.0:
        return mean, 0.0, 0.0
    m3 = float(np.dot(squared, centred)) / values.shape[0]
    m4 = float(np.dot(squared, squared)) / values.shape[0]
    return mean, m3 / m2**1.5, m4 / m2**2 - 3.0


def distribution(
    values: np.ndarray, on: str, *, squared_errors: bool = False
) -> DistributionEvidence:
    """Every regression statistic of SPEC §5 for ``values`` (a 1-D float64 array).

    One partition for the quartiles, one for the MAD, one pass for the moments: the
    10-million-row case takes about a second (docs/recommend.md, "Scale").
    """
    values = np.asarray(values, dtype=np.float64).reshape(-1)
    n = int(values.shape[0])
    q1, median, q3 = (float(q) for q in np.percentile(values, [25.0, 50.0, 75.0]))
    iqr = q3 - q1
    inner = (q1 - TUKEY_INNER * iqr, q3 + TUKEY_INNER * iqr)
    outer = (q1 - TUKEY_OUTER * iqr, q3 + TUKEY_OUTER * iqr)
    deviation = np.abs(values - median)
    mad = float(np.median(deviation))
    if mad > 0.0:
        scale = mad / MODIFIED_Z_FACTOR
        sigma = MAD_TO_SIGMA * mad
    else:
        mean_ad = float(deviation.mean())
        scale = sigma = MEAN_ABSOLUTE_DEVIATION_TO_SIGMA * mean_ad
    flagged = deviation > MODIFIED_Z_THRESHOLD * scale if scale > 0.0 else np.zeros(n, bool)
    del deviation
    mean, skew, kurt = _moments(values)
    bulk = values[~flagged]
    _, bulk_skew, bulk_kurt = _moments(bulk) if bulk.size else (0.0, 0.0, 0.0)
    return DistributionEvidence(
        on=on,
        n=n,
        mean=mean,
        std=float(values.std(ddof=1)) if n > 1 else 0.0,
        median=median,
        mad=mad,
        skewness=skew,
        excess_kurtosis=kurt,
        minimum=float(values.min()),
        maximum=float(values.max()),
        q1=q1,
        q3=q3,
        iqr=iqr,
        inner_fences=inner,
        outer_fences=outer,
        share_outside_inner=float(np.count_nonzero((values < inner[0]) | (values > inner[1]))) / n,
        share_outside_outer=float(np.count_nonzero((values < outer[0]) | (values > outer[1]))) / n,
        share_modified_z=float(np.count_nonzero(flagged)) / n,
        bulk_skewness=bulk_skew,
        bulk_excess_kurtosis=bulk_kurt,
        robust_scale=sigma,
        mse_share_worst_1pct=worst_share(values**2) if squared_errors else None,
        integer_valued=bool(np.all(values == np.round(values))),
        nonnegative=bool(values.min() >= 0.0),
    )


def regression_evidence(
    targets: np.ndarray,
    predictions: np.ndarray | None = None,
    names: Sequence[str] | None = None,
) -> RegressionEvidence:
    """Statistics of the targets, and of the residuals y − ŷ when predictions are given.

    Multi-output targets ((n, k)) get each output's own evidence (``per_output``), and the
    pooled evidence the decision reads is on the outputs each divided by its robust scale
    (1.4826 × MAD): pooling raw residuals of outputs with different scales would flag the
    wider output's ordinary values as outliers of the narrower one (docs/recommend.md).
    """
    targets = np.asarray(targets, dtype=np.float64)
    outputs = 1 if targets.ndim == 1 else int(targets.shape[1])
    on = "targets" if predictions is None else "residuals"
    values = targets
    if predictions is not None:
        values = targets - np.asarray(predictions, dtype=np.float64).reshape(targets.shape)
    if outputs == 1:
        values = values.reshape(-1)
        of_targets = distribution(targets, "targets")
        of_values = (
            of_targets if predictions is None else distribution(values, on, squared_errors=True)
        )
        return RegressionEvidence(of_values, of_targets, 1, values)
    names = list(names) if names is not None else [str(j) for j in range(outputs)]
    per_output = tuple(
        (name, distribution(values[:, j], on, squared_errors=predictions is not None))
        for j, name in enumerate(names)
    )
    scales = np.array([d.robust_scale if d.robust_scale > 0 else 1.0 for _, d in per_output])
    standardised = (values / scales).reshape(-1)
    pooled = distribution(standardised, on, squared_errors=predictions is not None)
    return RegressionEvidence(
        pooled, distribution(targets, "targets"), outputs, standardised, per_output
    )


def class_evidence(labels: np.ndarray, classes: Sequence) -> ClassEvidence:
    """Counts, shares, imbalance ratio (majority/minority), minority share, normalised entropy.

    Args:
        labels: (n,) class labels (numbers or text), or (n, K) one-hot rows.
        classes: the K classes in order (the sorted labels, or the one-hot column names).
    """
    labels = np.asarray(labels)
    if labels.ndim == 2:
        counts = labels.astype(np.float64).sum(axis=0).astype(np.int64)
    else:
        numeric = labels.dtype.kind in "fiub"
        keys = labels.astype(np.float64) if numeric else labels.astype(str)
        found, found_counts = np.unique(keys, return_counts=True)
        by_label = dict(zip(found.tolist(), found_counts.tolist(), strict=True))
        counts = np.array(
            [by_label.get(float(c) if numeric else str(c), 0) for c in classes], dtype=np.int64
        )
    return class_evidence_of_counts(counts, classes)


def class_evidence_of_counts(counts: Sequence[int], classes: Sequence) -> ClassEvidence:
    """:func:`class_evidence` from the count of each class (exact counts merged over files)."""
    counts = np.asarray(counts, dtype=np.int64)
    n = int(counts.sum())
    shares = counts / n
    observed = counts[counts > 0]
    minority_index = int(np.argmin(np.where(counts > 0, counts, np.iinfo(np.int64).max)))
    majority_index = int(np.argmax(counts))
    k = len(observed)
    p = observed / n
    entropy = float(-(p * np.log(p)).sum() / math.log(k)) if k > 1 else 0.0
    return ClassEvidence(
        n=n,
        classes=tuple(classes),
        counts=tuple(int(c) for c in counts),
        shares=tuple(float(s) for s in shares),
        imbalance_ratio=float(counts[majority_index] / counts[minority_index]),
        minority_class=classes[minority_index],
        majority_class=classes[majority_index],
        minority_share=float(shares[minority_index]),
        normalized_entropy=entropy,
        small_classes=tuple(
            c for c, k in zip(classes, counts, strict=True) if k < SMALL_CLASS_SAMPLES
        ),
    )


def multilabel_evidence(indicators: np.ndarray, labels: Sequence[str]) -> MultilabelEvidence:
    """Label cardinality (mean positives a row) and per-label positive rates of (n, K) 0/1."""
    matrix = np.asarray(indicators, dtype=np.float64)
    return multilabel_evidence_of_counts(matrix.shape[0], matrix.sum(axis=0), labels)


def multilabel_evidence_of_counts(
    n: int, positives: Sequence[float], labels: Sequence[str]
) -> MultilabelEvidence:
    """:func:`multilabel_evidence` from the positives of each label among ``n`` rows
    (the cardinality, the mean number of positives a row, is Σ positives / n)."""
    positives = np.asarray(positives, dtype=np.float64)
    k = positives.shape[0]
    negatives = n - positives
    rates = positives / n
    smaller = np.minimum(positives, negatives)
    larger = np.maximum(positives, negatives)
    with np.errstate(divide="ignore"):
        ratios = np.where(smaller > 0, larger / np.where(smaller > 0, smaller, 1.0), np.inf)
    rarest = int(np.argmin(rates))
    cardinality = float(positives.sum() / n)
    return MultilabelEvidence(
        n=int(n),
        labels=tuple(labels),
        positives=tuple(int(p) for p in positives),
        positive_rates=tuple(float(r) for r in rates),
        label_cardinality=cardinality,
        label_density=cardinality / k,
        imbalance_ratios=tuple(float(r) for r in ratios),
        imbalance_ratio=float(ratios.max()),
        rarest_label=str(labels[rarest]),
        rarest_rate=float(rates[rarest]),
        small_labels=tuple(
            str(name) for name, p in zip(labels, positives, strict=True) if p < SMALL_CLASS_SAMPLES
        ),
    )
