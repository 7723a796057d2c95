"""Task inference: which learning task a file of targets (and predictions) describes, and why.

Shared by ``compute`` (to lay the columns out) and ``recommend`` (to choose a loss).
The procedure is SPEC §5's, in this order:

1. Drop the rows whose target is NaN/±inf (or empty, for text labels) and count them.
2. Fewer than two distinct target values is an error (a constant column has no task).
3. Several 0/1 target columns: one-hot multiclass when every row sums to 1, otherwise
   multi-label (scikit-learn's ``type_of_target`` calls both "multilabel-indicator").
   Several other numeric columns: multi-output regression.
4. One column with exactly two distinct values: binary, whatever the dtype.
5. Text labels with more than two values: multiclass.
6. Any non-integral number: regression.
7. Integer-valued numbers with k distinct values among n rows: multiclass when
   k <= 1000 and k/n <= 0.10 (n <= 1000) or k/n <= 0.05 (n > 1000), else regression
   (AutoGluon's ``infer_problem_type``). Ambiguous (counts or ordinal?) when k > 10 or
   the labels are not 0..k-1; the note names the ``--task`` that overrides it.
8. Except that the predictions decide when they cannot be class scores: integer targets
   with k > 2 values (read as classes by rule 7) and ONE prediction column (K classes need
   K score columns) are regression, a regression or count model's predictions
   (QA issues 3/4). Binary targets keep their one column of probabilities/logits.

Segmentation, detection and sequence tasks are never guessed from values alone: they
come from ``--task``, a ``--group`` column, or a box layout (``box_format`` or four
target columns named like box corners).

References:
    scikit-learn, ``sklearn.utils.multiclass.type_of_target``.
    AutoGluon, ``autogluon.core.utils.infer_problem_type`` (thresholds below).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from losscli.distinct import sorted_distinct
from losscli.errors import InputError
from losscli.registry import TASKS

# AutoGluon, core/utils/utils.py infer_problem_type: numeric targets with more distinct
# values than this are regression ("MULTICLASS_UPPER_LIMIT = 1000").
MAX_CLASSES = 1000
# AutoGluon: the unique-value ratio above which integer targets are regression is
# 0.10 for small data and 0.05 for large data ("REGRESS_THRESHOLD_SMALL_DATA = 0.1",
# "REGRESS_THRESHOLD_LARGE_DATA = 0.05"), large meaning more than 1000 rows
# ("LARGE_DATA_THRESHOLD = 1000").
SMALL_DATA_UNIQUE_RATIO = 0.10
LARGE_DATA_UNIQUE_RATIO = 0.05
LARGE_DATA_ROWS = 1000
# SPEC §5: integer labels with more than this many values may be counts or ordinal
# scores rather than classes; we say so instead of silently picking one.
AMBIGUOUS_ABOVE_CLASSES = 10
# Softmax outputs written to text are often rounded (4-6 decimals): a row that sums to
# 1 within this tolerance is read as a softmax row. compute's own check of probability
# rows is stricter (1e-6, SPEC §2); this one only describes what the predictions look like.
SOFTMAX_ROW_TOLERANCE = 1e-3

# Column names that make four target columns a box (detection) layout, per format.
_BOX_NAMES = {
    "xyxy": ({"x1", "y1", "x2", "y2"}, {"xmin", "ymin", "xmax", "ymax"}),
    "xywh": ({"x", "y", "w", "h"},),
    "cxcywh": ({"cx", "cy", "w", "h"},),
}


@dataclass(frozen=True)
class TaskInference:
    """The task a set of target columns describes, and the rule that decided it.

    Attributes:
        task: ``regression binary multiclass multilabel segmentation detection sequence``.
        reason: one sentence starting "because …".
        ambiguous: True when another task is as plausible (integer counts, ordinal scores).
        note: what to do about the ambiguity (names the ``--task`` override), or None.
        dropped: rows dropped because a target was NaN/±inf/empty.
        layout: what was seen, e.g. ``"1 label column, 3 classes"``, ``"4 one-hot columns"``.
        target_form: ``values`` (regression numbers), ``labels`` (one column of class
            labels), ``one-hot`` (K 0/1 columns, one 1 a row), ``indicators`` (K 0/1
            multi-label columns), ``boxes`` (4 box columns).
        classes: the sorted distinct labels (``labels`` form) or the class/label column
            names (``one-hot``/``indicators``); empty for regression.
        n_samples: rows kept.
        columns: the target column names, in order.
        kept: boolean mask over the input rows of the rows kept (None: all kept).
        by_predictions: True when the prediction columns, not the target counts, decided
            (rule 8; rewording the reason with whole-file counts must keep it).
    """

    task: str
    reason: str
    ambiguous: bool = False
    note: str | None = None
    dropped: int = 0
    layout: str = ""
    target_form: str = ""
    classes: tuple = ()
    n_samples: int = 0
    columns: tuple[str, ...] = ()
    kept: np.ndarray | None = field(default=None, compare=False, repr=False)
    by_predictions: bool = False


@dataclass(frozen=True)
class PredictionShape:
    """What the prediction columns look like.

    Attributes:
        kind: ``sigmoid`` (one column, or independent columns, of values in [0, 1]),
            ``softmax`` (several columns in [0, 1] whose rows sum to 1), ``logits``
            (values outside [0, 1]: raw scores, or regression values).
        activation: the output activation the values show: ``sigmoid``, ``softmax``,
            or ``linear`` for logits/raw values.
        columns: number of prediction columns.
        from_logits: True when the values must be logits (some lie outside [0, 1]).
        reason: one sentence starting "because …".
        low, high: the smallest and largest finite prediction.
    """

    kind: str
    activation: str
    columns: int
    from_logits: bool
    reason: str
    low: float = float("nan")
    high: float = float("nan")


# --------------------------------------------------------------------------- helpers


def _is_numeric(values: np.ndarray) -> bool:
    return values.dtype.kind in "fiub"


def _missing_mask(values: np.ndarray) -> np.ndarray:
    """True where a target is missing: NaN/±inf for numbers; None, NaN or blank for text."""
    if _is_numeric(values):
        return ~np.isfinite(values.astype(np.float64, copy=False))
    text = values.astype(object)
    # Vectorised (no Python loop over rows): None, NaN (the one value unequal to itself)
    # and blank strings are missing.
    missing = np.equal(text, None) | np.not_equal(text, text)
    missing |= np.char.str_len(np.char.strip(text.astype(str))) == 0
    return missing


def _as_column(name: str, values: object) -> np.ndarray:
    array = np.asarray(values)
    if array.ndim == 2 and array.shape[1] == 1:
        array = array[:, 0]
    if array.ndim != 1:
        raise InputError(
            f"target column {name!r} must be one value per row, got shape {array.shape}"
        )
    if array.dtype.kind in "US":
        array = array.astype(object)
    return array


def _format_label(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _label_list(values: tuple, limit: int = 6) -> str:
    shown = ", ".join(_format_label(v) for v in values[:limit])
    return shown + (", …" if len(values) > limit else "")


def _distinct(values: np.ndarray) -> np.ndarray:
    if _is_numeric(values):
        return sorted_distinct(values.astype(np.float64, copy=False))
    # Text labels: compare as strings so that 1 and "1" from a mixed column agree.
    return sorted_distinct(values.astype(str))


def _box_format_from_names(columns: tuple[str, ...]) -> str | None:
    lowered = {name.strip().lower().split(".")[-1] for name in columns}
    # Allow a common prefix or suffix such as "true_x1" or "x1_true".
    stripped = {
        part
        for name in lowered
        for part in (name.replace("true_", "").replace("_true", "").replace("target_", ""),)
    }
    for box_format, name_sets in _BOX_NAMES.items():
        for names in name_sets:
            if stripped == names:
                return box_format
    return None


# --------------------------------------------------------------------------- inference


def infer_task(
    targets: Mapping[str, np.ndarray],
    predictions: Mapping[str, np.ndarray] | None = None,
    *,
    task: str | None = None,
    groups: np.ndarray | None = None,
    box_format: str | None = None,
) -> TaskInference:
    """Infer the learning task from the target columns (and the prediction shape).

    Args:
        targets: column name -> (n,) array (float64, or object for text labels).
        predictions: column name -> (n,) array; only its column count and values are used
            (K prediction columns for one integer label column mean K classes).
        task: a forced task (``--task``); ``None`` or ``"auto"`` infers it.
        groups: the ``--group`` column (image or sequence ids), when given.
        box_format: ``--box-format`` when given (a box layout means detection).

    Returns:
        A :class:`TaskInference` whose ``reason`` says which rule decided.

    Raises:
        InputError: no target columns, no rows left after dropping NaN/inf, or fewer than
            two distinct target values.

    Example:
        >>> import numpy as np
        >>> inferred = infer_task({"y": np.array([0.0, 1.0, 1.0, 0.0])})
        >>> inferred.task, inferred.reason
        ('binary', "because target 'y' has exactly 2 distinct values (0, 1)")
    """
    if not targets:
        raise InputError("no target column to infer the task from", hint="name one with --target")
    columns = tuple(targets)
    arrays = [_as_column(name, targets[name]) for name in columns]
    lengths = {a.shape[0] for a in arrays}
    if len(lengths) != 1:
        raise InputError(f"target columns have different lengths: {sorted(lengths)}")
    if task is not None:
        task = task.strip().lower()
        if task == "auto":
            task = None
        elif task not in TASKS:
            raise InputError(f"unknown task {task!r}", hint=f"use --task auto|{'|'.join(TASKS)}")

    missing = np.zeros(arrays[0].shape[0], dtype=bool)
    for array in arrays:
        missing |= _missing_mask(array)
    dropped = int(missing.sum())
    kept = ~missing
    arrays = [array[kept] for array in arrays]
    n = int(kept.sum())
    if n == 0:
        raise InputError(
            f"no usable target values: all {dropped} rows are NaN, infinite or empty",
            column=columns[0] if len(columns) == 1 else None,
        )
    n_predictions = len(predictions) if predictions else 0
    base = {"dropped": dropped, "n_samples": n, "columns": columns, "kept": kept}

    if task is not None:
        return _forced(task, columns, arrays, base, groups=groups)
    if box_format is not None or (
        len(columns) == 4 and _box_format_from_names(columns) is not None
    ):
        found = box_format or _box_format_from_names(columns)
        return TaskInference(
            "detection",
            f"because the 4 target columns are box coordinates ({found})",
            layout=f"4 box columns ({found})",
            target_form="boxes",
            **base,
        )
    if len(columns) > 1:
        return _several_columns(columns, arrays, base)
    inferred = _one_column(columns[0], arrays[0], n_predictions, base)
    if groups is not None:
        return _grouped(inferred, base)
    if n_predictions == 1 and _integer_classes(inferred):
        return _single_prediction_column(inferred, predictions, base)
    return inferred


def _integer_classes(inferred: TaskInference) -> bool:
    """Rule 7 read an integer-valued column as more than 2 classes."""
    return (
        inferred.task == "multiclass"
        and inferred.target_form == "labels"
        and len(inferred.classes) > 2
        and all(isinstance(c, float) for c in inferred.classes)
    )


def _single_prediction_column(
    inferred: TaskInference, predictions: Mapping[str, np.ndarray], base: dict
) -> TaskInference:
    """Rule 8: one prediction column cannot be scores for k > 2 classes (that layout is K
    columns), so integer targets with one prediction column are a regression (or count)
    model's: ratings 1..5 predicted as 3.27, counts predicted as rates (QA issues 3/4)."""
    (pred_name,) = tuple(predictions)
    name = inferred.columns[0]
    k = len(inferred.classes)
    low, high = _format_label(inferred.classes[0]), _format_label(inferred.classes[-1])
    holds = "values"
    try:
        values = np.asarray(predictions[pred_name], dtype=np.float64).reshape(-1)
    except (TypeError, ValueError):  # text predictions: say nothing about their values
        values = np.empty(0)
    kept = base["kept"]
    if values.shape[0] == kept.shape[0]:
        values = values[kept]
    values = values[np.isfinite(values)]
    if values.size:
        fractional = values[values != np.round(values)]
        holds = (
            f"real values (e.g. {float(fractional[0]):.4g})"
            if fractional.size
            else "integers too: predicted values or counts"
        )
    return TaskInference(
        "regression",
        f"because target {name!r} holds integers {low}..{high} and the single prediction "
        f"column {pred_name!r} holds {holds}: a regression (or count) model, not scores for "
        f"{k} classes (those need one column per class)",
        layout="1 value column",
        target_form="values",
        by_predictions=True,
        **base,
    )


