"""The in-memory table every reader returns: named 1-D columns plus where each row came from.

A :class:`Table` is deliberately small: the readers fill it, the layout code takes columns out
of it, and error messages ask it for the file line of a row. Numeric columns are ``float64``;
anything else is an ``object`` array of ``str`` (labels, ids), stored literally.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np

from losscli.errors import InputError

# A number as polars' CSV parser reads one: ASCII decimal or scientific notation, or an
# inf/infinity/nan spelling in any case, with an optional sign. Python's float() also takes
# "1_000" and non-ASCII digits ("１２"), which polars does not: both readers use this.
NUMBER_PATTERN = re.compile(
    r"[+-]?(?:(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?|inf|infinity|nan)",
    # ASCII: without it IGNORECASE also lets "ınf" (dotless i) and "İnf" match, which
    # float() then refuses.
    re.IGNORECASE | re.ASCII,
)
# Characters that no number polars parses holds but float() tolerates.
_NOT_IN_NUMBERS = re.compile(r"[^\x00-\x7f]|_")


def parse_number(text: str) -> float | None:
    """``text`` as a float when it is a number polars would parse (surrounding ASCII spaces
    allowed), else None."""
    stripped = text.strip(" \t")
    if NUMBER_PATTERN.fullmatch(stripped) is None:
        return None
    return float(stripped)


@dataclass
class Table:
    """Named columns read from one file (or a chunk of one).

    Attributes:
        name: the path as the user gave it (``"<stdin>"`` for ``-``); used in messages.
        columns: 1-D arrays in file order, ``float64`` for numeric columns, ``object`` (str)
            otherwise. All columns have the same length.
        first_line: the 1-based file line of data row 0 (2 with a header, 1 without). For
            Parquet, which has no lines, it is the 1-based row number (1).
        lines: the 1-based file line of every row when rows do not follow each other one line
            apart (blank lines skipped, quoted fields spanning lines, rows taken out of order).
            ``None`` means row ``i`` is on line ``first_line + i``.
        missing: for numeric columns that had empty fields, a boolean mask of them (the value
            stored there is NaN); lets :meth:`numeric` say "empty" rather than "NaN".
        text_at: ``text_at(column, line)`` re-reads one field as written in the file (CSV
            only; None when unknown). Only error messages use it: an infinite value whose
            text is ``-1e400`` (an overflow) is named as written.
    """

    name: str
    columns: dict[str, np.ndarray]
    first_line: int = 2
    lines: np.ndarray | None = field(default=None, repr=False)
    missing: Mapping[str, np.ndarray] = field(default_factory=dict, repr=False)
    text_at: Callable[[str, int], str | None] | None = field(
        default=None, repr=False, compare=False
    )

    @property
    def n_rows(self) -> int:
        """The number of data rows."""
        for values in self.columns.values():
            return len(values)
        return 0 if self.lines is None else len(self.lines)

    @property
    def names(self) -> list[str]:
        """The column names, in file order."""
        return list(self.columns)

    def line_of(self, row: int) -> int:
        """The 1-based file line on which data row ``row`` (0-based) starts."""
        if self.lines is not None:
            return int(self.lines[row])
        return self.first_line + int(row)

    def line_numbers(self) -> np.ndarray:
        """The 1-based line of every row, as an int64 array."""
        if self.lines is not None:
            return np.asarray(self.lines, dtype=np.int64)
        return np.arange(self.first_line, self.first_line + self.n_rows, dtype=np.int64)

    def column(self, name: str) -> np.ndarray:
        """The raw column (float64 or object); an unknown name lists the available ones."""
        try:
            return self.columns[name]
        except KeyError:
            available = ", ".join(repr(n) for n in self.names)
            raise InputError(
                f"no column {name!r}; available columns: {available}", file=self.name
            ) from None

    def numeric(self, column: str) -> np.ndarray:
        """Column ``column`` as finite float64 values.

        Raises:
            InputError: naming the file, line and column of the first value that is empty,
                not a number, NaN or infinite.
        """
        values = self.column(column)
        if values.dtype == np.float64:
            finite = np.isfinite(values)
            if finite.all():
                return values
            row = int(np.argmin(finite))
            mask = self.missing.get(column)
            if mask is not None and mask[row]:
                message = "empty value where a number is needed"
            else:
                shown = _number_text(values[row])
                if np.isinf(values[row]) and self.text_at is not None:
                    # "-1e400" and "-inf" both parse to -inf: name an overflow as written
                    text = (self.text_at(column, self.line_of(row)) or "").strip()
                    if text and text.lstrip("+-").lower() not in ("inf", "infinity"):
                        shown = text
                message = f"value {shown} is not a finite number"
            raise InputError(
                message,
                file=self.name,
                line=self.line_of(row),
                column=column,
                hint="remove or fill missing and non-finite values",
            )
        if values.dtype.kind in "iub":
            return values.astype(np.float64)
        return self._parse_numbers(column, values)

    def _parse_numbers(self, column: str, values: np.ndarray) -> np.ndarray:
        try:
            parsed = values.astype(np.float64)
        except (TypeError, ValueError):
            parsed = None
        # astype takes what float() takes; one regex pass over the joined text (no loop
        # over rows) rejects the "1_000" and "１２" polars would not read.
        if (
            parsed is not None
            and np.isfinite(parsed).all()
            and _NOT_IN_NUMBERS.search("\x00".join(map(str, values.tolist()))) is None
        ):
            return parsed
        # The error path: find the first offending value to name it (a loop is fine here,
        # it stops at the first bad row and only runs when the input is already wrong).
        for row, value in enumerate(values):
            text = "" if value is None else str(value)
            number = parse_number(text)
            if number is None:
                if text.strip() == "":
                    message = "empty value where a number is needed"
                else:
                    message = f"cannot parse {text!r} as a number"
                raise InputError(
                    message,
                    file=self.name,
                    line=self.line_of(row),
                    column=column,
                    hint=_parse_hint(text, self.line_of(row)),
                )
            if not np.isfinite(number):
                raise InputError(
                    f"value {text!r} is not a finite number",
                    file=self.name,
                    line=self.line_of(row),
                    column=column,
                    hint="remove or fill missing and non-finite values",
                )
        raise AssertionError(
            "unreachable: astype failed but every value parsed"
        )  # pragma: no cover

    def rows(self, start: int, stop: int) -> Table:
        """Rows ``start`` to ``stop`` (exclusive) as views of this table's arrays, no copy."""
        stop = max(start, min(stop, self.n_rows))
        return Table(
            name=self.name,
            columns={name: values[start:stop] for name, values in self.columns.items()},
            first_line=self.line_of(start) if stop > start else self.first_line,
            lines=None if self.lines is None else self.lines[start:stop],
            missing={name: mask[start:stop] for name, mask in self.missing.items()},
            text_at=self.text_at,
        )

    def take(self, rows: np.ndarray) -> Table:
        """The rows at ``rows`` (integer indices or a boolean mask), keeping their file lines."""
        rows = np.asarray(rows)
        if rows.dtype == bool:
            rows = np.flatnonzero(rows)
        return Table(
            name=self.name,
            columns={name: values[rows] for name, values in self.columns.items()},
            first_line=self.first_line,
            lines=self.line_numbers()[rows],
            missing={name: mask[rows] for name, mask in self.missing.items()},
            text_at=self.text_at,
        )

    def select(self, names: list[str]) -> Table:
        """A table with only the columns ``names`` (unknown names list the available ones)."""
        return Table(
            name=self.name,
            columns={name: self.column(name) for name in names},
            first_line=self.first_line,
            lines=self.lines,
            missing={name: mask for name, mask in self.missing.items() if name in names},
            text_at=self.text_at,
        )


