"""Whole-input evidence for the streaming/Dask layout plan: a pre-pass over the targets.

The in-memory path decides the task, the classes and the binary labels from every row.
A streamed input used to decide them from the first 100 k rows of the first file, so a
file sorted by its label ("every row is 0" in the head) or a glob whose first file
holds one class was refused or mis-laid-out (QA, issues 6/7). The plan is now decided
from evidence over the WHOLE input:

1. The head (the first rows of the first file) is planned first. When what it shows
   cannot change with more rows -- :func:`head_is_final`: non-integral numbers with 3+
   values (regression whatever follows), more than 1000 integer values, every class of
   the prediction columns already present, ``--task regression`` -- that plan is kept
   and nothing more is read (the 10 M-row regression benchmark pays nothing).
2. Otherwise a pre-pass reads ONLY the target column(s) of every file
   (:func:`summarise_targets`; polars' lazy scans with projection, read as text) and
   gathers a mergeable :class:`TargetSummary`: rows, the distinct values (capped at
   :data:`DISTINCT_CAP`), which values are text or non-integral, and for several 0/1
   columns how many rows do not sum to 1.
3. The plan is decided by the ordinary ``plan_layout`` on a *representative head*
   (:func:`representative_head`): the head, plus one witness row for every value the
   head does not show, padded to the row count that the unique-ratio rule sees, so
   task inference applies the same rules (SPEC §5) to the same evidence as the
   in-memory path. The reason sentence is then reworded with the whole input's counts
   (:func:`reword_reason`), never the head's.

Witness rows carry negative line numbers; an error the plan raises about one is
re-pointed at the file and line where the value really is (:func:`locate_witness`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

#: Distinct values kept per target column: one more than the most classes task
#: inference accepts (``losscli.inference.MAX_CLASSES`` = 1000), enough to decide.
DISTINCT_CAP = 1001
#: The unique-ratio rule (k/n <= 0.05 above 1000 rows) cannot refuse k <= 1000 classes
#: beyond this many rows, so the representative head never needs more rows than this.
RATIO_ROWS = 20_001


@dataclass
class ColumnSummary:
    """One target column over the whole input.

    Attributes:
        values: label key -> (value, the first file it appears in), in order of first
            appearance, at most :data:`DISTINCT_CAP`; floats (numbers) or str (text).
        overflow: more distinct values than were kept.
        n: rows with a value (not empty).
        text: rows whose value is not a number.
        nonintegral: numeric rows with a fractional part.
        text_example, nonintegral_example: one such value (a witness), if any.
    """

    values: dict[str, tuple[Any, str]] = field(default_factory=dict)
    overflow: bool = False
    n: int = 0
    text: int = 0
    nonintegral: int = 0
    text_example: tuple[str, str] | None = None
    nonintegral_example: tuple[float, str] | None = None

    def add_values(self, values: Sequence[Any], file: str) -> None:
        from losscli.layout import label_key

        for value in values:
            key = label_key(value)
            if key in self.values:
                continue
            if len(self.values) >= DISTINCT_CAP:
                self.overflow = True
                return
            self.values[key] = (value, file)

    @property
    def distinct(self) -> int:
        """Distinct values seen (a lower bound when :attr:`overflow`)."""
        return len(self.values)


@dataclass
class TargetSummary:
    """The target columns of every file: mergeable counts and distinct values.

    Attributes:
        columns: per target column, a :class:`ColumnSummary`.
        rows: data rows of all files.
        not_one_hot: rows of several 0/1 target columns whose sum is not 1.
        files: files summarised.
        exact: True when it covers every row (a pre-pass), False for a head alone.
    """

    columns: dict[str, ColumnSummary]
    rows: int = 0
    not_one_hot: int = 0
    files: int = 0
    exact: bool = True

    @property
    def n(self) -> int:
        """Rows with every target present (the rows task inference keeps)."""
        return min((c.n for c in self.columns.values()), default=0)


# --- the pre-pass -----------------------------------------------------------------


def summarise_targets(
    paths: Sequence[str], targets: Sequence[str], read_options: Mapping[str, Any]
) -> TargetSummary:
    """Read only the target columns of every file and summarise them (mergeable).

    Plain CSV and Parquet files go through polars' lazy scan with projection (measured
    in docs/performance.md); compressed or transcoded files through the streaming reader.
    """
    summary = TargetSummary({name: ColumnSummary() for name in targets})
    for path in paths:
        _summarise_file(summary, str(path), list(targets), dict(read_options))
        summary.files += 1
    return summary


def _summarise_file(
    summary: TargetSummary, path: str, targets: list[str], options: dict[str, Any]
) -> None:
    from losscli.io.sources import polars_failures, resolve

    source = resolve(
        path, delimiter=options.get("delimiter"), encoding=options.get("encoding", "utf-8")
    )
    if source.compression is None and (source.format == "parquet" or not source.transcode):
        try:
            frame = _polars_summary(source, targets, options)
        except polars_failures():
            frame = None  # the careful reader below names the problem
        if frame is not None:
            _merge_polars(summary, frame, targets, source.name)
            return
    _summarise_with_reader(summary, path, targets, options, source.name)


def _polars_summary(source: Any, targets: list[str], options: dict[str, Any]) -> Any:
    """The summary row of one file: targets parsed as numbers (the fast path, measured in
    docs/performance.md), or read as text when a value is not a number."""
    import polars as pl

    from losscli.io.sources import polars_failures

    if source.format == "parquet":
        lazy = pl.scan_parquet(source.path).select(targets)
        schema = lazy.collect_schema()
        numeric = all(schema[name].is_numeric() or schema[name] == pl.Boolean for name in targets)
        kind = pl.Float64 if numeric else pl.String
        return _collect(lazy.select([pl.col(n).cast(kind) for n in targets]), targets, numeric)
    from losscli.io import read_header

    names = read_header(
        source.name if source.name != "<stdin>" else source.path,
        delimiter=options.get("delimiter"),
        has_header=options.get("has_header", True),
        encoding=options.get("encoding", "utf-8"),
    )

    def scan(kind: Any) -> Any:
        return pl.scan_csv(
            source.path,
            has_header=options.get("has_header", True),
            new_columns=names,
            separator=source.delimiter,
            quote_char='"',
            infer_schema=False,
            schema_overrides={name: kind for name in targets},
            raise_if_empty=False,
            truncate_ragged_lines=False,
        ).select(targets)

    try:
        return _collect(scan(pl.Float64), targets, True)
    except polars_failures():  # a value that is not a number: every value as text
        return _collect(scan(pl.String), targets, False)


def _collect(lazy: Any, targets: list[str], numeric: bool) -> dict[str, Any]:
    return lazy.select(summary_expressions(targets, numeric=numeric)).collect().row(0, named=True)


def summary_expressions(targets: Sequence[str], *, numeric: bool = False) -> list[Any]:
    """The polars expressions of a file's summary, over target columns read as Float64
    (``numeric``) or as text."""
    import polars as pl

    expressions: list[Any] = [pl.len().alias("rows")]
    numbers = []
    for index, name in enumerate(targets):
        if numeric:
            text = pl.col(name)
            number = text
            present = number.is_not_null()
            is_text = pl.lit(False)
        else:
            text = pl.col(name).str.strip_chars()
            present = text.is_not_null() & (text != "")
            number = text.cast(pl.Float64, strict=False)
            is_text = present & number.is_null()
        numbers.append(number)
        fractional = number.is_finite() & (number != number.round())
        # NaN/inf targets are not values: the streaming reader names their line.
        usable = present & (number.is_null() | number.is_finite())
        expressions += [
            text.filter(usable)
            .unique(maintain_order=True)
            .head(DISTINCT_CAP)
            .implode()
            .alias(f"values{index}"),
            present.sum().alias(f"n{index}"),
            is_text.sum().alias(f"text{index}"),
            fractional.sum().alias(f"fractional{index}"),
            text.filter(is_text).first().alias(f"text_example{index}"),
            number.filter(fractional).first().alias(f"fractional_example{index}"),
        ]
    if len(targets) > 1:
        expressions.append((pl.sum_horizontal(numbers) != 1.0).sum().alias("not_one_hot"))
    return expressions


def _merge_polars(
    summary: TargetSummary, row: dict[str, Any], targets: list[str], file: str
) -> None:
    summary.rows += int(row["rows"])
    for index, name in enumerate(targets):
        column = summary.columns[name]
        column.add_values([_number_or_text(v) for v in row[f"values{index}"] or ()], file)
        if len(row[f"values{index}"] or ()) >= DISTINCT_CAP:
            column.overflow = True
        column.n += int(row[f"n{index}"] or 0)
        column.text += int(row[f"text{index}"] or 0)
        column.nonintegral += int(row[f"fractional{index}"] or 0)
        if column.text_example is None and row[f"text_example{index}"] is not None:
            column.text_example = (row[f"text_example{index}"], file)
        example = row[f"fractional_example{index}"]
        if column.nonintegral_example is None and example is not None:
            column.nonintegral_example = (float(example), file)
    if len(targets) > 1:
        summary.not_one_hot += int(row["not_one_hot"] or 0)


def _number_or_text(text: str) -> Any:
    try:
        return float(text)
    except ValueError:
        return text


def _summarise_with_reader(
    summary: TargetSummary, path: str, targets: list[str], options: dict[str, Any], file: str
) -> None:
    """Compressed, transcoded or unusual files: the streaming reader, chunk by chunk,
    each chunk summarised by the same expressions as the fast path."""

    from losscli.io import iter_tables

    for table in iter_tables(path, columns=targets, chunk_rows=1_000_000, **options):
        _merge_polars(summary, _table_row(table, targets), targets, file)


def _table_row(table: Any, targets: list[str]) -> dict[str, Any]:
    """The summary row of a table (a chunk, or the head)."""
    import polars as pl

    if all(table.columns[name].dtype == np.float64 for name in targets):
        return _float_row(table, targets)
    if all(table.columns[name].dtype.kind == "f" for name in targets):
        frame = pl.DataFrame({name: table.columns[name] for name in targets})
        return _collect(frame.lazy(), targets, True)
    frame = pl.DataFrame(
        {name: _as_text(table.columns[name]) for name in targets},
        schema={name: pl.String for name in targets},
    )
    return _collect(frame.lazy(), targets, False)


def _float_row(table: Any, targets: list[str]) -> dict[str, Any]:
    """:func:`summary_expressions` (``numeric``) computed by NumPy on float64 columns,
    whose empty cells are NaN with ``table.missing`` set: the same row as polars gives
    (the tests compare them), without building a polars frame of the head (~20 ms of
    first-use cost on the streamed path)."""
    row: dict[str, Any] = {"rows": table.n_rows}
    numbers = []
    for index, name in enumerate(targets):
        values = table.columns[name]
        missing = table.missing.get(name)
        present = np.ones(len(values), dtype=bool) if missing is None else ~missing
        finite = np.isfinite(values)
        usable = values[present & finite]
        _, first = np.unique(usable, return_index=True)
        ordered = usable[np.sort(first)[:DISTINCT_CAP]]  # first appearances, in order
        fractional = finite & (values != np.round(values))
        fractions = values[fractional]
        row[f"values{index}"] = ordered.tolist()
        row[f"n{index}"] = int(present.sum())
        row[f"text{index}"] = 0
        row[f"fractional{index}"] = len(fractions)
        row[f"text_example{index}"] = None
        row[f"fractional_example{index}"] = float(fractions[0]) if len(fractions) else None
        numbers.append(values if missing is None else np.where(missing, 0.0, values))
    if len(targets) > 1:
        total = numbers[0].copy()
        with np.errstate(over="ignore", invalid="ignore"):  # inf and NaN sums are "not 1"
            for column in numbers[1:]:
                total += column
        row["not_one_hot"] = int(np.count_nonzero(total != 1.0))
    return row


def _as_text(values: np.ndarray) -> Any:
    import polars as pl

    if values.dtype.kind == "f":
        return pl.Series(values).cast(pl.String)
    return ["" if v is None else str(v) for v in values.tolist()]


def summarise_table(table: Any, targets: Sequence[str]) -> TargetSummary:
    """The :class:`TargetSummary` of one table (the head): ``exact=False``, since it
    covers only the first rows."""

    summary = TargetSummary({name: ColumnSummary() for name in targets}, exact=False)
    _merge_polars(summary, _table_row(table, list(targets)), list(targets), table.name)
    summary.files = 1
    return summary


# --- deciding the plan ------------------------------------------------------------


def head_is_final(plan: Any, head: TargetSummary) -> bool:
    """Whether the plan decided from the head cannot change with more rows.

    More rows only add distinct values, text values, fractional values and rows that
    are not one-hot. So: a regression shown by 3+ values with a fractional one, or by
    more than 1000 integers; a forced task that needs no values (regression, detection,
    several class columns); a forced binary task whose two labels are both in the head;
    a label column whose every class (prediction column) is in the head. Any other
    value later is then an error in both the in-memory and the streamed paths.
    """
    from losscli.inference import MAX_CLASSES

    options = plan.options
    forced = options.task != "auto"
    task = plan.task
    if forced and task in ("regression", "detection"):
        return True
    names = list(head.columns)
    if len(names) > 1:
        if forced and task in ("multiclass", "multilabel"):
            return True
        return task == "regression" and any(
            column.text or set(column.values) - {"0", "1"} for column in head.columns.values()
        )
    column = head.columns[names[0]]
    if column.text and task == "regression":
        return False
    if task == "regression":
        return (column.nonintegral > 0 and column.distinct >= 3) or column.distinct > MAX_CLASSES
    if task == "binary" or (task == "segmentation" and not plan.classes):
        return forced and column.distinct == 2
    if task in ("multiclass", "sequence", "segmentation") and plan.label_codes:
        return set(plan.label_codes) <= set(column.values)
    return False


@dataclass(frozen=True)
class Witness:
    """A value the head does not show, added as a row of the representative head."""

    column: str | None  # None: the all-zero row of several 0/1 columns
    value: Any
    file: str


def representative_head(
    head: Any, summary: TargetSummary, head_summary: TargetSummary
) -> tuple[Any, list[Witness]]:
    """The head plus one row per target value (and kind of row) it does not show, padded
    to the rows the unique-ratio rule needs: a table on which ``plan_layout`` decides
    what it would decide on the whole input. Witness ``i`` is on line ``-(i + 1)``."""
    from losscli.io import concat_tables

    names = list(summary.columns)
    several = len(names) > 1
    witnesses: list[Witness] = []
    for name in names:
        column, seen = summary.columns[name], head_summary.columns[name]
        for key, (value, file) in column.values.items():
            if key in seen.values or (several and key in ("0", "1")):
                continue
            witnesses.append(Witness(name, value, file))
        if column.text and not seen.text and column.text_example is not None:
            witnesses.append(Witness(name, *column.text_example))
        if column.nonintegral and not seen.nonintegral and column.nonintegral_example is not None:
            witnesses.append(Witness(name, *column.nonintegral_example))
    if several and summary.not_one_hot and not head_summary.not_one_hot:
        witnesses.append(Witness(None, 0.0, head.name))
    parts = [head]
    if witnesses:
        extra = head.take(np.zeros(len(witnesses), dtype=np.int64))
        for name in names:
            extra.columns[name] = _witness_column(head.columns[name], name, witnesses)
        extra.lines = -np.arange(1, len(witnesses) + 1, dtype=np.int64)
        extra.missing = {}
        parts.append(extra)
    rows = head.n_rows + len(witnesses)
    wanted = min(summary.n, RATIO_ROWS)
    if rows < wanted:
        parts.append(head.take(np.zeros(wanted - rows, dtype=np.int64)))
    if len(parts) > 1 and any(part.columns[n].dtype == object for part in parts for n in names):
        parts = [_as_keys(part, names) for part in parts]
    return concat_tables(parts), witnesses


def _witness_column(first: np.ndarray, name: str, witnesses: list[Witness]) -> np.ndarray:
    values = [
        w.value if w.column == name else (0.0 if w.column is None else first[0]) for w in witnesses
    ]
    if first.dtype.kind == "f" and all(isinstance(v, float) for v in values):
        return np.array(values, dtype=np.float64)
    return np.array(values, dtype=object)


def _as_keys(table: Any, names: Sequence[str]) -> Any:
    """Target columns as text keys (``1.0`` -> ``"1"``) when one part holds text, so
    that numbers and text compare as the in-memory reader's text column would."""
    from losscli.layout.labels import _key_array

    columns = dict(table.columns)
    for name in names:
        values = columns[name]
        columns[name] = (
            _key_array(values)
            if values.dtype != object
            else np.array(
                [v if isinstance(v, str) else _key_array(np.array([v]))[0] for v in values],
                dtype=object,
            )
        )
    return dataclasses.replace(table, columns=columns)