def _forced(
    task: str,
    columns: tuple[str, ...],
    arrays: list[np.ndarray],
    base: dict,
    *,
    groups: np.ndarray | None,
) -> TaskInference:
    """``--task`` given: the layout is still described, but nothing is guessed."""
    distinct = [_distinct(a) for a in arrays]
    if all(d.shape[0] < 2 for d in distinct):
        _constant_error(columns, distinct)
    reason = f"because --task {task} was given"
    if task in ("binary", "multiclass", "sequence", "segmentation") and len(columns) == 1:
        classes = tuple(distinct[0].tolist())
        return TaskInference(
            task,
            reason,
            layout=f"1 label column, {len(classes)} classes",
            target_form="labels",
            classes=classes,
            **base,
        )
    if task in ("multiclass", "multilabel") and len(columns) > 1:
        form = "one-hot" if task == "multiclass" else "indicators"
        return TaskInference(
            task,
            reason,
            layout=f"{len(columns)} {form} columns",
            target_form=form,
            classes=columns,
            **base,
        )
    if task == "detection":
        return TaskInference(
            task, reason, layout=f"{len(columns)} box columns", target_form="boxes", **base
        )
    return TaskInference(task, reason, layout=_values_layout(columns), target_form="values", **base)


def _python(value: object) -> object:
    """A NumPy scalar as the plain Python value (so JSON and equality behave)."""
    return value.item() if isinstance(value, np.generic) else value


