"""CSV reading: polars' multi-threaded parser for speed, the careful scan for precise errors.

The fast path asks polars for only the requested columns, numeric ones parsed straight to
float64 (chosen by looking at the first rows). Whenever polars fails, or its result shows
empty values (which is also how it fills short rows and blank lines), the careful scan
(:mod:`losscli.io.careful_scan`) re-reads the same bytes with Python's csv module to find
the first offending line and column, or to map rows to lines around blank lines.

Streaming lives in :mod:`losscli.io.csv_stream` and shares the helpers here (header
sample, type guess, the polars call, the conversion to a Table).
"""

from __future__ import annotations

import csv
import functools
import itertools
import re
from collections.abc import Collection, Iterator, Sequence
from operator import itemgetter
from typing import NamedTuple

import numpy as np

from losscli.errors import InputError
from losscli.io.careful_scan import decoded_lines, scan
from losscli.io.sources import (
    Source,
    corrupt_error,
    open_utf8,
    polars_failures,
)
from losscli.io.table import NUMBER_PATTERN, Table, parse_number

# Rows looked at to decide whether a column is numeric (parsed to float64 by the fast
# reader) or text; a wrong guess only costs a second, text-typed read.
SAMPLE_ROWS = 1000
# Files whose data fits in the header sample are read with Python's csv module instead of
# polars: no polars import (about 0.1 s of start-up, measured) for the small files of quick
# checks and CI gates.
SMALL_FILE_ROWS = SAMPLE_ROWS
# ... and so are longer plain files up to this size: the careful scan reads ~3 us per row of
# two columns (about 20 ms for 256 KiB), while importing polars costs ~0.1 s (a 2,000-row
# file: 0.40 -> 0.30 s, measured 2026-11-23).
SMALL_FILE_BYTES = 256 * 1024
_BOM = b"\xef\xbb\xbf"


# --------------------------------------------------------------------------- header


def _first_records(
    source: Source, count: int, has_header: bool
) -> tuple[list[list[str]], list[int], bool]:
    """The first ``count`` records (blank lines skipped), the line each starts on, and
    whether that was the whole file."""
    records: list[list[str]] = []
    starts: list[int] = []
    # Filled with the header once read, so that undecodable bytes further down are
    # reported under their column name.
    header: list[str] = []
    with open_utf8(source) as stream:
        raw_lines = _strip_bom(iter(stream))
        reader = csv.reader(
            decoded_lines(source, raw_lines, 1, header if has_header else None),
            delimiter=source.delimiter,
            quotechar='"',
            strict=True,
        )
        line = 1
        complete = True
        try:
            for fields in reader:
                if fields:
                    if has_header and not records:
                        header.extend(fields)
                    records.append(fields)
                    starts.append(line)
                line = reader.line_num + 1
                if len(records) >= count:
                    complete = False
                    break
        except csv.Error as error:
            raise InputError(f"malformed CSV: {error}", file=source.name, line=line) from None
    return records, starts, complete


def _strip_bom(lines: Iterator[bytes]) -> Iterator[bytes]:
    first = next(lines, None)
    if first is None:
        return
    yield first.removeprefix(_BOM)
    yield from lines


class HeaderInfo(NamedTuple):
    """What the first rows of a CSV source say."""

    names: tuple[str, ...]  # column names ("0", "1", … without a header)
    first_line: int  # the file line where data starts (the first non-blank record)
    sample: tuple[tuple[str, ...], ...]  # the first SAMPLE_ROWS data records
    complete: bool  # whether the sample is the whole file


def _header_info(source: Source, has_header: bool) -> HeaderInfo:
    """The names, data start and first rows of ``source`` (cached per file version)."""
    import os

    stat = os.stat(source.path)
    return _header_info_cached(source, has_header, stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=32)
def _header_info_cached(source: Source, has_header: bool, _mtime: int, _size: int):
    records, starts, complete = _first_records(source, SAMPLE_ROWS + 1, has_header)
    if not records:
        raise InputError("the file is empty (no header, no data)", file=source.name)
    # Data starts at the first non-blank record after the header: polars takes the width
    # of the file from its first line, so leading blank lines are skipped as lines.
    if has_header:
        names = tuple(records[0])
        _check_names(source, names)
        sample = records[1:]
        data_start = starts[1] if len(starts) > 1 else starts[0] + 1
    else:
        names = tuple(str(i) for i in range(len(records[0])))
        sample = records
        data_start = starts[0]
    return HeaderInfo(names, data_start, tuple(tuple(r) for r in sample), complete)


def _check_names(source: Source, names: tuple[str, ...]) -> None:
    seen: dict[str, int] = {}
    for position, name in enumerate(names, start=1):
        if name in seen:
            raise InputError(
                f"duplicate column name {name!r} (columns {seen[name]} and {position})",
                file=source.name,
                line=1,
                column=name,
                hint="rename one of them, or use --no-header to address columns by position",
            )
        seen[name] = position


