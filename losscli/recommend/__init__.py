"""``recommend``: from targets (and predictions) to a loss and an output activation, with evidence.

The library does the work, the CLI (``losscli.cli.recommend``) parses options and renders:

    >>> import numpy as np
    >>> from losscli.recommend import recommend
    >>> result = recommend({"y": np.array([0.0, 1.0] * 50)})
    >>> result.task, result.recommendation.loss, result.recommendation.activation
    ('binary', 'bce', 'sigmoid')

Steps: :func:`losscli.inference.infer_task` (the task and its reason), the evidence of
:mod:`losscli.recommend.statistics`, the decision of :mod:`losscli.recommend.rules`, and,
with predictions, the recommended loss and its alternatives computed on them through
:func:`losscli.api.loss`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from losscli.errors import InputError, LossCliError
from losscli.inference import (
    PredictionShape,
    TaskInference,
    activation_warnings,
    describe_predictions,
    infer_task,
)
from losscli.recommend.rules import (
    FROM_LOGITS_LOSSES,
    Alternative,
    Recommendation,
    decide_binary,
    decide_detection,
    decide_multiclass,
    decide_multilabel,
    decide_regression,
    decide_segmentation,
    decide_sequence,
    small_class_warning,
)
from losscli.recommend.statistics import (
    ClassEvidence,
    MultilabelEvidence,
    RegressionEvidence,
    class_evidence,
    class_evidence_of_counts,
    multilabel_evidence,
    multilabel_evidence_of_counts,
    regression_evidence,
)
from losscli.recommend.streaming import StreamSummary

SCHEMA = "losscli/recommend/1"

__all__ = [
    "SCHEMA",
    "ComputedLoss",
    "DetectionEvidence",
    "RecommendResult",
    "recommend",
]


@dataclass(frozen=True)
class DetectionEvidence:
    """Boxes: how many pairs, and (with predictions) how many do not overlap at all."""

    n: int
    share_no_overlap: float | None = None

    def to_dict(self) -> dict:
        return {"kind": "boxes", "n": self.n, "share_no_overlap": self.share_no_overlap}


@dataclass(frozen=True)
class ComputedLoss:
    """A loss computed on the given predictions (``value`` None when it could not be)."""

    label: str
    loss: str
    params: dict[str, Any]
    role: str  # "recommended" or "alternative"
    value: float | None
    error: str | None = None

    def to_dict(self) -> dict:
        return {
            "loss": self.loss,
            "params": {k: list(v) if isinstance(v, tuple) else v for k, v in self.params.items()},
            "role": self.role,
            "value": self.value,
            "error": self.error,
        }


@dataclass(frozen=True)
class RecommendResult:
    """Everything ``recommend`` found: task, evidence, recommendation, warnings, losses."""

    inference: TaskInference
    evidence: RegressionEvidence | ClassEvidence | MultilabelEvidence | DetectionEvidence
    recommendation: Recommendation
    prediction_shape: PredictionShape | None = None
    warnings: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    computed: tuple[ComputedLoss, ...] = ()
    dropped_predictions: int = 0
    #: the values the histogram shows (targets or residuals), for regression.
    values: np.ndarray | None = field(default=None, compare=False, repr=False)
    #: over many files: the sample's size and seed and which statistics are sampled.
    sample: dict | None = None

    @property
    def task(self) -> str:
        return self.inference.task

    @property
    def alternatives(self) -> tuple[Alternative, ...]:
        return self.recommendation.alternatives

    def to_dict(self) -> dict:
        """The JSON report of SPEC §6 (``"schema": "losscli/recommend/1"``)."""
        inference = self.inference
        evidence = self.evidence.to_dict()
        if self.prediction_shape is not None:
            shape = self.prediction_shape
            evidence["predictions"] = {
                "kind": shape.kind,
                "activation": shape.activation,
                "columns": shape.columns,
                "from_logits": shape.from_logits,
                "min": shape.low,
                "max": shape.high,
                "reason": shape.reason,
            }
        if self.sample is not None:
            evidence["sample"] = self.sample
        report = {
            "schema": SCHEMA,
            "task": {
                "type": inference.task,
                "reason": inference.reason,
                "ambiguous": inference.ambiguous,
                "note": inference.note,
                "layout": inference.layout,
                "n_samples": inference.n_samples,
                "dropped": inference.dropped + self.dropped_predictions,
                "columns": list(inference.columns),
            },
            "evidence": evidence,
            "recommendation": self.recommendation.to_dict(),
            "alternatives": [a.to_dict() for a in self.recommendation.alternatives],
            "notes": list(self.notes),
            "warnings": list(self.warnings),
        }
        if self.computed:
            report["losses"] = {c.label: c.to_dict() for c in self.computed}
        return report


# --------------------------------------------------------------------------- entry point


def recommend(
    targets: Mapping[str, np.ndarray],
    predictions: Mapping[str, np.ndarray] | None = None,
    *,
    sample_weight: np.ndarray | None = None,
    task: str | None = None,
    groups: np.ndarray | None = None,
    box_format: str | None = None,
    positive: str | None = None,
    summary: StreamSummary | None = None,
) -> RecommendResult:
    """Recommend a loss and an output activation for these targets (and predictions).

    Args:
        targets: column name -> (n,) array (float64, or object for text labels).
        predictions: column name -> (n,) float64 array, or None.
        sample_weight: (n,) weights, used when the losses are computed on the predictions
            (the evidence itself is unweighted: counts are counts).
        task: ``--task`` (None or ``"auto"`` infers it).
        groups: ``--group`` ids (segmentation images, sequences).
        box_format: ``--box-format`` for detection.
        positive: the positive label of a binary target (default: the larger/later one).
        summary: when the columns are a seeded sample of many files
            (:mod:`losscli.recommend.streaming`), its exact counts and moments replace
            the sample's, and ``evidence.sample`` says which statistics are sampled.

    Returns:
        A :class:`RecommendResult`; ``to_dict()`` is the JSON report.

    Raises:
        InputError: a constant target, fewer than 2 distinct values, or columns that do not fit.
    """
    predictions = dict(predictions) if predictions else None
    inference = infer_task(targets, predictions, task=task, groups=groups, box_format=box_format)
    keep = inference.kept if inference.kept is not None else slice(None)
    t_cols = {name: np.asarray(targets[name])[keep] for name in inference.columns}
    p_cols = None
    dropped_predictions = 0
    if predictions:
        p_cols = {
            name: np.asarray(values, dtype=np.float64).reshape(-1)[keep]
            for name, values in predictions.items()
        }
        finite = np.ones(inference.n_samples, dtype=bool)
        for values in p_cols.values():
            finite &= np.isfinite(values)
        dropped_predictions = int((~finite).sum())
        if dropped_predictions:
            if not finite.any():
                raise InputError("no row has finite predictions")
            t_cols = {k: v[finite] for k, v in t_cols.items()}
            p_cols = {k: v[finite] for k, v in p_cols.items()}
            keep = _combine(keep, finite, inference)
    weights = None if sample_weight is None else np.asarray(sample_weight, np.float64)[keep]
    group_ids = None if groups is None else np.asarray(groups)[keep]

    shape = describe_predictions(p_cols) if p_cols else None
    if shape is not None and inference.task in ("regression", "detection") and shape.from_logits:
        # Values outside [0, 1] are what a linear output gives: not "logits" here.
        shape = replace(
            shape,
            kind="values",
            from_logits=False,
            reason=f"because the predictions range from {shape.low:.4g} to {shape.high:.4g} "
            "(a linear output)",
        )
    warnings: list[str] = []
    notes: list[str] = []
    if inference.note:
        notes.append(inference.note)
    if dropped_predictions:
        warnings.append(f"{dropped_predictions} rows with NaN/inf predictions were left out")
    if inference.dropped:
        warnings.append(f"{inference.dropped} rows with NaN/inf/empty targets were left out")

    if inference.task == "binary" and len(inference.classes) != 2:
        raise InputError(
            f"--task binary needs exactly 2 distinct target values, found {len(inference.classes)}",
            column=inference.columns[0],
        )
    builder = _TaskArrays(inference, t_cols, p_cols, positive)
    values = None
    if inference.task == "regression":
        matrix = builder.regression_targets()
        pred_matrix = builder.regression_predictions(matrix) if p_cols else None
        evidence: Any = regression_evidence(matrix, pred_matrix, inference.columns)
        if summary is not None:
            evidence = _exact_regression(evidence, summary)
        values = evidence.values
        recommendation = decide_regression(evidence, pred_matrix)
        if shape is not None:
            warnings += activation_warnings(
                "regression", shape, target_range=(float(matrix.min()), float(matrix.max()))
            )
    elif inference.task == "detection":
        share = builder.share_no_overlap(box_format) if p_cols else None
        evidence = DetectionEvidence(inference.n_samples, share)
        recommendation = decide_detection(share)
    elif inference.task == "multilabel":
        evidence = multilabel_evidence(builder.indicator_matrix(), inference.columns)
        if summary is not None:
            evidence = _exact_multilabel(evidence, summary)
        for label, count in zip(evidence.labels, evidence.positives, strict=True):
            if count == 0 or count == evidence.n:
                # A label that never (or always) fires has nothing to learn and no finite
                # imbalance ratio or pos_weight (QA issue 4): an input error naming it.
                state = "never positive (all 0)" if count == 0 else "always positive (all 1)"
                raise InputError(
                    f"multi-label column is {state} in {evidence.n} rows: no loss can learn it",
                    column=label,
                    hint="drop the column or check the data (--target chooses the columns)",
                )
        recommendation = decide_multilabel(evidence)
        for label in evidence.small_labels:
            warnings.append(f"label {label!r} has fewer than 10 positive samples")
    else:
        evidence = builder.class_evidence()
        if summary is not None:
            evidence = _exact_classes(evidence, inference, summary)
        if inference.task == "binary":
            recommendation = decide_binary(evidence, positive_index=builder.positive_index)
        elif inference.task == "multiclass":
            recommendation = decide_multiclass(
                evidence,
                one_hot=inference.target_form == "one-hot",
                ambiguous=inference.ambiguous,
            )
        elif inference.task == "segmentation":
            recommendation = decide_segmentation(evidence)
        else:
            recommendation = decide_sequence(evidence)
        small = small_class_warning(evidence.classes, evidence.counts)
        if small:
            warnings.append(small)
    notes += list(recommendation.notes)

    if shape is not None and inference.task != "regression":
        n_classes = (
            len(inference.classes) if inference.task in ("multiclass", "multilabel") else None
        )
        warnings += activation_warnings(inference.task, shape, n_classes=n_classes)
        if shape.from_logits:
            recommendation = _with_from_logits(recommendation)

    computed: tuple[ComputedLoss, ...] = ()
    if p_cols:
        computed = builder.compute(recommendation, weights, group_ids, box_format, shape)
    sample = None
    if summary is not None:
        sample = summary.describe()
        notes.insert(0, summary.note())
        # The rows of every file, not the sample's (the exact figures are over these).
        inference = replace(
            inference,
            n_samples=summary.rows - summary.dropped,
            dropped=summary.dropped - dropped_predictions,
        )
        if summary.dropped:
            warnings.append(
                f"{summary.dropped} rows with NaN/inf targets or predictions in the files "
                "(exact count over every row)"
            )
    return RecommendResult(
        inference=inference,
        evidence=evidence,
        recommendation=recommendation,
        prediction_shape=shape,
        warnings=tuple(warnings),
        notes=tuple(notes),
        computed=computed,
        dropped_predictions=dropped_predictions,
        values=values,
        sample=sample,
    )


# --------------------------------------------------------------------------- many files


def _exact_regression(evidence: RegressionEvidence, summary: StreamSummary) -> RegressionEvidence:
    """The sample's regression evidence with the exact moments of every row of the files."""
    from losscli.engine.summary import ColumnSummary, with_exact_moments

    targets = with_exact_moments(evidence.targets, ColumnSummary(summary.pooled_targets()))
    decide_on = targets
    if evidence.per_output:
        # Several outputs: the decision reads standardised pooled values, whose moments the
        # summary does not hold; the per-output figures get the exact moments instead.
        per_output = tuple(
            (
                name,
                with_exact_moments(
                    d,
                    ColumnSummary(
                        (
                            summary.residual_moments
                            if d.on == "residuals"
                            else summary.target_moments
                        )[name]
                    ),
                ),
            )
            for name, d in evidence.per_output
        )
        return replace(evidence, targets=targets, per_output=per_output)
    if evidence.decide_on.on == "residuals" and summary.residual_moments:
        decide_on = with_exact_moments(
            evidence.decide_on, ColumnSummary(summary.pooled_residuals())
        )
    return replace(evidence, decide_on=decide_on, targets=targets)


