"""Deciding the layout from the first rows: the task (SPEC §5), then per task the
classes, positive label, column pairing and box format."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from losscli.distinct import sorted_distinct
from losscli.errors import InputError
from losscli.layout.arrays import Layout, LayoutOptions, LayoutPlan
from losscli.layout.labels import (
    TableLike,
    _factorize_keys,
    _is_index,
    _is_int_text,
    _key_array,
    _label_sort_key,
    _pair_columns,
    _target_column,
    class_name,
    label_key,
    target_class_name,
)
from losscli.layout.roles import Roles
from losscli.losses.detection import BOX_FORMATS
from losscli.registry import TASKS

Inferrer = Callable[..., Any]


class ConstantTargetError(InputError):
    """Task inference refused a constant target (``--task`` or ``-l`` decides instead)."""


@dataclass(frozen=True)
class _GivenTask:
    """The inference stand-in when ``--task`` is given and the target is constant (a CI
    batch of all positives is valid data; only inference needs two values)."""

    task: str
    reason: str
    note: str | None = None
    ambiguous: bool = False
    box_format: str | None = None


def _is_constant(targets: dict[str, np.ndarray]) -> bool:
    """Whether every target column holds one value (what inference refuses)."""
    return all(len(set(_factorize_keys(values)[1])) < 2 for values in targets.values())


def _with_text_line(error: InputError, table: TableLike, targets: dict) -> InputError:
    """``error`` about a text value in target ``error.column`` (inference only sees
    arrays), with the file and the line of the first value that is not a number."""
    values = targets.get(error.column)
    if error.line is not None or values is None or values.dtype != object:
        return error
    from losscli.io.table import parse_number

    for row, value in enumerate(values):
        if isinstance(value, str) and value.strip() and parse_number(value) is None:
            return InputError(
                error.message,
                file=error.file or table.name,
                line=table.line_of(row),
                column=error.column,
                hint=error.hint,
            )
    return error


def _default_inferrer() -> Inferrer:
    from losscli.inference import infer_task

    return infer_task


def plan_layout(
    roles: Roles,
    tables: Sequence[TableLike],
    options: LayoutOptions | None = None,
    *,
    infer: Inferrer | None = None,
) -> LayoutPlan:
    """Decide the layout from the first rows (all of them, in memory).

    Args:
        roles: from :func:`resolve_roles`.
        tables: one table (or first chunk) per input file, rows aligned.
        options: ``--task``, ``--positive``, ``--from-logits``, ``--renormalize``,
            ``--box-format``, ``--global``.
        infer: the task-inference function (default :func:`losscli.inference.infer_task`);
            a parameter so that tests can stub it.

    Raises:
        InputError: the columns cannot make the task's layout (naming what is wrong).
    """
    options = options or LayoutOptions()
    infer = infer or _default_inferrer()
    if options.task not in ("auto", *TASKS):
        raise InputError(
            f"unknown task {options.task!r}", hint=f"use --task auto|{'|'.join(TASKS)}"
        )
    if options.box_format is not None and options.box_format not in BOX_FORMATS:
        raise InputError(
            f"unknown box format {options.box_format!r}", hint="use xyxy, xywh or cxcywh"
        )
    target_table = tables[roles.targets[0].source]
    prediction_table = tables[roles.predictions[0].source]
    targets = {
        ref.name: _target_column(target_table, ref.name, options.task) for ref in roles.targets
    }
    predictions = {ref.name: prediction_table.numeric(ref.name) for ref in roles.predictions}
    groups = None
    if roles.group is not None:
        groups = tables[roles.group.source].column(roles.group.name)
    try:
        inference = infer(
            targets,
            predictions,
            task=None if options.task == "auto" else options.task,
            groups=groups,
            box_format=options.box_format,
        )
    except InputError as error:
        if not _is_constant(targets):
            raise _with_text_line(error, target_table, targets) from None
        if options.task == "auto":
            raise ConstantTargetError(
                error.message,
                file=error.file or target_table.name,
                line=error.line,
                column=error.column,
                hint="a constant target is valid data, but its task cannot be inferred: "
                "pass --task (e.g. --task binary for a batch of one class)",
            ) from None
        inference = _GivenTask(
            options.task, f"because --task {options.task} was given (the target is constant)"
        )
    task = inference.task
    notes: list[str] = list(roles.notes)
    note = getattr(inference, "note", None)
    plan = LayoutPlan(
        task=task,
        reason=inference.reason,
        roles=roles,
        options=options,
        target_form="values",
        target_columns=tuple(ref.name for ref in roles.targets),
        prediction_columns=tuple(ref.name for ref in roles.predictions),
        ambiguous=bool(getattr(inference, "ambiguous", False)),
        notes=notes,
    )
    builder = _BUILDERS[task]
    builder(plan, targets, predictions, inference, tables)
    if note and not (task == "binary" and options.positive is not None):
        notes.insert(0, note)
    if task in ("segmentation", "sequence") and roles.group is None and not options.pooled:
        if task == "sequence":
            raise InputError(
                "a sequence task needs --group SEQUENCE_COLUMN (the sequence id of each token)"
            )
        raise InputError(
            "a segmentation task needs --group IMAGE_COLUMN (the image id of each pixel), "
            "or --global to pool all pixels into one mask"
        )
    return plan


def _need_one_target(plan: LayoutPlan) -> None:
    if len(plan.roles.targets) != 1:
        raise InputError(
            f"a {plan.task} task takes one target column, got {len(plan.roles.targets)} "
            f"({', '.join(plan.target_columns)})",
            file=plan.target_file,
            hint="name it with --target",
        )


def _plan_regression(plan: LayoutPlan, targets, predictions, inference, tables) -> None:
    plan.target_form = "values"
    k_true, k_pred = len(plan.target_columns), len(plan.prediction_columns)
    if k_true != k_pred:
        raise InputError(
            f"{k_true} target column(s) ({', '.join(plan.target_columns)}) but {k_pred} "
            f"prediction column(s) ({', '.join(plan.prediction_columns)}); a regression "
            "pairs one prediction with each target",
            file=plan.prediction_file,
            hint="select columns with --target and --pred",
        )
    text = [name for name, values in targets.items() if values.dtype == object]
    if text:
        raise InputError(
            "regression targets must be numbers, this column holds text",
            file=plan.target_file,
            column=text[0],
            hint="use --task multiclass for class labels",
        )
    ordered, how = _pair_columns(plan.target_columns, plan.prediction_columns)
    plan.prediction_columns = tuple(ordered)
    if k_true > 1:
        plan.notes.append(
            f"{k_true} outputs, predictions paired with targets by {how}: "
            + ", ".join(f"{t}~{p}" for t, p in zip(plan.target_columns, ordered, strict=True))
        )


def _plan_binary(plan: LayoutPlan, targets, predictions, inference, tables) -> None:
    _need_one_target(plan)
    name = plan.target_columns[0]
    values = targets[name]
    codes, keys = _factorize_keys(values)
    distinct_keys = sorted(set(keys), key=_label_sort_key)
    distinct = np.array(distinct_keys, dtype=object)
    if len(distinct) > 2:
        # The row where each key first appears, to name the line of the third label.
        key_index = np.array([distinct_keys.index(k) for k in keys], dtype=np.int64)[codes]
        first = np.array([int(np.argmax(key_index == i)) for i in range(len(distinct))])
        order = np.argsort(first)
        third = int(first[order[2]])
        shown = ", ".join(repr(str(distinct[i])) for i in order[:3])
        raise InputError(
            f"{len(distinct)} distinct labels ({shown}{', …' if len(distinct) > 3 else ''}) "
            "but a binary target takes two",
            file=plan.target_file,
            line=tables[plan.roles.targets[0].source].line_of(third),
            column=name,
            hint="use --task multiclass",
        )
    labels = sorted(distinct.tolist(), key=_label_sort_key)
    positive = plan.options.positive
    if positive is None and len(labels) == 1:
        # One class present (a batch of all positives, or all negatives): its partner
        # follows from 0/1, -1/+1 or false/true; any other label needs --positive.
        partners = {"1": "0", "0": "1", "-1": "1", "true": "false", "false": "true"}
        only = labels[0]
        if only.lower() not in partners:
            raise InputError(
                f"every row has the label {only!r}: one class, so the positive label is not known",
                file=plan.target_file,
                column=name,
                hint=f"name it with --positive (e.g. --positive {only})",
            )
        other = partners[only.lower()]
        other = other.capitalize() if only[:1].isupper() else other
        positive = only if only.lower() in ("1", "true") else other
        labels = sorted({only, other}, key=_label_sort_key)
        plan.notes.append(
            f"only the label {only!r} is present; positive label {positive!r} "
            "(choose it with --positive)"
        )
    if positive is not None:
        positive = label_key(positive)
        if positive not in labels:
            if len(labels) == 2:
                raise InputError(
                    f"--positive {positive!r} is not one of the labels "
                    f"({', '.join(repr(x) for x in labels)})",
                    file=plan.target_file,
                    column=name,
                )
            labels.append(positive)
        negative = next((x for x in labels if x != positive), None)
        if negative is None:
            negative = "0" if positive != "0" else "1"
    else:
        lowered = {x.lower() for x in labels}
        if set(labels) in ({"0", "1"}, {"-1", "1"}):
            positive = "1"
        elif lowered == {"false", "true"}:
            positive = next(x for x in labels if x.lower() == "true")
        else:
            positive = labels[-1]
            if not getattr(inference, "note", None):
                plan.notes.append(
                    f"positive label {positive!r} (the larger of {labels[0]!r} and "
                    f"{labels[-1]!r}, as scikit-learn orders them); choose it with --positive"
                )
        negative = next(x for x in labels if x != positive)
    plan.target_form = "labels"
    plan.positive, plan.negative = positive, negative
    plan.classes = (negative, positive)
    if len(plan.prediction_columns) == 2:
        by_name = {class_name(c): c for c in plan.prediction_columns}
        if positive not in by_name:
            raise InputError(
                f"2 prediction columns ({', '.join(plan.prediction_columns)}) for a binary "
                f"target, but none is named for the positive label {positive!r}",
                file=plan.prediction_file,
                hint="name the positive-class column with --pred",
            )
        plan.prediction_columns = (by_name[positive],)
        plan.notes.append(f"prediction column {by_name[positive]!r} is P({positive})")
    elif len(plan.prediction_columns) != 1:
        raise InputError(
            f"a binary task takes one prediction column, got {len(plan.prediction_columns)} "
            f"({', '.join(plan.prediction_columns)})",
            file=plan.prediction_file,
            hint="select it with --pred",
        )


def _plan_classes(plan: LayoutPlan, targets, predictions, inference, tables) -> None:
    """Multiclass (and sequence, and multi-class segmentation) with one label column."""
    _need_one_target(plan)
    columns = plan.prediction_columns
    k = len(columns)
    if k < 2:
        raise InputError(
            f"a {plan.task} task needs one prediction column per class; found {k} "
            f"({', '.join(columns)})",
            file=plan.prediction_file,
            hint="select the class columns with --pred, e.g. --pred 'p_*'",
        )
    names = [class_name(c) for c in columns]
    values = targets[plan.target_columns[0]]
    present = sorted({str(x) for x in _key_array(sorted_distinct(values))}, key=_label_sort_key)
    plan.target_form = "labels"
    if len(set(names)) == k and set(present) <= set(names):
        plan.class_mapping = "name"
    elif all(_is_index(x, k) for x in present):
        plan.class_mapping = "position"
        plan.notes.append(
            f"integer labels 0..{k - 1} map to the {k} prediction columns by position "
            f"({columns[0]} is class 0)"
        )
    elif set(present) & set(names) or not all(_is_int_text(x) for x in present):
        # Some labels match no column: an error in arrays(), unless they are padding
        # tokens of a sequence with weight 0.
        plan.class_mapping = "name"
    else:
        plan.class_mapping = "position"
    plan.classes = tuple(names) if plan.class_mapping == "name" else tuple(str(i) for i in range(k))
    plan.label_codes = {label: index for index, label in enumerate(plan.classes)}


def _plan_columns_of_classes(plan: LayoutPlan, form: str) -> None:
    """K target columns (one-hot, soft or multi-label) and K prediction columns."""
    k_true, k_pred = len(plan.target_columns), len(plan.prediction_columns)
    if k_true != k_pred:
        raise InputError(
            f"{k_true} target columns but {k_pred} prediction columns; a {plan.task} task "
            "needs one prediction column per target column",
            file=plan.prediction_file,
            hint="select columns with --target and --pred",
        )
    ordered, how = _pair_columns(plan.target_columns, plan.prediction_columns)
    plan.prediction_columns = tuple(ordered)
    plan.target_form = form
    plan.classes = tuple(target_class_name(t) for t in plan.target_columns)
    plan.class_mapping = how


def _plan_multiclass(plan: LayoutPlan, targets, predictions, inference, tables) -> None:
    if len(plan.target_columns) > 1:
        _plan_columns_of_classes(plan, "distribution")
    else:
        _plan_classes(plan, targets, predictions, inference, tables)


def _plan_multilabel(plan: LayoutPlan, targets, predictions, inference, tables) -> None:
    if len(plan.target_columns) < 2:
        raise InputError(
            "a multilabel task takes one 0/1 target column per label, got 1",
            file=plan.target_file,
            hint="select them with --target, e.g. --target 'true_*'",
        )
    _plan_columns_of_classes(plan, "indicators")


def _plan_segmentation(plan: LayoutPlan, targets, predictions, inference, tables) -> None:
    if len(plan.prediction_columns) == 1:
        _plan_binary(plan, targets, predictions, inference, tables)
        plan.classes = ()
    else:
        _plan_classes(plan, targets, predictions, inference, tables)


def _plan_detection(plan: LayoutPlan, targets, predictions, inference, tables) -> None:
    if len(plan.target_columns) != 4 or len(plan.prediction_columns) != 4:
        raise InputError(
            f"a detection task takes 4 target and 4 prediction box columns, got "
            f"{len(plan.target_columns)} and {len(plan.prediction_columns)}",
            file=plan.target_file,
            hint="select them with --target 'gt_*' --pred 'pred_*'",
        )
    plan.target_form = "boxes"
    plan.box_format = plan.options.box_format or getattr(inference, "box_format", None) or "xyxy"
    if plan.options.box_format is None:
        plan.notes.append("boxes read as xyxy (x1, y1, x2, y2); set --box-format otherwise")


def _plan_sequence(plan: LayoutPlan, targets, predictions, inference, tables) -> None:
    _plan_classes(plan, targets, predictions, inference, tables)


_BUILDERS: dict[str, Callable[..., None]] = {
    "regression": _plan_regression,
    "binary": _plan_binary,
    "multiclass": _plan_multiclass,
    "multilabel": _plan_multilabel,
    "segmentation": _plan_segmentation,
    "detection": _plan_detection,
    "sequence": _plan_sequence,
}


def prediction_warnings(plan: LayoutPlan, layout: Layout) -> list[str]:
    """Mismatches between what the predictions look like and what the task needs
    (:func:`losscli.inference.activation_warnings`), for stderr and the JSON report."""
    from losscli.inference import activation_warnings, describe_predictions

    if plan.target_form == "boxes" or layout.n_samples == 0:
        return []
    matrix = layout.y_pred.reshape(layout.n_samples, -1)
    shape = describe_predictions({str(j): matrix[:, j] for j in range(matrix.shape[1])})
    target_range = None
    if plan.task == "regression":
        target_range = (float(np.min(layout.y_true)), float(np.max(layout.y_true)))
    # A multi-class mask is judged like multiclass (softmax rows are right for it).
    task = "multiclass" if plan.task == "segmentation" and plan.classes else plan.task
    n_classes = len(plan.classes) if task in ("multiclass", "multilabel") else None
    warnings = activation_warnings(task, shape, n_classes=n_classes, target_range=target_range)
    if plan.options.from_logits:
        warnings = [w for w in warnings if "--from-logits" not in w]
        if shape.kind != "logits" and plan.task != "regression":
            warnings.append(
                "--from-logits is given but every prediction lies in [0, 1]: "
                "are these probabilities?"
            )
    return warnings