def header_of(source: Source, has_header: bool = True) -> list[str]:
    """The column names of a CSV source (``"0"``, ``"1"``, … without a header)."""
    return list(_header_info(source, has_header)[0])


# --------------------------------------------------------------------------- whole file


def read_csv_table(
    source: Source,
    columns: Sequence[str] | None = None,
    *,
    has_header: bool = True,
    text_columns: Collection[str] = (),
) -> Table:
    """Read ``columns`` (all when None) of a CSV source into a :class:`Table`;
    ``text_columns`` (ids, group keys) keep their text as written, even when numeric.

    Raises:
        InputError: any malformed input, naming file, line and column.
    """
    names, first_line, sample, complete = _header_info(source, has_header)
    wanted = _wanted(source, names, columns)
    if not sample:  # the sample skips blank lines: nothing after the header at all
        raise _no_rows(source, has_header)
    if reads_whole(source, sample, complete):
        return small_table(source, names, wanted, first_line, has_header, text_columns)
    read = _with_sentinel(names, wanted)
    numeric = _numeric_guess(names, read, sample, text_columns)
    try:
        frame = _polars_read(
            _polars_input(source), source, names, read, numeric, skip_lines=first_line - 1
        )
    except InputError:
        raise
    except polars_failures() as error:
        frame = _after_fast_failure(source, names, read, has_header, first_line, error)
    table, suspicious = _to_table(source, frame, read, first_line, text_columns)
    if read != wanted:
        table = table.select(wanted)
    if suspicious:
        table = _apply_scan(table, _careful_scan(source, names, first_line, has_header))
    if table.n_rows == 0:
        raise _no_rows(source, has_header)
    table.text_at = FieldReader(source, names)
    return table


class FieldReader:
    """``text_at(column, line)``: the field of ``column`` in the record starting on file
    ``line``, as written (None when it cannot be read). For error messages only: it reads
    the file again up to that line. A class, not a closure, so that tables stay picklable
    (the Dask engine)."""

    def __init__(self, source: Source, names: Sequence[str]) -> None:
        self.source = source
        self.index = {name: i for i, name in enumerate(names)}

    def __call__(self, column: str, line: int) -> str | None:
        position = self.index.get(column)
        if position is None:
            return None
        try:
            with open_utf8(self.source) as stream:
                raw_lines = itertools.islice(_strip_bom(iter(stream)), line - 1, None)
                reader = csv.reader(
                    decoded_lines(self.source, raw_lines, line, None),
                    delimiter=self.source.delimiter,
                    quotechar='"',
                )
                fields = next(reader, None)
        except (InputError, OSError, EOFError, csv.Error, ValueError):
            return None
        return fields[position] if fields and position < len(fields) else None


def _wanted(source: Source, names: Sequence[str], columns: Sequence[str] | None) -> list[str]:
    if columns is None:
        return list(names)
    unknown = [c for c in columns if c not in names]
    if unknown:
        from losscli.io.columns import unknown_column_error

        raise unknown_column_error(unknown[0], names, file=source.name)
    return list(dict.fromkeys(columns))


def _with_sentinel(names: Sequence[str], wanted: list[str]) -> list[str]:
    """``wanted`` plus the file's last column: polars fills a short row with nulls instead
    of failing, so a null in the last column is how the fast path notices ragged rows even
    when the columns the caller needs come first."""
    if not names or names[-1] in wanted:
        return wanted
    return [*wanted, names[-1]]


def _numeric_guess(
    names: Sequence[str], wanted: Sequence[str], sample, text_columns: Collection[str] = ()
) -> dict[str, bool]:
    index = {name: i for i, name in enumerate(names)}
    width = min(map(len, sample), default=0)
    guess = {}
    for name in wanted:
        i = index[name]
        if name in text_columns:
            guess[name] = False
            continue
        cells = (
            list(map(itemgetter(i), sample))
            if i < width
            else [row[i] for row in sample if i < len(row)]
        )
        guess[name] = _all_numbers(cells)
    return guess


# The cells of a column joined by newlines, each blank or a number between spaces/tabs
# (what _is_number accepts, short of blanks made of other whitespace): one regex call per
# column instead of a Python call per cell. Each cell is an atomic group that must end at
# a newline or the end, so a column that fails costs linear time, never backtracking
# from cell to cell. Case folds in ASCII only: NUMBER_PATTERN's Unicode folding also
# takes "ınf" (dotless i), which float() then refuses; such cells go cell by cell.
_NUMBER_CELL = rf"(?>[ \t]*(?:{NUMBER_PATTERN.pattern})?[ \t]*(?=\n|\Z))"
_NUMBER_CELLS = re.compile(
    rf"{_NUMBER_CELL}(?:\n{_NUMBER_CELL})*+", (NUMBER_PATTERN.flags & ~re.UNICODE) | re.ASCII
)