def _exact_classes(
    evidence: ClassEvidence, inference: TaskInference, summary: StreamSummary
) -> ClassEvidence:
    """Class evidence from the exact counts (every class of every file, not the sample's)."""
    if inference.target_form == "one-hot":
        counts = [summary.counts.get(name) for name in inference.columns]
        if any(c is None for c in counts):
            return evidence
        return class_evidence_of_counts([int(c.get(1.0, 0)) for c in counts], inference.columns)
    (name,) = inference.columns
    counts = summary.counts.get(name)
    if not counts:
        return evidence
    numeric = all(isinstance(c, float) for c in counts)
    by_key = {(float(k) if numeric else str(k)): v for k, v in counts.items()}
    classes = sorted(by_key)
    return class_evidence_of_counts([by_key[c] for c in classes], classes)


def _exact_multilabel(evidence: MultilabelEvidence, summary: StreamSummary) -> MultilabelEvidence:
    counts = [summary.counts.get(name) for name in evidence.labels]
    if any(c is None for c in counts):
        return evidence
    n = summary.rows - summary.dropped
    return multilabel_evidence_of_counts(n, [c.get(1.0, 0) for c in counts], evidence.labels)


def _combine(keep: Any, finite: np.ndarray, inference: TaskInference) -> np.ndarray:
    """The input-row mask of rows kept by both the target and the prediction filters."""
    if isinstance(keep, slice):
        return finite
    mask = np.array(keep, copy=True)
    mask[np.flatnonzero(mask)[~finite]] = False
    return mask