def _constant_error(columns: tuple[str, ...], distinct: list[np.ndarray]) -> None:
    if len(columns) == 1:
        value = _format_label(_python(distinct[0][0]))
        raise InputError(
            f"the target is constant (every row is {value}): fewer than 2 distinct values, "
            "so there is no task or loss to infer",
            column=columns[0],
        )
    raise InputError(
        f"the {len(columns)} target columns are all constant: fewer than 2 distinct values"
    )


def _values_layout(columns: tuple[str, ...]) -> str:
    return "1 value column" if len(columns) == 1 else f"{len(columns)} value columns"


def _several_columns(
    columns: tuple[str, ...], arrays: list[np.ndarray], base: dict
) -> TaskInference:
    distinct = [_distinct(a) for a in arrays]
    # Only columns with fewer than 2 distinct values can make the union constant.
    if all(d.shape[0] < 2 for d in distinct) and (
        len({_format_label(_python(v)) for d in distinct for v in d}) < 2
    ):
        _constant_error(columns, distinct)
    text_columns = [name for name, a in zip(columns, arrays, strict=True) if not _is_numeric(a)]
    if text_columns:
        raise InputError(
            f"{len(columns)} target columns, of which {text_columns[0]!r} holds text: several "
            "target columns must be numbers (multi-output regression) or 0/1 indicators "
            "(one-hot or multi-label)",
            column=text_columns[0],
            hint="name one label column with --target",
        )
    matrix = np.column_stack([a.astype(np.float64, copy=False) for a in arrays])
    k = len(columns)
    if np.isin(matrix, (0.0, 1.0)).all():
        row_sums = matrix.sum(axis=1)
        if np.all(row_sums == 1.0):
            return TaskInference(
                "multiclass",
                f"because the {k} target columns are 0/1 and every row has exactly one 1 (one-hot)",
                layout=f"{k} one-hot columns",
                target_form="one-hot",
                classes=columns,
                **base,
            )
        share_multi = float(np.mean(row_sums != 1.0))
        note = None
        zero_rows = np.flatnonzero(row_sums == 0.0)
        if row_sums.max() <= 1.0 and zero_rows.size <= max(1, ONE_HOT_STRAY_ROWS * len(row_sums)):
            # One-hot except for a stray all-zero row or two: most likely a missing label.
            first = int(zero_rows[0]) + 1
            note = (
                f"every row has one 1 except {zero_rows.size} all-zero row"
                f"{'s' if zero_rows.size > 1 else ''} (data row {first}"
                f"{' first' if zero_rows.size > 1 else ''}): one-hot with a missing label? "
                "Fix or drop the row, or use --task multiclass"
            )
        return TaskInference(
            "multilabel",
            f"because the {k} target columns are 0/1 and {share_multi:.1%} of rows do not "
            "have exactly one 1 (independent labels)",
            note=note,
            layout=f"{k} indicator columns",
            target_form="indicators",
            classes=columns,
            **base,
        )
    return TaskInference(
        "regression",
        f"because there are {k} numeric target columns that are not all 0/1 "
        "(multi-output regression)",
        layout=f"{k} value columns",
        target_form="values",
        **base,
    )


