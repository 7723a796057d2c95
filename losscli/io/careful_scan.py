"""The careful scan: Python's csv module over the raw lines, to say exactly what is wrong.

The fast reader (polars) is multi-threaded but reports neither line numbers nor which
column a problem is in. When it fails, or when its result shows signs of a problem (empty
values, which is how it fills short rows and blank lines), this scan walks the same bytes
record by record and raises an :class:`~losscli.errors.InputError` naming the file, the
1-based line and the column. When the data is sound it returns where every record starts,
so row numbers map to file lines even across blank lines and quoted line breaks.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import numpy as np

from losscli.errors import InputError
from losscli.io.sources import Source

CANDIDATE_DELIMITERS = (",", ";", "\t", "|")


@dataclass
class ScanResult:
    """What a clean scan found.

    Attributes:
        lines: the 1-based start line of every non-blank record, in order.
        blank: the indices (among all records, blank ones included) of blank lines, which
            the fast reader returns as rows of nulls and which are dropped.
        n_records: records seen, blank lines included.
        records: the fields of every non-blank record, when asked for (``collect``).
    """

    lines: np.ndarray
    blank: np.ndarray
    n_records: int
    records: list[list[str]] | None = None


def decoded_lines(
    source: Source, raw_lines: Iterable[bytes], start_line: int, header: list[str] | None
) -> Iterator[str]:
    """Decode UTF-8 line by line so that undecodable bytes are reported at their line and
    column (the stream has already been transcoded to UTF-8 when --encoding was given)."""
    line = start_line
    for raw in raw_lines:
        try:
            yield raw.decode("utf-8")
        except UnicodeDecodeError as error:
            raise _undecodable(source, raw, error.start, line, header) from None
        line += 1


def _undecodable(
    source: Source, raw: bytes, offset: int, line: int, header: list[str] | None
) -> InputError:
    prefix = raw[:offset].decode("utf-8", errors="replace")
    fields = next(csv.reader([prefix], delimiter=source.delimiter), [""])
    index = max(len(fields) - 1, 0)
    column = str(index) if header is None else header[index] if index < len(header) else None
    return InputError(
        f"bytes {raw[offset : offset + 4]!r} are not valid UTF-8",
        file=source.name,
        line=line,
        column=column,
        hint="give the file's encoding, e.g. --encoding latin-1 or --encoding cp1252",
    )


def scan(
    source: Source,
    raw_lines: Iterable[bytes],
    *,
    header: list[str] | None,
    n_fields: int,
    start_line: int,
    max_records: int | None = None,
    check_quotes: bool = False,
    collect: bool = False,
) -> ScanResult:
    """Walk the records of ``raw_lines`` (which start at file line ``start_line``).

    With ``check_quotes``, a record with an odd number of quote characters is an error
    too: a quoted field left open at the end of the data, or a lone quote inside an
    unquoted field (Python's csv module accepts both; polars does not).

    Raises:
        InputError: undecodable bytes, or a record whose field count differs from
            ``n_fields`` (a ragged row), naming the line and the column.
    """
    quotes = [0]

    def counted(lines: Iterator[str]) -> Iterator[str]:
        for text in lines:
            quotes[0] += text.count('"')
            yield text

    reader = csv.reader(
        counted(decoded_lines(source, raw_lines, start_line, header)),
        delimiter=source.delimiter,
        quotechar='"',
        doublequote=True,
        # strict: text after a closing quote ('"a"b') is an error, as it is to polars
        strict=True,
    )
    starts: list[int] = []
    blank: list[int] = []
    records: list[list[str]] = []
    record = 0
    next_start = start_line
    quotes_before = 0
    try:
        for fields in reader:
            line = next_start
            # reader.line_num counts physical lines consumed, so the next record starts
            # right after it; a quoted field with line breaks spans several lines.
            next_start = start_line + reader.line_num
            if not fields:
                blank.append(record)
            elif len(fields) != n_fields:
                raise ragged_error(source, fields, n_fields, line, header)
            else:
                starts.append(line)
                if collect:
                    records.append(fields)
            if check_quotes and (quotes[0] - quotes_before) % 2:
                raise InputError(
                    "unbalanced quote: a '\"' opens a field that never closes, or stands "
                    "alone inside an unquoted field",
                    file=source.name,
                    line=line,
                    hint='close the quote, or double quotes inside quoted fields ("")',
                )
            quotes_before = quotes[0]
            record += 1
            if max_records is not None and record >= max_records:
                break
    except csv.Error as error:
        raise InputError(
            f"malformed CSV: {error}",
            file=source.name,
            line=start_line + max(reader.line_num - 1, 0),
            hint="check the quoting and --delimiter",
        ) from None
    return ScanResult(
        np.asarray(starts, dtype=np.int64),
        np.asarray(blank, dtype=np.int64),
        record,
        records if collect else None,
    )


def ragged_error(
    source: Source, fields: list[str], n_fields: int, line: int, header: list[str] | None
) -> InputError:
    """The InputError for a row with ``len(fields)`` fields where ``n_fields`` were expected."""
    names = header if header is not None else [str(i) for i in range(n_fields)]
    found = len(fields)
    if found < n_fields:
        column = names[found]
        plural = "s" * (found != 1)
        message = (
            f"ragged row: {found} field{plural}, the header has {n_fields}; "
            "no value for this column"
        )
    else:
        column = None
        message = f"ragged row: {found} fields, the header has {n_fields}"
    joined = source.delimiter.join(fields)
    guess = guess_delimiter(joined, exclude=source.delimiter)
    if guess is not None:
        hint = f"the row looks delimited by {guess!r}: use --delimiter {guess!r}"
    elif found > n_fields:
        hint = "quote fields that contain the delimiter, or check --delimiter and --no-header"
    else:
        hint = "every row needs a value for every column; check --delimiter"
    return InputError(message, file=source.name, line=line, column=column, hint=hint)


def guess_delimiter(text: str, *, exclude: str | None = None) -> str | None:
    """The candidate delimiter that occurs most in ``text`` (None when none occurs)."""
    counts = {d: text.count(d) for d in CANDIDATE_DELIMITERS if d != exclude}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] > 0 else None
