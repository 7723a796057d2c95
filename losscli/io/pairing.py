"""Pairing a targets table with a predictions table: by row order, or joined on an id."""

from __future__ import annotations

import numpy as np

from losscli.errors import InputError
from losscli.io.table import Table

# How many offending ids an error message names before "…".
MAX_NAMED_IDS = 5


def pair_tables(
    targets: Table, predictions: Table, *, id_column: str | None = None
) -> tuple[Table, Table]:
    """Rows of ``targets`` and ``predictions`` that belong together, in the same order.

    Without ``id_column`` rows pair by position and the row counts must match. With it, the
    tables are joined on that column (present in both): every id must occur exactly once on
    each side; the result follows the targets' order.

    Raises:
        InputError: a row-count mismatch, a missing id column, duplicated ids, or ids that
            occur on one side only (naming some of them, with their lines).
    """
    if id_column is None:
        if targets.n_rows != predictions.n_rows:
            raise InputError(
                f"{targets.n_rows} target rows but {predictions.n_rows} prediction rows "
                f"in {predictions.name}; rows pair by order",
                file=targets.name,
                hint="give --id COLUMN to join the files on an id column",
            )
        return targets, predictions
    left = _ids(targets, id_column)
    right = _ids(predictions, id_column)
    _no_duplicates(targets, left, id_column)
    _no_duplicates(predictions, right, id_column)
    order = np.argsort(right, kind="stable")
    sorted_right = right[order]
    position = np.searchsorted(sorted_right, left)
    position_clipped = np.minimum(position, max(len(sorted_right) - 1, 0))
    found = (position < len(sorted_right)) & (sorted_right[position_clipped] == left)
    if not found.all():
        _missing(targets, predictions, left, ~found, id_column, right)
    if len(right) != len(left):
        in_left = np.isin(right, left)
        _missing(predictions, targets, right, ~in_left, id_column, left)
    matched = order[position]
    return targets, predictions.take(matched)


def _ids(table: Table, column: str) -> np.ndarray:
    if column not in table.columns:
        from losscli.io.columns import unknown_column_error

        raise unknown_column_error(column, table.names, file=table.name)
    values = table.columns[column]
    # Ids compare exactly, as the layout's group keys do (losscli.layout.labels): the
    # readers give id columns as the text written in a CSV file ("01", "1" and "1.0" are
    # three ids; surrounding spaces ignored) and Parquet integers as integers (exact beyond
    # 2**53). Only a float column (a Parquet double, or a table read without
    # ``text_columns``) compares as numbers, 7.0 as "7".
    if values.dtype == np.float64:
        return np.array([_id_text(v) for v in values.tolist()], dtype=object).astype(str)
    if values.dtype.kind in "iu":
        return values.astype(str)
    return np.char.strip(values.astype(str))


def _id_text(value: float) -> str:
    return str(int(value)) if value.is_integer() else repr(value)


def _no_duplicates(table: Table, ids: np.ndarray, column: str) -> None:
    unique, counts = np.unique(ids, return_counts=True)
    if (counts > 1).any():
        duplicated = unique[counts > 1]
        rows = np.flatnonzero(ids == duplicated[0])
        named = ", ".join(repr(str(d)) for d in duplicated[:MAX_NAMED_IDS])
        more = (
            f" and {len(duplicated) - MAX_NAMED_IDS} more"
            if len(duplicated) > MAX_NAMED_IDS
            else ""
        )
        raise InputError(
            f"duplicated ids {named}{more} (first repeat of {str(duplicated[0])!r} also on line "
            f"{table.line_of(int(rows[0]))})",
            file=table.name,
            line=table.line_of(int(rows[1])),
            column=column,
            hint="each id must occur once in each file",
        )


def _missing(
    table: Table,
    other: Table,
    ids: np.ndarray,
    absent: np.ndarray,
    column: str,
    other_ids: np.ndarray,
) -> None:
    rows = np.flatnonzero(absent)
    hint = "both files must hold the same ids"
    near = _same_number(str(ids[rows[0]]), other_ids)
    if near is not None:
        hint = (
            f"ids compare as written: {str(ids[rows[0]])!r} and {near!r} in {other.name} are "
            "different ids; write them alike in both files"
        )
    named = ", ".join(repr(str(ids[r])) for r in rows[:MAX_NAMED_IDS])
    more = f" and {len(rows) - MAX_NAMED_IDS} more" if len(rows) > MAX_NAMED_IDS else ""
    raise InputError(
        f"{len(rows)} id{'s' * (len(rows) != 1)} not found in {other.name}: {named}{more}",
        file=table.name,
        line=table.line_of(int(rows[0])),
        column=column,
        hint=hint,
    )


def _same_number(text: str, others: np.ndarray) -> str | None:
    """An id of ``others`` that differs from ``text`` only in how the number is written
    ("1" and "1.0", "7" and "007"), for the hint; None when there is none."""
    from losscli.io.table import parse_number

    number = parse_number(text)
    if number is None or not np.isfinite(number):
        return None
    for other in others[:100_000].tolist():  # the error path only; bounded
        value = parse_number(str(other))
        if value == number:
            return str(other)
    return None
