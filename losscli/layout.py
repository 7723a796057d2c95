"""From table columns to the arrays a loss takes: column roles, then a layout plan.

Two steps, so that a stream of chunks is laid out identically chunk after chunk:

1. :func:`resolve_roles` decides from the file headers which columns are targets,
   predictions, weights, ids, groups, orders and slices (``--target`` … or the
   default names of SPEC §3).
2. :func:`plan_layout` decides ONCE, from the first rows, everything that must not
   change between chunks: the task (SPEC §5, :mod:`losscli.inference`), the classes and
   their order, the binary positive label, which prediction column is which class
   (by name, ``dog``/``p_dog``, or by position for integer labels), one-hot versus
   sparse targets and the box format. :meth:`LayoutPlan.arrays` then turns any chunk
   (one table per input file, rows aligned) into a :class:`Layout` of NumPy arrays,
   and names the file, line and column of anything that does not fit the plan.

The streaming and Dask engines call ``plan.arrays(chunk)`` on every chunk and merge
the loss states (:mod:`losscli.evaluation`); the in-memory path is the one-chunk case.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

import numpy as np

from losscli.errors import InputError

TASKS = (
    "regression",
    "binary",
    "multiclass",
    "multilabel",
    "segmentation",
    "detection",
    "sequence",
)
BOX_FORMATS = ("xyxy", "xywh", "cxcywh")

# SPEC §3 default roles, in order of preference.
TARGET_NAMES = ("y_true", "target", "label", "y", "actual")
PREDICTION_NAMES = ("y_pred", "prediction", "pred", "yhat", "score", "prob")
PREDICTION_PREFIXES = ("pred_", "p_")
# Our extension (docs/compute.md): several target columns named true_*/target_*/gt_*
# (multi-label, multi-output and box layouts) are targets when no single name matches.
TARGET_PREFIXES = ("true_", "target_", "gt_")

# A prediction column names its class after one of these prefixes: "p_dog" is class "dog".
CLASS_PREFIXES = ("y_pred_", "pred_", "prob_", "proba_", "logit_", "logits_", "score_", "p_")
# A target column names its class or label after one of these: "true_dog" is "dog".
TARGET_CLASS_PREFIXES = ("y_true_", "true_", "target_", "gt_", "label_", "is_", "y_")

# SPEC §2: probability rows must sum to 1 within this tolerance (else --renormalize).
ROW_SUM_TOLERANCE = 1e-6


class TableLike(Protocol):
    """What the layout needs from a table (``losscli.io.Table`` or a chunk of one)."""

    name: str
    columns: dict[str, np.ndarray]

    @property
    def n_rows(self) -> int: ...

    def line_of(self, row: int) -> int: ...

    def line_numbers(self) -> np.ndarray: ...

    def numeric(self, column: str) -> np.ndarray: ...

    def column(self, name: str) -> np.ndarray: ...


# --------------------------------------------------------------------------- roles


@dataclass(frozen=True)
class ColumnRef:
    """A column of one input file (``source`` 0 is the first file given)."""

    source: int
    name: str


@dataclass(frozen=True)
class Roles:
    """Which columns play which part. With two files, targets come from file 0 and
    predictions from file 1; the other roles from whichever file has the column."""

    files: tuple[str, ...]
    targets: tuple[ColumnRef, ...]
    predictions: tuple[ColumnRef, ...]
    weight: ColumnRef | None = None
    id: ColumnRef | None = None
    group: ColumnRef | None = None
    order: ColumnRef | None = None
    group_by: ColumnRef | None = None
    notes: tuple[str, ...] = ()

    def singles(self) -> dict[str, ColumnRef]:
        """The one-column roles that are set, by role name."""
        roles = {
            "weight": self.weight,
            "id": self.id,
            "group": self.group,
            "order": self.order,
            "group_by": self.group_by,
        }
        return {role: ref for role, ref in roles.items() if ref is not None}

    def needed(self, source: int) -> list[str]:
        """The columns to read from file ``source`` (only these are materialised)."""
        names: list[str] = []
        for ref in (*self.targets, *self.predictions, *self.singles().values()):
            if ref.source == source and ref.name not in names:
                names.append(ref.name)
        if self.id is not None and len(self.files) > 1 and self.id.name not in names:
            names.append(self.id.name)  # the join key is in both files
        return names

    def describe(self) -> dict[str, Any]:
        """The ``columns`` object of the JSON report."""
        described: dict[str, Any] = {
            "target": [ref.name for ref in self.targets],
            "prediction": [ref.name for ref in self.predictions],
        }
        for role, ref in self.singles().items():
            described[role] = ref.name
        return described


def _select(available: Sequence[str], spec: str, file: str) -> list[str]:
    """Names, comma lists and globs (``p_*``) through the shared reader helper."""
    from losscli.io import select_columns

    return list(select_columns(available, spec, file=file))


def resolve_roles(
    headers: Sequence[Sequence[str]],
    files: Sequence[str],
    *,
    target: str | None = None,
    prediction: str | None = None,
    weight: str | None = None,
    id_column: str | None = None,
    group: str | None = None,
    order: str | None = None,
    group_by: str | None = None,
) -> Roles:
    """Column roles from the header(s) and the options (SPEC §3 defaults when not given).

    Raises:
        InputError: a named column is missing (the available ones are listed), or no
            target/prediction column can be found.
    """
    if len(headers) not in (1, 2) or len(headers) != len(files):
        raise InputError(
            f"give one file, or a targets file and a predictions file; got {len(files)}"
        )
    two = len(headers) == 2
    singles: dict[str, ColumnRef | None] = {}
    for role, spec in (
        ("weight", weight),
        ("group", group),
        ("order", order),
        ("group_by", group_by),
    ):
        singles[role] = (
            None if spec is None else _single(headers, files, spec, "--" + role.replace("_", "-"))
        )
    id_ref = None
    if id_column is not None:
        id_ref = _single(headers, files, id_column, "--id")
        if two:
            for source in (0, 1):  # a join key must be in both files
                _select(headers[source], id_column, files[source])
            id_ref = ColumnRef(0, id_ref.name)
    taken = {ref.name for ref in singles.values() if ref is not None}
    if id_ref is not None:
        taken.add(id_ref.name)
    notes: list[str] = []
    if two and id_ref is None and (target is None or prediction is None):
        # An id column in both files is a key, not a target/prediction pair.
        for name in headers[0]:
            if name in headers[1] and _looks_like_id(name) and name not in taken:
                taken.add(name)
                notes.append(
                    f"column {name!r} is in both files and looks like an id: left out "
                    f"(rows pair by order; --id {name} joins on it)"
                )

    target_source, prediction_source = (0, 1) if two else (0, 0)
    target_names = _role_columns(
        headers[target_source], files[target_source], target, taken, "target", two
    )
    pred_available = [n for n in headers[prediction_source] if not (not two and n in target_names)]
    prediction_names = _role_columns(
        pred_available,
        files[prediction_source],
        prediction,
        taken,
        "prediction",
        two,
        all_names=headers[prediction_source],
    )
    overlap = set(target_names) & set(prediction_names) if not two else set()
    if overlap:
        name = sorted(overlap)[0]
        raise InputError(
            f"column {name!r} is both a target and a prediction", file=files[0], column=name
        )
    return Roles(
        files=tuple(files),
        targets=tuple(ColumnRef(target_source, n) for n in target_names),
        predictions=tuple(ColumnRef(prediction_source, n) for n in prediction_names),
        weight=singles["weight"],
        id=id_ref,
        group=singles["group"],
        order=singles["order"],
        group_by=singles["group_by"],
        notes=tuple(notes),
    )


def _looks_like_id(name: str) -> bool:
    lowered = name.strip().lower()
    return lowered in ("id", "key", "index", "row", "uid", "uuid") or lowered.endswith(
        ("_id", "_key", "-id")
    )


def _single(
    headers: Sequence[Sequence[str]], files: Sequence[str], spec: str, option: str
) -> ColumnRef:
    """A one-column role: looked up in the first file, then the second."""
    for source, header in enumerate(headers):
        if spec in header:
            return ColumnRef(source, spec)
    for source, header in enumerate(headers):
        try:
            names = _select(header, spec, files[source])
        except InputError:
            continue
        if len(names) != 1:
            raise InputError(
                f"{option} takes one column, but {spec!r} matches {len(names)}",
                file=files[source],
            )
        return ColumnRef(source, names[0])
    # Not found anywhere: the reader helper's message lists the available columns.
    _select(headers[0], spec, files[0])
    raise InputError(f"no column {spec!r} for {option}", file=files[0])  # pragma: no cover


def _role_columns(
    available: Sequence[str],
    file: str,
    spec: str | None,
    taken: set[str],
    role: str,
    two_files: bool,
    all_names: Sequence[str] | None = None,
) -> list[str]:
    if spec is not None:
        return _select(all_names if all_names is not None else available, spec, file)
    free = [n for n in available if n not in taken]
    if two_files:  # SPEC §3: every other column of that file plays the role
        if not free:
            raise InputError(f"no {role} column left in the file", file=file)
        return free
    lowered = {n.lower(): n for n in free}
    names = TARGET_NAMES if role == "target" else PREDICTION_NAMES
    for candidate in names:
        if candidate in lowered:
            return [lowered[candidate]]
    prefixes = TARGET_PREFIXES if role == "target" else PREDICTION_PREFIXES
    prefixed = [n for n in free if n.lower().startswith(prefixes)]
    if prefixed:
        return prefixed
    looked = ", ".join((*names, *(p + "*" for p in prefixes)))
    listed = ", ".join(repr(n) for n in (all_names or available))
    option = "--target" if role == "target" else "--pred"
    raise InputError(
        f"no {role} column found (looked for {looked}); available columns: {listed}",
        file=file,
        hint=f"name it with {option}",
    )


def read_inputs(
    files: Sequence[str],
    *,
    target: str | None = None,
    prediction: str | None = None,
    weight: str | None = None,
    id_column: str | None = None,
    group: str | None = None,
    order: str | None = None,
    group_by: str | None = None,
    delimiter: str | None = None,
    has_header: bool = True,
    encoding: str = "utf-8",
) -> tuple[Roles, list[Any]]:
    """Read one file, or a targets and a predictions file (paired by order or ``--id``):
    the headers, then the roles, then only the columns the roles need.

    Returns:
        (roles, tables): one ``losscli.io.Table`` per file, rows aligned.
    """
    from losscli.io import pair_tables, read_header, read_table

    if len(files) not in (1, 2):
        raise InputError(
            f"give one file, or a targets file and a predictions file; got {len(files)} files"
        )
    if len(files) == 2 and files[0] == files[1] == "-":
        raise InputError("standard input ('-') can be only one of the two files")
    read = {"delimiter": delimiter, "has_header": has_header, "encoding": encoding}
    headers = [read_header(path, **read) for path in files]
    names = ["<stdin>" if path == "-" else path for path in files]
    roles = resolve_roles(
        headers,
        names,
        target=target,
        prediction=prediction,
        weight=weight,
        id_column=id_column,
        group=group,
        order=order,
        group_by=group_by,
    )
    tables = [
        read_table(path, columns=roles.needed(source), **read) for source, path in enumerate(files)
    ]
    if len(tables) == 2:
        tables = list(pair_tables(tables[0], tables[1], id_column=id_column))
    return roles, tables


# --------------------------------------------------------------------------- the plan


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
    """

    plan: LayoutPlan
    y_true: np.ndarray
    y_pred: np.ndarray
    sample_weight: np.ndarray | None
    groups: np.ndarray | None
    slices: np.ndarray | None
    ids: np.ndarray | None
    rows: np.ndarray
    prediction_lines: np.ndarray

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
            rows=self.rows[mask],
            prediction_lines=self.prediction_lines[mask],
        )

    def output(self, index: int) -> Layout:
        """Regression output ``index`` alone (``--per-output``)."""
        return replace(self, y_true=self.y_true[:, index], y_pred=self.y_pred[:, index])

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
        outside = (matrix < 0.0) | (matrix > 1.0)
        if outside.any():
            row, col = np.argwhere(outside)[0]
            raise InputError(
                f"prediction {matrix[row, col]:g} is outside [0, 1], so it is not a probability",
                file=plan.prediction_file,
                line=int(self.prediction_lines[row]),
                column=plan.prediction_columns[col],
                hint="are these logits? use --from-logits",
            )
        if rows_sum_to_one and matrix.shape[1] > 1:
            sums = matrix.sum(axis=1)
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
        rows = np.arange(n)
        lines = prediction_table.line_numbers()
        layout = Layout(self, y_true, y_pred, weight, groups, slices, ids, rows, lines)
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
        matrix = np.column_stack([table.numeric(ref.name) for ref in refs])
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
        sums = matrix.sum(axis=1)
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
        matrix = np.column_stack([table.numeric(name) for name in self.prediction_columns])
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