def _all_numbers(cells: Sequence[str]) -> bool:
    """``all(_is_number(cell) for cell in cells)``: the joined regex says yes for a column
    of plain numbers and blanks (1,000 rows x 11 columns: 7.5 -> 2.6 ms, measured
    2026-11-23); anything else (text, a line break inside a cell, a blank of other
    whitespace) gets the exact answer cell by cell."""
    joined = "\n".join(cells)
    if joined.count("\n") == len(cells) - 1 and _NUMBER_CELLS.fullmatch(joined):
        return True
    return all(_is_number(cell) for cell in cells)


def _is_number(text: str) -> bool:
    return text.strip() == "" or parse_number(text) is not None


def _polars_input(source: Source):
    # polars reads plain and gzip UTF-8 files itself (memory-mapped / natively inflated);
    # anything else (bz2, xz, other encodings) arrives as UTF-8 bytes.
    if not source.transcode and source.compression in (None, "gzip"):
        return source.path
    with open_utf8(source) as stream:
        return stream.read()


def _polars_schema(names: Sequence[str], wanted: Sequence[str], numeric: dict[str, bool]):
    """A full schema (one entry per header column, named by position so that odd header
    names cannot confuse polars), and the positional names of ``wanted``. A full schema
    makes polars fail on a first row with more or fewer fields than the header, which it
    would otherwise take as the width of the file."""
    import polars as pl

    index = {name: i for i, name in enumerate(names)}
    schema = {f"c{i}": pl.String for i in range(len(names))}
    for name in wanted:
        schema[f"c{index[name]}"] = pl.Float64 if numeric[name] else pl.String
    return schema, [f"c{index[name]}" for name in wanted]


def _polars_read(
    data,
    source: Source,
    names: Sequence[str],
    wanted: Sequence[str],
    numeric: dict[str, bool],
    *,
    skip_lines: int,
):
    """polars reads ``wanted`` from ``data`` after ``skip_lines`` raw lines (the header and
    any blank lines before it: lines, not records, so a header with a quoted line break is
    skipped whole)."""
    import polars as pl

    schema, positional = _polars_schema(names, wanted, numeric)
    frame = pl.read_csv(
        data,
        has_header=False,
        skip_lines=skip_lines,
        columns=[int(name[1:]) for name in positional],
        separator=source.delimiter,
        quote_char='"',
        infer_schema=False,
        schema=schema,
        raise_if_empty=False,
        truncate_ragged_lines=False,
    )
    frame = frame.select(positional)
    frame.columns = list(wanted)
    return frame


def _after_fast_failure(source, names, wanted, has_header, first_line, error):
    """polars failed: find the real problem with the careful scan, else re-read as text."""
    _careful_scan(source, names, first_line, has_header)
    try:
        text = dict.fromkeys(wanted, False)
        return _polars_read(
            _polars_input(source), source, names, wanted, text, skip_lines=first_line - 1
        )
    except InputError:
        raise
    except polars_failures() as second:
        if isinstance(second, OSError | EOFError) and source.compression:
            raise corrupt_error(source, second) from None
        _careful_scan(source, names, first_line, has_header, check_quotes=True)
        detail = (
            str(second).strip().splitlines()[0] if str(second).strip() else type(second).__name__
        )
        raise InputError(
            f"cannot parse the CSV ({detail})",
            file=source.name,
            hint="check --delimiter, --encoding and --no-header",
        ) from error


def _careful_scan(
    source: Source, names, first_line: int, has_header: bool, *, check_quotes: bool = False
):
    with open_utf8(source) as stream:
        # Skip the header record's lines (normally one) so records match polars' rows.
        raw_lines = itertools.islice(_strip_bom(iter(stream)), first_line - 1, None)
        return scan(
            source,
            raw_lines,
            header=list(names) if has_header else None,
            n_fields=len(names),
            start_line=first_line,
            check_quotes=check_quotes,
        )