#: One-hot rows with at most this share of all-zero rows (and none with two 1s) get a note
#: pointing at the first all-zero row: a stray row, not a multi-label target (QA issue 4).
ONE_HOT_STRAY_ROWS = 0.001


def _one_column(name: str, values: np.ndarray, n_predictions: int, base: dict) -> TaskInference:
    n = base["n_samples"]
    distinct = _distinct(values)
    k = int(distinct.shape[0])
    if k < 2:
        _constant_error((name,), [distinct])
    numeric = _is_numeric(values)
    # Plain Python values (tolist, not a per-value loop). A numeric column with more
    # distinct values than any class branch accepts is regression, which needs none of
    # them: keep the first few for the reason instead of 10 million Python floats.
    wanted = k if not numeric or k <= max(MAX_CLASSES, n_predictions) else 8
    classes = tuple(distinct[:wanted].tolist())
    labels = _label_list(classes)

    if k == 2:
        if n_predictions == 2:
            return TaskInference(
                "multiclass",
                f"because target {name!r} has 2 distinct values ({labels}) and there are 2 "
                "prediction columns, one per class",
                layout="1 label column, 2 classes",
                target_form="labels",
                classes=classes,
                **base,
            )
        note = None
        if numeric and set(classes) not in ({0.0, 1.0}, {-1.0, 1.0}):
            note = (
                f"labels {labels} are not 0/1: the larger ({_format_label(classes[1])}) is "
                "taken as the positive class unless --positive names the other"
            )
        elif not numeric:
            note = (
                f"text labels {labels}: {_format_label(classes[1])} is taken as the positive "
                "class unless --positive names the other"
            )
        return TaskInference(
            "binary",
            f"because target {name!r} has exactly 2 distinct values ({labels})",
            note=note,
            layout="1 label column, 2 classes",
            target_form="labels",
            classes=classes,
            **base,
        )

    if not numeric:
        return TaskInference(
            "multiclass",
            f"because target {name!r} holds text labels with {k} distinct values ({labels})",
            layout=f"1 label column, {k} classes",
            target_form="labels",
            classes=classes,
            **base,
        )

    floats = values.astype(np.float64, copy=False)
    if not np.all(floats == np.round(floats)):
        share = float(np.mean(floats != np.round(floats)))
        return TaskInference(
            "regression",
            f"because target {name!r} has non-integral values ({share:.1%} of rows) "
            f"and {k} distinct values",
            layout="1 value column",
            target_form="values",
            **base,
        )

    # Integer-valued: AutoGluon's unique-ratio rule decides between classes and counts.
    ratio = k / n
    limit = LARGE_DATA_UNIQUE_RATIO if n > LARGE_DATA_ROWS else SMALL_DATA_UNIQUE_RATIO
    consecutive = bool(np.array_equal(distinct, np.arange(k, dtype=np.float64)))
    ambiguous = k > AMBIGUOUS_ABOVE_CLASSES or not consecutive
    why_ambiguous = []
    if k > AMBIGUOUS_ABOVE_CLASSES:
        why_ambiguous.append(f"{k} values")
    if not consecutive:
        why_ambiguous.append(f"labels not 0..{k - 1}")
    if n_predictions > 2 and k <= n_predictions:
        # K prediction columns for one integer column: the columns are class scores.
        return TaskInference(
            "multiclass",
            f"because target {name!r} has {k} integer values and there are {n_predictions} "
            "prediction columns, one per class",
            layout=f"1 label column, {k} classes",
            target_form="labels",
            classes=classes,
            **base,
        )
    if k <= MAX_CLASSES and ratio <= limit:
        note = (
            f"ambiguous (counts or ordinal? {', '.join(why_ambiguous)}): use --task regression "
            "to override"
            if ambiguous
            else None
        )
        return TaskInference(
            "multiclass",
            f"because target {name!r} is integer-valued with {k} distinct values among {n} "
            f"rows (k/n = {ratio:.3g} <= {limit:g}, k <= {MAX_CLASSES})",
            ambiguous=ambiguous,
            note=note,
            layout=f"1 label column, {k} classes",
            target_form="labels",
            classes=classes,
            **base,
        )
    why = f"k/n = {ratio:.3g} > {limit:g}" if ratio > limit else f"k = {k} > {MAX_CLASSES}"
    note = (
        f"ambiguous (counts or ordinal? {', '.join(why_ambiguous)}): use --task multiclass "
        "to override"
        if ambiguous
        else None
    )
    return TaskInference(
        "regression",
        f"because target {name!r} is integer-valued with {k} distinct values among {n} rows "
        f"({why}), too many to be classes",
        ambiguous=ambiguous,
        note=note,
        layout="1 value column",
        target_form="values",
        **base,
    )


