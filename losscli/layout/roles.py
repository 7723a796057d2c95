"""Column roles: which columns are targets, predictions, weights, ids, groups, orders
and slices, from the headers and the options (SPEC §3 defaults when not given)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from losscli.errors import InputError

# SPEC §3 default roles, in order of preference.
TARGET_NAMES = ("y_true", "target", "label", "y", "actual")
PREDICTION_NAMES = ("y_pred", "prediction", "pred", "yhat", "score", "prob")
PREDICTION_PREFIXES = ("pred_", "p_")
# Our extension (docs/compute.md): several target columns named true_*/target_*/gt_*
# (multi-label, multi-output and box layouts) are targets when no single name matches.
TARGET_PREFIXES = ("true_", "target_", "gt_")


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

    def key_columns(self) -> list[str]:
        """The id and group-key columns, which readers keep as written (``text_columns``)
        so that keys compare exactly: "01", "1" and "1.0" are three keys, and ids beyond
        2**53 stay distinct (float64 would merge them)."""
        values = {ref.name for ref in (*self.targets, *self.predictions)}
        return [
            ref.name
            for ref in (self.id, self.group, self.group_by)
            if ref is not None and ref.name not in values
        ]

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
    # A --group-by column may also be the target (slices by true class: --group-by label),
    # so it only keeps a column from the default roles when no other column is left.
    taken = {ref.name for role, ref in singles.items() if ref is not None and role != "group_by"}
    slice_ref = singles["group_by"]
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
    if two and slice_ref is not None:
        # With two files every other column plays the role: the slice column is not one
        # of them, unless it is the only column left (then it is the target as well).
        header = headers[slice_ref.source]
        if any(n not in taken and n != slice_ref.name for n in header):
            taken = taken | {slice_ref.name}
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


def _is_pandas_index(name: str) -> bool:
    """``__index_level_0__``: the index pandas writes into Parquet; never a default role."""
    return name.startswith("__index_level_") and name.endswith("__")


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
    free = [n for n in available if n not in taken and not _is_pandas_index(n)]
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
    hint = f"name it with {option}"
    names_seen = list(all_names or available)
    if len(names_seen) == 1:
        # One column whose name holds a separator: the file uses another delimiter.
        for separator, shown in ((";", "';'"), ("\t", "tab"), ("|", "'|'")):
            if separator in names_seen[0]:
                option_text = "$'\\t'" if separator == "\t" else shown
                hint = f"the header looks {shown}-separated: use --delimiter {option_text}"
                break
    raise InputError(
        f"no {role} column found (looked for {looked}); available columns: {listed}",
        file=file,
        hint=hint,
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
    keys = roles.key_columns()  # compared exactly (as written), not as float64 numbers
    tables = [
        read_table(path, columns=roles.needed(source), text_columns=keys, **read)
        for source, path in enumerate(files)
    ]
    if len(tables) == 2:
        tables = list(pair_tables(tables[0], tables[1], id_column=id_column))
    return roles, tables