def concat_tables(tables: list[Table]) -> Table:
    """Rows of ``tables`` one after the other (same columns); used to join streamed chunks."""
    if len(tables) == 1:
        return tables[0]
    first = tables[0]
    columns = {}
    for name in first.names:
        parts = [table.columns[name] for table in tables]
        if any(part.dtype == object for part in parts):
            parts = [part.astype(object) if part.dtype != object else part for part in parts]
        columns[name] = np.concatenate(parts)
    missing = {}
    for name in {name for table in tables for name in table.missing}:
        missing[name] = np.concatenate(
            [table.missing.get(name, np.zeros(table.n_rows, dtype=bool)) for table in tables]
        )
    lines = np.concatenate([table.line_numbers() for table in tables])
    linear = len(lines) == 0 or bool(
        np.array_equal(lines, np.arange(lines[0], lines[0] + len(lines)))
    )
    return Table(
        name=first.name,
        columns=columns,
        first_line=int(lines[0]) if len(lines) else first.first_line,
        lines=None if linear else lines,
        missing=missing,
        text_at=first.text_at,
    )


def _number_text(value: float) -> str:
    if np.isnan(value):
        return "NaN"
    return "inf" if value > 0 else "-inf"


def _parse_hint(text: str, line: int) -> str:
    if line == 1:
        return "line 1 looks like a header: leave out --no-header"
    if any(separator in text for separator in ",;\t|"):
        return "the value holds a separator character: check --delimiter"
    return "is the right column selected, or does the file have no header (--no-header)?"