def _grouped(inferred: TaskInference, base: dict) -> TaskInference:
    """A ``--group`` column: pixels of images (segmentation) or tokens of sequences."""
    if inferred.task == "binary" or (
        inferred.task == "multiclass"
        and inferred.target_form == "labels"
        and all(isinstance(c, float) for c in inferred.classes)
    ):
        segmentation = inferred.task == "binary"
        task = "segmentation" if segmentation else "sequence"
        other = "sequence" if segmentation else "segmentation"
        what = "pixel masks of images" if segmentation else "token ids of sequences"
        return TaskInference(
            task,
            f"because --group is given and the target is {inferred.layout.split(', ')[-1]} "
            f"({what})",
            ambiguous=True,
            note=f"a --group layout can also be {other}: use --task {other} to override",
            layout=inferred.layout + ", grouped",
            target_form="labels",
            classes=inferred.classes,
            **base,
        )
    if inferred.task == "multiclass":  # text labels in groups: tokens
        return TaskInference(
            "sequence",
            "because --group is given and the target holds text tokens",
            layout=inferred.layout + ", grouped",
            target_form="labels",
            classes=inferred.classes,
            **base,
        )
    return inferred


# --------------------------------------------------------------------------- predictions


def describe_predictions(predictions: Mapping[str, np.ndarray]) -> PredictionShape:
    """What the prediction columns look like: sigmoid outputs, softmax rows or logits.

    Non-finite values are ignored. Values outside [0, 1] mean logits (or raw regression
    values); several columns in [0, 1] whose rows sum to 1 (within
    ``SOFTMAX_ROW_TOLERANCE``) are softmax rows; otherwise values in [0, 1] are sigmoid
    outputs (one column, or independent columns).

    Example:
        >>> import numpy as np
        >>> describe_predictions({"p": np.array([0.1, 0.8, 0.4])}).kind
        'sigmoid'
    """
    if not predictions:
        raise InputError("no prediction column to describe")
    names = tuple(predictions)
    # Column after column (vstack, then a transposed view): ~5x faster than column_stack's
    # strided writes, and the row reductions below add whole columns (13 -> 3 ms at
    # 100k x 10, the streamed head); row sums may differ from a C-order sum by an ulp.
    matrix = np.vstack(
        [np.asarray(predictions[name], dtype=np.float64).reshape(-1) for name in names]
    ).T
    k = matrix.shape[1]
    finite = np.isfinite(matrix)
    values = matrix if finite.all() else matrix[finite.all(axis=1)]
    if values.size == 0:
        raise InputError("no finite prediction values", column=names[0] if k == 1 else None)
    low, high = float(values.min()), float(values.max())
    if low < 0.0 or high > 1.0:
        outside = float(np.mean((values < 0.0) | (values > 1.0)))
        return PredictionShape(
            "logits",
            "linear",
            k,
            True,
            f"because {outside:.1%} of prediction values lie outside [0, 1] "
            f"(range {low:.4g} to {high:.4g})",
            low,
            high,
        )
    if k > 1:
        deviation = np.abs(values.sum(axis=1) - 1.0)
        if np.all(deviation <= SOFTMAX_ROW_TOLERANCE):
            return PredictionShape(
                "softmax",
                "softmax",
                k,
                False,
                f"because the {k} prediction columns lie in [0, 1] and every row sums to 1 "
                f"(largest deviation {float(deviation.max()):.2g})",
                low,
                high,
            )
        return PredictionShape(
            "sigmoid",
            "sigmoid",
            k,
            False,
            f"because the {k} prediction columns lie in [0, 1] and "
            f"{float(np.mean(deviation > SOFTMAX_ROW_TOLERANCE)):.1%} of rows do not sum to 1 "
            "(independent probabilities)",
            low,
            high,
        )
    return PredictionShape(
        "sigmoid",
        "sigmoid",
        1,
        False,
        "because the single prediction column lies in [0, 1] (probabilities)",
        low,
        high,
    )