def inferrer(summary: TargetSummary) -> Any:
    """``losscli.inference.infer_task`` whose reason gives the counts of ``summary``."""
    from losscli.inference import infer_task

    def infer(targets, predictions=None, *, task=None, groups=None, box_format=None):
        result = infer_task(targets, predictions, task=task, groups=groups, box_format=box_format)
        if task is not None:
            return result
        reason = reword_reason(result, summary, n_predictions=len(predictions or {}))
        return dataclasses.replace(result, reason=reason)

    return infer


def reword_reason(result: Any, summary: TargetSummary, *, n_predictions: int = 0) -> str:
    """The inference's reason with the counts of the whole input (or, for a head alone,
    of "the first N rows"), never the head's distinct count as if it were the file's."""
    from losscli.inference import (
        LARGE_DATA_ROWS,
        LARGE_DATA_UNIQUE_RATIO,
        MAX_CLASSES,
        SMALL_DATA_UNIQUE_RATIO,
    )

    if getattr(result, "by_predictions", False):
        return result.reason  # decided by the prediction column, not the counts
    names = tuple(result.columns)
    n = summary.n
    rows = f"{n:,} rows" if summary.exact else f"the first {n:,} rows"
    if len(names) > 1:
        if result.task == "multilabel" and n:
            share = summary.not_one_hot / n
            return (
                f"because the {len(names)} target columns are 0/1 and {share:.1%} of {rows} "
                "do not have exactly one 1 (independent labels)"
            )
        return result.reason
    column = summary.columns.get(names[0]) if names else None
    if column is None or not n:
        return result.reason
    name = names[0]
    k = column.distinct
    k_text = f"more than {MAX_CLASSES:,}" if column.overflow else f"{k:,}"
    if result.task == "regression" and column.nonintegral:
        share = column.nonintegral / max(column.n, 1)
        if summary.exact:
            return (
                f"because target {name!r} has non-integral values ({share:.1%} of {rows}) "
                f"and {k_text} distinct values"
            )
        return (
            f"because target {name!r} has non-integral values ({share:.1%} of {rows}), "
            "so it holds numbers, not classes"
        )
    limit = LARGE_DATA_UNIQUE_RATIO if n > LARGE_DATA_ROWS else SMALL_DATA_UNIQUE_RATIO
    if result.task == "regression":
        if column.overflow or k > MAX_CLASSES:
            why = f"k > {MAX_CLASSES}"
        else:
            why = f"k/n = {k / n:.3g} > {limit:g}"
        return (
            f"because target {name!r} is integer-valued with {k_text} distinct values among "
            f"{rows} ({why}), too many to be classes"
        )
    if result.task == "multiclass" and result.target_form == "labels":
        if column.text:
            if not column.overflow:
                return result.reason
            return f"because target {name!r} holds text labels with {k_text} distinct values"
        if n_predictions > 2 and k <= n_predictions:
            return result.reason  # decided by the prediction columns, not the counts
        return (
            f"because target {name!r} is integer-valued with {k_text} distinct values among "
            f"{rows} (k/n = {k / n:.3g} <= {limit:g}, k <= {MAX_CLASSES})"
        )
    return result.reason


def locate_witness(
    error: Exception, witnesses: Sequence[Witness], read_options: Mapping[str, Any]
) -> Exception:
    """An error the plan raised about a witness row, pointed at the file and line where
    its value really is (found by reading that file again: the error path only)."""
    from losscli.errors import LossCliError

    line = getattr(error, "line", None)
    if not isinstance(error, LossCliError) or line is None or line >= 0:
        return error
    index = -line - 1
    if index >= len(witnesses):
        return error
    witness = witnesses[index]
    found = None
    if witness.column is not None:
        found = _first_line_of(witness, read_options)
    return type(error)(
        error.message, file=witness.file, line=found, column=error.column, hint=error.hint
    )


def _first_line_of(witness: Witness, read_options: Mapping[str, Any]) -> int | None:
    from losscli.io import iter_tables
    from losscli.layout import label_key
    from losscli.layout.labels import _key_array

    wanted = label_key(witness.value)
    for table in iter_tables(
        witness.file, columns=[witness.column], chunk_rows=1_000_000, **read_options
    ):
        keys = _key_array(table.columns[witness.column])
        hits = np.flatnonzero(keys == wanted)
        if hits.size:
            return table.line_of(int(hits[0]))
    return None
