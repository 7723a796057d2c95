"""The plan decided once and the :class:`Layout` it makes of every chunk."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from losscli.errors import InputError
from losscli.layout.labels import (
    TableLike,
    _factorize_keys,
    _is_int_text,
    _key_array,
    _label_column,
    factorize,
)
from losscli.layout.roles import Roles

# SPEC §2: probability rows must sum to 1 within this tolerance (else --renormalize).
ROW_SUM_TOLERANCE = 1e-6


def _stack_columns(columns: Sequence[np.ndarray]) -> np.ndarray:
    """The (n, K) matrix of K columns of n values.

    ``np.vstack(columns).T`` copies each column contiguously (a Fortran-ordered result),
    ~2.6x faster than ``np.column_stack``, whose strided writes cost 0.04 s per 1 M x 10;
    the losses accept either memory order (same values, measured 1 M x 10, 2026-11-23).
    """
    return np.vstack(columns).T


def _row_sums(matrix: np.ndarray) -> np.ndarray:
    """Row sums of an (n, K) matrix for the probability-row checks.

    ``einsum`` avoids the per-row pairwise-reduction overhead of ``sum(axis=1)`` for small
    K (~5x faster at 1 M x 10); it adds in a different order, so sums may differ by an
    ulp, far below ``ROW_SUM_TOLERANCE``.
    """
    return np.einsum("ij->i", matrix)


# The bits of 1.0 as an unsigned integer: a float64 whose bits are at most this is a
# non-negative number no greater than 1 (sign bit clear, not NaN), see _all_in_unit_interval.
_ONE_BITS = np.float64(1.0).view(np.uint64)


def _all_in_unit_interval(matrix: np.ndarray) -> bool:
    """True when every value is certainly in [0, 1]; False when one may not be (the
    caller then looks for it with the exact test).

    Non-negative float64 values order like their bits read as unsigned integers, while a
    set sign bit (negatives, -0.0) or a NaN reads as more than 1.0's bits: one integer
    ``max`` decides, ~3x faster than building ``(m < 0) | (m > 1)`` and ~2x faster than
    ``min`` plus ``max`` (1 M x 10 in 47,662-row chunks: 10.0 -> 3.5 ms, 2026-11-23).
    -0.0 (in range) falls through to the exact test, which accepts it.
    """
    if matrix.size == 0:
        return True
    if matrix.dtype == np.float64:
        return bool(matrix.view(np.uint64).max() <= _ONE_BITS)
    if matrix.dtype.kind in "iuf":
        return bool(matrix.min() >= 0.0 and matrix.max() <= 1.0)
    return False


def _numeric_matrix(table: TableLike, names: Sequence[str]) -> np.ndarray:
    """The (n, K) matrix of the float64 columns ``names``, all finite.

    Equal to stacking ``table.numeric(name)`` for each name, which scans every column
    for NaN/inf; probability columns are proven finite by one pass over the stacked
    matrix instead (:func:`_all_in_unit_interval`), and anything else falls back to
    those per-column checks, which name the file, line and column of a bad value.
    """
    columns = [table.column(name) for name in names]
    if all(column.dtype == np.float64 for column in columns):
        matrix = _stack_columns(columns)
        if _all_in_unit_interval(matrix) or np.isfinite(matrix).all():
            return matrix
    return _stack_columns([table.numeric(name) for name in names])


def _all_sums_near_one(sums: np.ndarray) -> bool:
    """True when no ``abs(sum - 1) > ROW_SUM_TOLERANCE``, from the smallest and largest
    sum alone (rounding ``s - 1.0`` is monotonic in ``s``; a NaN makes it False)."""
    if sums.size == 0:
        return True
    return bool(sums.min() - 1.0 >= -ROW_SUM_TOLERANCE and sums.max() - 1.0 <= ROW_SUM_TOLERANCE)


@dataclass(frozen=True)
class LayoutOptions:
    """The command-line choices that shape the layout."""

    task: str = "auto"
    positive: str | None = None
    from_logits: bool = False
    renormalize: bool = False
    box_format: str | None = None
    pooled: bool = False  # --global: one pooled mask instead of per-image Dice


@dataclass
class Layout:
    """One chunk laid out for the losses (SPEC §2 API shapes).

    Attributes:
        plan: the plan that made it (task, classes, …).
        y_true: regression (n,) or (n, k); binary (n,) 0/1; multiclass/sequence (n,) int
            class indices or (n, K) distributions (``plan.target_form``); multilabel
            (n, K) 0/1; segmentation (n,) 0/1 or class indices; detection (n, 4) xyxy.
        y_pred: (n,) or (n, k)/(n, K) in class order; (n, 4) xyxy boxes.
        sample_weight: (n,) or None.
        groups: image or sequence ids (n,) or None (``--global`` pools them).
        slices: ``--group-by`` values as text (n,) or None.
        ids: ``--id`` values as text (n,) or None.
        rows: the 0-based input row of every sample (after a ``--order`` sort).
        prediction_lines: the 1-based line of every sample in the predictions file.
        target_lines: the 1-based line of every sample in the targets file (None: the
            same as ``prediction_lines``, one file).
    """

    plan: LayoutPlan
    y_true: np.ndarray
    y_pred: np.ndarray
    sample_weight: np.ndarray | None
    groups: np.ndarray | None
    slices: np.ndarray | None
    ids: np.ndarray | None
    # Built on first use (--per-sample, --order, error locations), not for every chunk:
    # None stands for rows 0..n-1, an int for consecutive lines from that line on.
    _rows: np.ndarray | None
    _prediction_lines: np.ndarray | int
    target_lines: np.ndarray | None = None

    @property
    def rows(self) -> np.ndarray:
        if self._rows is None:
            self._rows = np.arange(self.n_samples)
        return self._rows

    @property
    def prediction_lines(self) -> np.ndarray:
        if not isinstance(self._prediction_lines, np.ndarray):
            first = int(self._prediction_lines)
            self._prediction_lines = np.arange(first, first + self.n_samples, dtype=np.int64)
        return self._prediction_lines

    @property
    def task(self) -> str:
        return self.plan.task

    @property
    def weights(self) -> np.ndarray | None:
        """Alias of ``sample_weight`` (the engines' name)."""
        return self.sample_weight

    @property
    def n_samples(self) -> int:
        return int(self.y_true.shape[0])

    def subset(self, mask: np.ndarray) -> Layout:
        """The samples where ``mask`` is true (``--group-by`` slices)."""

        def pick(values: np.ndarray | None) -> np.ndarray | None:
            return None if values is None else values[mask]

        return Layout(
            plan=self.plan,
            y_true=self.y_true[mask],
            y_pred=self.y_pred[mask],
            sample_weight=pick(self.sample_weight),
            groups=pick(self.groups),
            slices=pick(self.slices),
            ids=pick(self.ids),
            _rows=self.rows[mask],
            _prediction_lines=self.prediction_lines[mask],
            target_lines=pick(self.target_lines),
        )

    def output(self, index: int) -> Layout:
        """Regression output ``index`` alone (``--per-output``)."""
        return replace(self, y_true=self.y_true[:, index], y_pred=self.y_pred[:, index])

    def locate(
        self, argument: str | None, row: int | None, output: int | None = None
    ) -> tuple[str, int | None, str | None]:
        """(file, line, column) of array ``row`` of a loss argument (``y_true``, ``y_pred``,
        ``sample_weight``, ``groups``): where a loss's InputError points in the input.
        The column is named when the argument comes from one column, or when ``output``
        says which of its (n, k) columns (multi-output regression)."""
        plan, roles = self.plan, self.plan.roles
        target_lines = self.target_lines if self.target_lines is not None else None
        if argument in ("sample_weight", "groups"):
            ref = roles.weight if argument == "sample_weight" else roles.group
            if ref is None:  # not from a column (cannot happen from the CLI)
                return plan.target_file, None, None
            same = ref.source == roles.predictions[0].source or target_lines is None
            lines = self.prediction_lines if same else target_lines
            file, columns = roles.files[ref.source], (ref.name,)
        elif argument == "y_pred":
            file, lines, columns = (
                plan.prediction_file,
                self.prediction_lines,
                plan.prediction_columns,
            )
        else:
            lines = target_lines if target_lines is not None else self.prediction_lines
            file, columns = plan.target_file, plan.target_columns
        line = int(lines[row]) if row is not None and 0 <= row < len(lines) else None
        if len(columns) == 1:
            return file, line, columns[0]
        known = output is not None and 0 <= output < len(columns)
        return file, line, columns[output] if known else None

    def can_give(self, kind: str) -> bool:
        """Whether :meth:`target_as` can give ``kind`` (hard labels need one-hot rows)."""
        if kind in ("labels", "tokens") and self.plan.target_form == "distribution":
            return bool(
                np.isin(self.y_true, (0.0, 1.0)).all() and np.all(self.y_true.sum(axis=1) == 1.0)
            )
        return True

    def target_as(self, kind: str) -> np.ndarray:
        """The targets in the form a loss expects (``LossSpec.target``)."""
        plan = self.plan
        form = plan.target_form
        if kind in ("labels", "tokens"):
            if form == "labels":
                return self.y_true
            if form == "distribution":
                if not self.can_give(kind):
                    raise InputError(
                        "this loss needs hard class labels, but the targets are soft "
                        "(rows are not one-hot)",
                        file=plan.roles.files[0],
                        hint="use cce, which takes soft labels",
                    )
                return np.argmax(self.y_true, axis=1)
        if kind == "distribution" and form == "labels":
            one_hot = np.zeros((self.n_samples, len(plan.classes)), dtype=np.float64)
            one_hot[np.arange(self.n_samples), self.y_true] = 1.0
            return one_hot
        if kind == "mask" and form == "labels" and self.y_pred.ndim == 2:
            return self.target_one_hot()
        if form == "labels" and plan.task in ("binary", "segmentation"):
            return self.y_true.astype(np.float64)
        return self.y_true

    def target_one_hot(self) -> np.ndarray:
        one_hot = np.zeros((self.n_samples, len(self.plan.classes)), dtype=np.float64)
        one_hot[np.arange(self.n_samples), self.y_true] = 1.0
        return one_hot

    def check_probabilities(self, *, rows_sum_to_one: bool) -> None:
        """Predictions must be probabilities: in [0, 1] (else suggest ``--from-logits``)
        and, for a softmax, rows summing to 1 (else suggest ``--renormalize``).

        Raises:
            InputError: naming the predictions file, line and column of the first bad value.
        """
        plan = self.plan
        matrix = self.y_pred.reshape(self.n_samples, -1)
        # The masks below only locate a bad value, once a fast check has seen one.
        outside = None if _all_in_unit_interval(matrix) else (matrix < 0.0) | (matrix > 1.0)
        if outside is not None and outside.any():
            row, col = np.argwhere(outside)[0]
            shown = repr(float(matrix[row, col]))  # as written: %g made 1.0000001 "1"
            raise InputError(
                f"prediction {shown} is outside [0, 1], so it is not a probability",
                file=plan.prediction_file,
                line=int(self.prediction_lines[row]),
                column=plan.prediction_columns[col],
                hint="are these logits? use --from-logits",
            )
        if rows_sum_to_one and matrix.shape[1] > 1:
            sums = _row_sums(matrix)
            if _all_sums_near_one(sums):
                return
            bad = np.abs(sums - 1.0) > ROW_SUM_TOLERANCE
            if bad.any():
                row = int(np.argmax(bad))
                raise InputError(
                    f"the class probabilities sum to {sums[row]:.10g}, not 1",
                    file=plan.prediction_file,
                    line=int(self.prediction_lines[row]),
                    hint="rescale the rows with --renormalize, or use --from-logits for logits",
                )


@dataclass
class LayoutPlan:
    """Everything decided once, from the first rows; applied to every chunk by
    :meth:`arrays`. See the module docstring."""

    task: str
    reason: str
    roles: Roles
    options: LayoutOptions
    target_form: str  # values | labels | distribution | indicators | boxes
    classes: tuple[str, ...] = ()
    label_codes: Mapping[str, int] = field(default_factory=dict)
    class_mapping: str = ""  # "name" or "position" (multiclass labels)
    positive: str | None = None
    negative: str | None = None
    target_columns: tuple[str, ...] = ()
    prediction_columns: tuple[str, ...] = ()
    box_format: str | None = None
    ambiguous: bool = False
    notes: list[str] = field(default_factory=list)

    @property
    def prediction_file(self) -> str:
        return self.roles.files[self.roles.predictions[0].source]

    @property
    def target_file(self) -> str:
        return self.roles.files[self.roles.targets[0].source]

    @property
    def from_logits(self) -> bool:
        return self.options.from_logits

    @property
    def pixel_task(self) -> str | None:
        """Segmentation: the task of one pixel (``binary`` mask or ``multiclass`` ids),
        whose losses also apply per pixel; None for other tasks."""
        if self.task != "segmentation":
            return None
        return "multiclass" if self.classes else "binary"

    @property
    def columns(self) -> list[str] | None:
        """The columns to read from a single input file (None with two files)."""
        return self.roles.needed(0) if len(self.roles.files) == 1 else None

    def describe(self) -> dict[str, Any]:
        """The layout part of the JSON report."""
        described: dict[str, Any] = {"target_form": self.target_form}
        if self.classes:
            described["classes"] = list(self.classes)
            if self.class_mapping:
                described["class_mapping"] = self.class_mapping
        if self.positive is not None:
            described["positive_label"] = self.positive
            described["negative_label"] = self.negative
        if self.box_format:
            described["box_format"] = self.box_format
        if self.task in ("segmentation", "sequence") or self.roles.group is not None:
            described["pooled"] = self.options.pooled
        return described

    # -- applying the plan to a chunk -------------------------------------------------

    def arrays(self, *tables: TableLike) -> Layout:
        """Lay out one chunk: one table per input file, rows aligned.

        Raises:
            InputError: a value that does not fit the plan (a third label for a binary
                task, a label out of range, a NaN, a negative weight …), naming the file,
                line and column.
        """
        roles = self.roles
        if len(tables) != len(roles.files):
            raise ValueError(f"expected {len(roles.files)} tables, got {len(tables)}")
        n = tables[0].n_rows
        for table in tables[1:]:
            if table.n_rows != n:
                raise InputError(
                    f"{tables[0].name} has {n} data rows but {table.name} has {table.n_rows}",
                    hint="pair the rows with --id",
                )
        if n == 0:
            raise InputError("no data rows", file=tables[0].name, hint="the file has only a header")
        prediction_table = tables[roles.predictions[0].source]
        y_true = self._targets(tables)
        y_pred = self._predictions(tables)
        weight = None
        if roles.weight is not None:
            table = tables[roles.weight.source]
            weight = table.numeric(roles.weight.name)
            negative = weight < 0
            if negative.any():
                row = int(np.argmax(negative))
                raise InputError(
                    f"weight {weight[row]:g} is negative",
                    file=table.name,
                    line=table.line_of(row),
                    column=roles.weight.name,
                )
        groups = None
        if roles.group is not None:
            # Text keys, not raw numbers: a chunk whose id column was read as text must
            # name the same image as a chunk read as numbers ("1" and 1.0 alike).
            groups = _key_array(tables[roles.group.source].column(roles.group.name))
        slices = None
        if roles.group_by is not None:
            slices = _key_array(tables[roles.group_by.source].column(roles.group_by.name))
        ids = None
        if roles.id is not None:
            ids = _key_array(tables[roles.id.source].column(roles.id.name))
        # Consecutive lines (the common case) stay a first line until someone asks.
        lines = (
            prediction_table.lines
            if prediction_table.lines is not None
            else int(prediction_table.first_line)
        )
        target_table = tables[roles.targets[0].source]
        target_lines = None if target_table is prediction_table else target_table.line_numbers()
        layout = Layout(
            self, y_true, y_pred, weight, groups, slices, ids, None, lines, target_lines
        )
        if roles.order is not None:
            order = tables[roles.order.source].numeric(roles.order.name)
            group_codes = (
                factorize(tables[roles.group.source].column(roles.group.name))[0]
                if roles.group is not None
                else np.zeros(n, dtype=np.int64)
            )
            # Stable sort by (sequence, position): tokens in order within each sequence.
            permutation = np.lexsort((order, group_codes))
            layout = layout.subset(permutation)
        return layout

    def _targets(self, tables: Sequence[TableLike]) -> np.ndarray:
        refs = self.roles.targets
        table = tables[refs[0].source]
        form = self.target_form
        if form == "labels":
            name = refs[0].name
            raw = _label_column(table, name)
            if self.task == "binary" or (self.task == "segmentation" and not self.classes):
                return self._binary_codes(table, name, raw)
            return self._class_codes(table, name, raw)
        if form == "values" and len(refs) == 1:
            return table.numeric(refs[0].name)  # one column: no (n, 1) copy
        matrix = _stack_columns([table.numeric(ref.name) for ref in refs])
        if form == "values":
            return matrix[:, 0] if matrix.shape[1] == 1 else matrix
        if form == "boxes":
            return self._boxes(table, [ref.name for ref in refs], matrix)
        if form == "indicators":
            not_binary = ~np.isin(matrix, (0.0, 1.0))
            if not_binary.any():
                row, col = np.argwhere(not_binary)[0]
                raise InputError(
                    f"multi-label targets must be 0 or 1, got {matrix[row, col]:g}",
                    file=table.name,
                    line=table.line_of(row),
                    column=refs[col].name,
                )
            return matrix
        # distribution: one-hot or soft labels, each row a probability distribution
        outside = (matrix < 0.0) | (matrix > 1.0)
        if outside.any():
            row, col = np.argwhere(outside)[0]
            raise InputError(
                f"one-hot or soft-label targets must lie in [0, 1], got {matrix[row, col]:g}",
                file=table.name,
                line=table.line_of(row),
                column=refs[col].name,
            )
        sums = _row_sums(matrix)
        bad = np.abs(sums - 1.0) > ROW_SUM_TOLERANCE
        if bad.any():
            row = int(np.argmax(bad))
            raise InputError(
                "one-hot or soft-label target rows must sum to 1, "
                f"this one sums to {sums[row]:.10g}",
                file=table.name,
                line=table.line_of(row),
            )
        return matrix

    def _binary_codes(self, table: TableLike, name: str, raw: np.ndarray) -> np.ndarray:
        codes, keys = _factorize_keys(raw)
        lookup = np.array(
            [1 if k == self.positive else 0 if k == self.negative else -1 for k in keys],
            dtype=np.int64,
        )
        labels = lookup[codes]
        other = labels < 0
        if other.any():
            row = int(np.argmax(other))
            raise InputError(
                f"label {keys[codes[row]]!r} is a third label: a binary target takes two "
                f"({self.negative!r} and {self.positive!r})",
                file=table.name,
                line=table.line_of(row),
                column=name,
                hint="use --task multiclass for more than two classes",
            )
        return labels

    def _class_codes(self, table: TableLike, name: str, raw: np.ndarray) -> np.ndarray:
        inverse, keys = _factorize_keys(raw)
        lookup = np.array([self.label_codes.get(k, -1) for k in keys], dtype=np.int64)
        codes = lookup[inverse]
        unknown = codes < 0
        if unknown.any():
            weight = self._padding_mask(table)
            if weight is not None:
                # Padding tokens (weight 0) may hold any id; they never reach the loss.
                unknown &= weight != 0
                codes = np.where(codes < 0, 0, codes)
        if unknown.any():
            row = int(np.argmax(unknown))
            raise InputError(
                self._unknown_label_message(keys[inverse[row]]),
                file=table.name,
                line=table.line_of(row),
                column=name,
                hint="select the class columns with --pred",
            )
        return codes

    def _padding_mask(self, table: TableLike) -> np.ndarray | None:
        weight = self.roles.weight
        if (
            self.task != "sequence"
            or weight is None
            or weight.source != self.roles.targets[0].source
        ):
            return None
        return table.numeric(weight.name)

    def _unknown_label_message(self, key: str) -> str:
        k = len(self.classes)
        if self.class_mapping == "position" or (
            _is_int_text(key) and all(_is_int_text(c) for c in self.classes)
        ):
            return (
                f"label {key} is out of range: the {k} prediction columns hold classes "
                f"{self.classes[0]}..{self.classes[-1]}"
            )
        shown = ", ".join(self.classes[:8]) + (", …" if k > 8 else "")
        return f"label {key!r} has no prediction column (classes: {shown})"

    def _predictions(self, tables: Sequence[TableLike]) -> np.ndarray:
        refs = self.roles.predictions
        table = tables[refs[0].source]
        if len(self.prediction_columns) == 1 and self.target_form != "boxes":
            return table.numeric(self.prediction_columns[0])  # one column: no copy
        matrix = _numeric_matrix(table, self.prediction_columns)
        if self.target_form == "boxes":
            return self._boxes(table, list(self.prediction_columns), matrix)
        if matrix.shape[1] == 1:
            return matrix[:, 0]
        if (
            self.options.renormalize
            and not self.options.from_logits
            and self.task
            in (
                "multiclass",
                "sequence",
                "segmentation",
            )
        ):
            sums = matrix.sum(axis=1, keepdims=True)
            zero = sums[:, 0] <= 0
            if zero.any():
                row = int(np.argmax(zero))
                raise InputError(
                    "the class probabilities sum to 0, so the row cannot be rescaled",
                    file=table.name,
                    line=table.line_of(row),
                )
            matrix = matrix / sums
        return matrix

    def _boxes(self, table: TableLike, names: list[str], matrix: np.ndarray) -> np.ndarray:
        """Boxes as xyxy; widths/heights must be >= 0 and corners ordered."""
        box_format = self.box_format or "xyxy"
        if box_format == "xyxy":
            boxes = matrix
            bad = (boxes[:, 2] < boxes[:, 0]) | (boxes[:, 3] < boxes[:, 1])
            what = "x2 < x1 or y2 < y1"
        else:
            width, height = matrix[:, 2], matrix[:, 3]
            bad = (width < 0) | (height < 0)
            what = "a negative width or height"
            if box_format == "xywh":
                x1, y1 = matrix[:, 0], matrix[:, 1]
            else:  # cxcywh: centre and size
                x1, y1 = matrix[:, 0] - width / 2.0, matrix[:, 1] - height / 2.0
            boxes = np.column_stack([x1, y1, x1 + width, y1 + height])
        if bad.any():
            row = int(np.argmax(bad))
            raise InputError(
                f"box ({', '.join(f'{v:g}' for v in matrix[row])}) has {what} "
                f"for --box-format {box_format}",
                file=table.name,
                line=table.line_of(row),
                column=",".join(names),
                hint="check --box-format (xyxy, xywh or cxcywh)",
            )
        return boxes