def _label_column(table: TableLike, name: str) -> np.ndarray:
    raw = table.column(name)
    if raw.dtype.kind == "f":
        return table.numeric(name)  # NaN/inf named with its line
    if raw.dtype.kind in "iub":
        return raw.astype(np.float64)
    keys = raw.astype(str)
    empty = np.char.str_len(np.char.strip(keys)) == 0
    if empty.any():
        row = int(np.argmax(empty))
        raise InputError(
            "empty label",
            file=table.name,
            line=table.line_of(row),
            column=name,
            hint="remove or fill missing labels",
        )
    return raw


def _target_column(table: TableLike, name: str, task: str) -> np.ndarray:
    """A target column for inference. A text column whose values are mostly numbers is a
    numeric column with a bad value: name its line rather than guess text labels."""
    raw = _label_column(table, name)
    if raw.dtype != object or task not in ("auto", "regression", "detection"):
        return raw
    if task in ("regression", "detection"):
        return table.numeric(name)
    unique = np.unique(raw.astype(str))
    parsed = sum(_is_number_text(text) for text in unique)
    if len(unique) - parsed > 0 and parsed >= max(3, len(unique) / 2):
        return table.numeric(name)  # raises, naming the first unparsable value
    return raw


def _is_number_text(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def factorize(values: np.ndarray) -> tuple[np.ndarray, list[Any]]:
    """(codes, uniques) with ``uniques[codes] == values``, without a per-row conversion:
    NumPy's sort for numbers, one dict pass for text (sorting Python strings is slower)."""
    if values.dtype.kind in "iubf":
        uniques, codes = np.unique(values, return_inverse=True)
        return codes.reshape(-1), uniques.tolist()
    seen: dict[Any, int] = {}
    codes = np.fromiter(
        (seen.setdefault(v, len(seen)) for v in values), dtype=np.int64, count=len(values)
    )
    return codes, list(seen)


def _factorize_keys(values: np.ndarray) -> tuple[np.ndarray, list[str]]:
    """(codes, keys): like :func:`factorize`, with each distinct value as its text key
    (``1.0`` -> ``"1"``, text stripped); equal keys may repeat in ``keys``."""
    codes, uniques = factorize(values)
    return codes, [label_key(u) if not isinstance(u, str) else u.strip() for u in uniques]


def _key_array(values: np.ndarray) -> np.ndarray:
    """Labels as text keys, one per row: integral floats print as integers (1.0 -> "1")."""
    codes, keys = _factorize_keys(values)
    return np.array(keys, dtype=object)[codes] if len(keys) else np.array([], dtype=object)


def label_key(value: Any) -> str:
    """One label as its text key (the form ``--positive`` and column names are matched in)."""
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return str(int(value))
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return str(int(value))
    text = str(value).strip()
    try:
        number = float(text)
    except ValueError:
        return text
    return str(int(number)) if number.is_integer() and "." in text else text


def class_name(column: str) -> str:
    """``p_dog`` -> ``dog``: a prediction column's class (the name itself without a prefix)."""
    lowered = column.lower()
    for prefix in CLASS_PREFIXES:
        if lowered.startswith(prefix) and len(column) > len(prefix):
            return column[len(prefix) :]
    return column


def target_class_name(column: str) -> str:
    """``true_dog`` -> ``dog``: a target column's class or label name."""
    lowered = column.lower()
    for prefix in TARGET_CLASS_PREFIXES:
        if lowered.startswith(prefix) and len(column) > len(prefix):
            return column[len(prefix) :]
    return column


def _pair_columns(targets: Sequence[str], predictions: Sequence[str]) -> tuple[list[str], str]:
    """Prediction columns reordered to match the targets: by class name when the names
    agree as sets (``true_dog``/``p_dog``), else by position."""
    target_keys = [target_class_name(t) for t in targets]
    prediction_keys = {class_name(p): p for p in predictions}
    if len(prediction_keys) == len(predictions) and set(target_keys) == set(prediction_keys):
        return [prediction_keys[key] for key in target_keys], "name"
    return list(predictions), "position"


# --------------------------------------------------------------------------- planning

Inferrer = Callable[..., Any]


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
    inference = infer(
        targets,
        predictions,
        task=None if options.task == "auto" else options.task,
        groups=groups,
        box_format=options.box_format,
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


def _label_sort_key(key: str) -> tuple[int, float, str]:
    try:
        return (0, float(key), key)
    except ValueError:
        return (1, 0.0, key)


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
    present = sorted({str(x) for x in _key_array(np.unique(values))}, key=_label_sort_key)
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


def _is_int_text(text: str) -> bool:
    try:
        return float(text).is_integer()
    except ValueError:
        return False


def _is_index(text: str, k: int) -> bool:
    return _is_int_text(text) and 0 <= float(text) < k


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