def _with_from_logits(recommendation: Recommendation) -> Recommendation:
    """Logit predictions: the recommended loss (and alternatives) in their from-logits form."""

    def patched(loss: str, params: dict[str, Any]) -> dict[str, Any]:
        return {**params, "from_logits": True} if loss in FROM_LOGITS_LOSSES else params

    alternatives = tuple(
        replace(a, params=patched(a.loss, a.params)) for a in recommendation.alternatives
    )
    return replace(
        recommendation,
        params=patched(recommendation.loss, recommendation.params),
        alternatives=alternatives,
    )


# --------------------------------------------------------------------------- arrays


class _TaskArrays:
    """The targets and predictions laid out for the evidence and for ``losscli.api.loss``.

    A deliberately small layout (the CLI's full one lives in ``losscli.layout``): classes
    in sorted order, prediction columns matched to classes by name (``p_dog`` is ``dog``)
    when every class has one, else by position.
    """

    def __init__(
        self,
        inference: TaskInference,
        targets: dict[str, np.ndarray],
        predictions: dict[str, np.ndarray] | None,
        positive: str | None,
    ) -> None:
        self.inference = inference
        self.targets = targets
        self.predictions = predictions
        self.positive_index = 1
        if inference.task == "binary" and positive is not None:
            from losscli.layout import label_key

            keys = [label_key(c) for c in inference.classes]
            if str(positive) not in keys:
                raise InputError(
                    f"--positive {positive!r} is not one of the labels {', '.join(keys)}"
                )
            self.positive_index = keys.index(str(positive))

    # -- evidence

    def regression_targets(self) -> np.ndarray:
        columns = [_numeric(name, v) for name, v in self.targets.items()]
        return columns[0] if len(columns) == 1 else np.column_stack(columns)

    def regression_predictions(self, targets: np.ndarray) -> np.ndarray:
        assert self.predictions is not None
        outputs = 1 if targets.ndim == 1 else targets.shape[1]
        if len(self.predictions) != outputs:
            raise InputError(
                f"{outputs} target column{'s' if outputs > 1 else ''} but "
                f"{len(self.predictions)} prediction columns: regression pairs them one to one",
                hint="choose the columns with --target and --pred",
            )
        columns = list(self.predictions.values())
        return columns[0] if outputs == 1 else np.column_stack(columns)

    def indicator_matrix(self) -> np.ndarray:
        return np.column_stack([_numeric(n, v) for n, v in self.targets.items()])

    def labels(self) -> np.ndarray:
        (values,) = self.targets.values()
        return values

    def class_evidence(self) -> ClassEvidence:
        if self.inference.target_form == "one-hot":
            return class_evidence(self.indicator_matrix(), self.inference.columns)
        return class_evidence(self.labels(), self.inference.classes)

    def codes(self) -> np.ndarray:
        """Class indices 0..K-1 in the order of ``inference.classes``."""
        if self.inference.target_form == "one-hot":
            return np.argmax(self.indicator_matrix(), axis=1)
        labels = self.labels()
        classes = self.inference.classes
        if labels.dtype.kind in "fiub":
            return np.searchsorted(np.asarray(classes, dtype=np.float64), labels.astype(np.float64))
        # Text labels: one dictionary lookup per distinct label, then a vectorised gather.
        distinct, inverse = np.unique(labels.astype(str), return_inverse=True)
        lookup = {str(c): i for i, c in enumerate(classes)}
        return np.array([lookup[str(d)] for d in distinct], dtype=np.int64)[inverse]

    # -- arrays for the losses

    def prediction_matrix(self) -> np.ndarray:
        """(n, K) predictions with columns in class order: by name when every class has
        one (``p_dog`` is class ``dog``, ``true_dog``/``p_dog`` pair up), else by position,
        with the same naming rules as compute (:mod:`losscli.layout`)."""
        from losscli.layout import class_name, label_key, target_class_name

        assert self.predictions is not None
        names = list(self.predictions)
        if self.inference.target_form in ("one-hot", "indicators"):
            classes = [target_class_name(c) for c in self.inference.columns]
        else:
            classes = [label_key(c) for c in self.inference.classes]
        by_class = {class_name(name): name for name in names}
        if len(by_class) == len(names) == len(classes) and set(classes) == set(by_class):
            names = [by_class[c] for c in classes]
        return np.column_stack([self.predictions[n] for n in names])

    def y_true(self, kind: str) -> np.ndarray:
        task = self.inference.task
        if task == "regression":
            return self.regression_targets()
        if task == "detection":
            return self.indicator_matrix()
        if task == "multilabel":
            return self.indicator_matrix()
        codes = self.codes()
        if task in ("binary", "segmentation") and len(self.inference.classes) == 2:
            binary = (codes == self.positive_index).astype(np.float64)
            if kind == "distribution":
                return np.column_stack([1.0 - binary, binary])
            return binary
        if kind == "distribution":
            return np.eye(len(self.inference.classes))[codes]
        return codes.astype(np.float64) if kind == "binary" else codes

    def y_pred(self) -> np.ndarray:
        matrix = self.prediction_matrix()
        return matrix[:, 0] if matrix.shape[1] == 1 else matrix

    def share_no_overlap(self, box_format: str | None) -> float | None:
        try:
            per_box = self._loss("iou", {"box_format": box_format} if box_format else {})
        except LossCliError:
            return None
        return float(np.mean(per_box >= 1.0))

    def _loss(self, name: str, params: dict[str, Any]) -> np.ndarray:
        from losscli import api

        return np.asarray(
            api.loss(
                name,
                self.y_true("boxes"),
                self.y_pred(),
                reduction="none",
                task=self.inference.task,
                **params,
            )
        )

    def compute(
        self,
        recommendation: Recommendation,
        weights: np.ndarray | None,
        groups: np.ndarray | None,
        box_format: str | None,
        shape: PredictionShape | None,
    ) -> tuple[ComputedLoss, ...]:
        """The recommended loss and each alternative on the predictions, side by side."""
        from losscli import api, registry

        wanted = [("recommended", recommendation.loss, recommendation.params)]
        wanted += [("alternative", a.loss, a.params) for a in recommendation.alternatives]
        results: list[ComputedLoss] = []
        seen: set[str] = set()
        task = self.inference.task
        for role, name, params in wanted:
            params = dict(params)
            try:
                spec = registry.get(name).for_task(task)
                known = {p.name for p in spec.params}
                if shape is not None and shape.from_logits and "from_logits" in known:
                    params.setdefault("from_logits", True)
                if box_format and "box_format" in known:
                    params.setdefault("box_format", box_format)
                label = registry.loss_label(name, spec.resolve_params(params), spec)
            except LossCliError as error:
                label = _plain_label(name, params)
                if label not in seen:
                    seen.add(label)
                    results.append(ComputedLoss(label, name, params, role, None, error.one_line()))
                continue
            if label in seen:
                continue
            seen.add(label)
            try:
                value = api.loss(
                    name,
                    self.y_true(spec.target),
                    self.y_pred(),
                    sample_weight=weights,
                    groups=groups if spec.grouped else None,
                    task=task,
                    **params,
                )
                results.append(ComputedLoss(label, name, params, role, float(value)))
            except LossCliError as error:
                results.append(ComputedLoss(label, name, params, role, None, error.one_line()))
        return tuple(results)


def _numeric(name: str, values: np.ndarray) -> np.ndarray:
    try:
        return np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        raise InputError("holds text where numbers are needed", column=name) from None


def _plain_label(name: str, params: dict[str, Any]) -> str:
    """``bce:pos_weight=11;1`` for parameters the registry would not accept (no defaults known)."""
    shown = []
    for key, value in params.items():
        if isinstance(value, (tuple, list)):
            value = ";".join(f"{v:g}" for v in value)
        elif isinstance(value, float):
            value = f"{value:g}"
        shown.append(f"{key}={value}")
    return name + (":" + ",".join(shown) if shown else "")