def _to_table(
    source: Source,
    frame,
    wanted: Sequence[str],
    first_line: int,
    text_columns: Collection[str] = (),
):
    """The Table of a polars frame, and whether it needs the careful scan: empty values may
    be blank lines or short rows, and text with line breaks means a quoted field spanned
    lines (then rows no longer map to lines one to one). ``text_columns`` stay text."""
    import polars as pl

    columns: dict[str, np.ndarray] = {}
    missing: dict[str, np.ndarray] = {}
    suspicious = False
    for name in wanted:
        series = frame.get_column(name)
        suspicious = suspicious or series.null_count() > 0
        if series.dtype == pl.String:
            suspicious = suspicious or bool(series.str.contains(r"[\r\n]").any())
        if series.dtype == pl.String and name not in text_columns:
            as_number = series.cast(pl.Float64, strict=False)
            # Whitespace-only counts as empty, as in polars' float parsing and the
            # small-file reader: such a column is numeric with missing values there.
            empty = series.is_null() | (series.str.strip_chars() == "")
            if as_number.null_count() == empty.sum() and not _has_underscores(series):
                series = as_number
        if series.dtype == pl.Float64:
            nulls = series.null_count()
            values = series.to_numpy()
            if values.dtype != np.float64:
                values = values.astype(np.float64)
            if nulls:
                missing[name] = series.is_null().to_numpy()
        else:
            values = np.asarray(series.fill_null("").to_numpy(), dtype=object)
        columns[name] = values
    table = Table(name=source.name, columns=columns, first_line=first_line, missing=missing)
    return table, suspicious


def _has_underscores(series) -> bool:
    return bool(series.str.contains("_", literal=True).any())


def _apply_scan(table: Table, result) -> Table:
    keep = np.ones(table.n_rows, dtype=bool)
    blank = result.blank[result.blank < table.n_rows]
    keep[blank] = False
    lines = result.lines[: int(keep.sum())]
    kept = table.take(keep) if len(blank) else table
    missing = {name: mask for name, mask in kept.missing.items() if mask.any()}
    linear = len(lines) == 0 or bool(np.all(np.diff(lines) == 1))
    return Table(
        name=table.name,
        columns=kept.columns,
        first_line=int(lines[0]) if len(lines) else table.first_line,
        lines=None if linear else lines,
        missing=missing,
    )


def reads_whole(source: Source, sample: Sequence, complete: bool) -> bool:
    """Whether to read ``source`` with :func:`small_table` (Python's csv module, no polars):
    its data fits in the header sample, or it is a plain UTF-8 file of at most
    ``SMALL_FILE_BYTES``. ``SMALL_FILE_ROWS = 0`` (tests) turns both off."""
    if SMALL_FILE_ROWS <= 0:
        return False
    if complete and len(sample) <= SMALL_FILE_ROWS:
        return True
    if source.compression is not None or source.transcode:
        return False
    import os

    try:
        return os.path.getsize(source.path) <= SMALL_FILE_BYTES
    except OSError:
        return False


def small_table(
    source: Source,
    names: Sequence[str],
    wanted: Sequence[str],
    first_line: int,
    has_header: bool,
    text_columns: Collection[str] = (),
) -> Table:
    """A small file read whole by the careful scan (the same checks as the fast path's
    fallback), its values typed as polars would: a column is numeric when every value is
    empty or a number polars parses (no surrounding spaces at the end, no ``_``, ASCII)."""
    with open_utf8(source) as stream:
        raw_lines = itertools.islice(_strip_bom(iter(stream)), first_line - 1, None)
        result = scan(
            source,
            raw_lines,
            header=list(names) if has_header else None,
            n_fields=len(names),
            start_line=first_line,
            check_quotes=True,
            collect=True,
        )
    rows = result.records or []
    if not rows:
        raise _no_rows(source, has_header)
    index = {name: i for i, name in enumerate(names)}
    columns: dict[str, np.ndarray] = {}
    missing: dict[str, np.ndarray] = {}
    for name in wanted:
        texts = [row[index[name]] for row in rows]
        numbers = None if name in text_columns else _polars_like_numbers(texts)
        if numbers is None:
            columns[name] = np.array(texts, dtype=object)
        else:
            columns[name] = numbers
            empty = np.isnan(numbers) & np.array([t.strip() == "" for t in texts])
            if empty.any():
                missing[name] = empty
    lines = result.lines
    linear = bool(np.all(np.diff(lines) == 1))
    return Table(
        name=source.name,
        columns=columns,
        first_line=int(lines[0]),
        lines=None if linear else lines,
        missing=missing,
        text_at=FieldReader(source, names),
    )


def _polars_like_numbers(texts: list[str]) -> np.ndarray | None:
    values = np.empty(len(texts), dtype=np.float64)
    for i, text in enumerate(texts):  # a small file (reads_whole): ~0.3 us a value
        if text.strip() == "":
            values[i] = np.nan
            continue
        number = parse_number(text)
        # polars' CSV parser takes leading spaces but not trailing ones
        if number is None or text != text.rstrip():
            return None
        values[i] = number
    return values


def _no_rows(source: Source, has_header: bool) -> InputError:
    hint = "if the first line is data, use --no-header" if has_header else None
    return InputError("no data rows (the file has only a header)", file=source.name, hint=hint)


__all__ = ["header_of", "read_csv_table"]