def activation_warnings(
    task: str,
    shape: PredictionShape,
    *,
    n_classes: int | None = None,
    target_range: tuple[float, float] | None = None,
) -> list[str]:
    """Mismatches between the activation the predictions show and the one ``task`` needs.

    Args:
        task: the (inferred or forced) task.
        shape: :func:`describe_predictions` of the prediction columns.
        n_classes: number of classes (multiclass) or labels (multilabel), when known.
        target_range: (min, max) of regression targets, when known.

    Returns:
        One line per mismatch (empty when the predictions fit the task).
    """
    warnings: list[str] = []
    if task == "multilabel" and shape.kind == "softmax":
        warnings.append(
            "prediction rows sum to 1 like softmax outputs, but the task is multi-label: "
            "each label needs its own sigmoid (softmax makes the labels compete)"
        )
    if task in ("multiclass", "sequence") and shape.kind == "sigmoid" and shape.columns > 1:
        warnings.append(
            "prediction rows do not sum to 1 (independent sigmoid outputs?), but the task is "
            "multiclass: it needs a softmax (or --renormalize to rescale the rows)"
        )
    if task in ("multiclass", "multilabel") and n_classes and shape.columns not in (1, n_classes):
        warnings.append(
            f"{shape.columns} prediction columns for {n_classes} "
            f"{'classes' if task == 'multiclass' else 'labels'}"
        )
    if task in ("binary", "segmentation") and shape.kind == "softmax":
        warnings.append(
            "a binary target with softmax rows: one sigmoid output is the usual form "
            "(the softmax over 2 columns is equivalent)"
        )
    if task in ("binary", "multiclass", "multilabel", "segmentation", "sequence") and (
        shape.kind == "logits"
    ):
        warnings.append(
            "predictions lie outside [0, 1]: they are logits, so use the from-logits form "
            "(--from-logits)"
        )
    if task == "regression" and shape.kind in ("sigmoid", "softmax") and target_range is not None:
        low, high = target_range
        if low < 0.0 or high > 1.0:
            warnings.append(
                f"predictions all lie in [0, 1] ({shape.kind}-like) but the targets range from "
                f"{low:.4g} to {high:.4g}: regression needs a linear output"
            )
    return warnings
