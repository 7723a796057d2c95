"""CSV reading: polars' multi-threaded parser for speed, the careful scan for precise errors.

The fast path asks polars for only the requested columns, numeric ones parsed straight to
float64 (chosen by looking at the first rows). Whenever polars fails, or its result shows
empty values (which is also how it fills short rows and blank lines), the careful scan
(:mod:`losscli.io.careful_scan`) re-reads the same bytes with Python's csv module to find
the first offending line and column, or to map rows to lines around blank lines.

:func:`iter_csv_tables` streams: it reads the (decompressed, transcoded) bytes block by
block, cuts each block at a record boundary and parses it with polars, so memory stays flat
whatever the file size and a ``.csv.gz`` is never inflated as a whole.
"""

from __future__ import annotations

import contextlib
import csv
import functools
import io
import itertools
import queue
import threading
from collections.abc import Iterator, Sequence

import numpy as np

from losscli.errors import InputError
from losscli.io.careful_scan import decoded_lines, guess_delimiter, ragged_error, scan
from losscli.io.sources import (
    READ_BLOCK,
    Source,
    corrupt_error,
    open_raw,
    open_utf8,
    polars_failures,
)
from losscli.io.table import Table, concat_tables

# Rows looked at to decide whether a column is numeric (parsed to float64 by the fast
# reader) or text; a wrong guess only costs a second, text-typed read.
SAMPLE_ROWS = 1000
# Streaming block size bounds: below 1 MiB polars' per-call overhead dominates; above
# 256 MiB memory is no longer "flat" on small machines.
MIN_BLOCK_BYTES = 1 << 20
MAX_BLOCK_BYTES = 1 << 28
_BOM = b"\xef\xbb\xbf"
# Stream plain UTF-8 files with polars' scan_csv batches rather than the block reader
# (see docs/input-files.md for the measurements behind the choice).
STREAM_WITH_POLARS_SCAN = True


# --------------------------------------------------------------------------- header


def _first_records(
    source: Source, count: int, has_header: bool
) -> tuple[list[list[str]], list[int]]:
    """The first ``count`` records (blank lines skipped) and the line each starts on."""
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
            strict=False,
        )
        line = 1
        try:
            for fields in reader:
                if fields:
                    if has_header and not records:
                        header.extend(fields)
                    records.append(fields)
                    starts.append(line)
                line = reader.line_num + 1
                if len(records) >= count:
                    break
        except csv.Error as error:
            raise InputError(f"malformed CSV: {error}", file=source.name, line=line) from None
    return records, starts


def _strip_bom(lines: Iterator[bytes]) -> Iterator[bytes]:
    first = next(lines, None)
    if first is None:
        return
    yield first.removeprefix(_BOM)
    yield from lines


def _header_info(source: Source, has_header: bool) -> tuple[tuple[str, ...], int, tuple]:
    """(column names, file line where data starts, sample rows) for ``source``."""
    import os

    stat = os.stat(source.path)
    return _header_info_cached(source, has_header, stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=32)
def _header_info_cached(source: Source, has_header: bool, _mtime: int, _size: int):
    records, starts = _first_records(source, SAMPLE_ROWS + 1, has_header)
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
    return names, data_start, tuple(tuple(r) for r in sample)


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
    source: Source, columns: Sequence[str] | None = None, *, has_header: bool = True
) -> Table:
    """Read ``columns`` (all when None) of a CSV source into a :class:`Table`.

    Raises:
        InputError: any malformed input, naming file, line and column.
    """
    names, first_line, sample = _header_info(source, has_header)
    wanted = _wanted(source, names, columns)
    if not sample:  # the sample skips blank lines: nothing after the header at all
        raise _no_rows(source, has_header)
    read = _with_sentinel(names, wanted)
    numeric = _numeric_guess(names, read, sample)
    try:
        frame = _polars_read(
            _polars_input(source), source, names, read, numeric, skip_lines=first_line - 1
        )
    except InputError:
        raise
    except polars_failures() as error:
        frame = _after_fast_failure(source, names, read, has_header, first_line, error)
    table, suspicious = _to_table(source, frame, read, first_line)
    if read != wanted:
        table = table.select(wanted)
    if suspicious:
        table = _apply_scan(table, _careful_scan(source, names, first_line, has_header))
    if table.n_rows == 0:
        raise _no_rows(source, has_header)
    return table


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


def _numeric_guess(names: Sequence[str], wanted: Sequence[str], sample) -> dict[str, bool]:
    index = {name: i for i, name in enumerate(names)}
    guess = {}
    for name in wanted:
        i = index[name]
        guess[name] = all(_is_number(row[i]) for row in sample if i < len(row))
    return guess


def _is_number(text: str) -> bool:
    if text.strip() == "":
        return True
    try:
        float(text)
    except ValueError:
        return False
    # "1_000" is a Python float literal but not a CSV number polars would parse.
    return "_" not in text


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


def _to_table(source: Source, frame, wanted: Sequence[str], first_line: int):
    """The Table of a polars frame, and whether it needs the careful scan: empty values may
    be blank lines or short rows, and text with line breaks means a quoted field spanned
    lines (then rows no longer map to lines one to one)."""
    import polars as pl

    columns: dict[str, np.ndarray] = {}
    missing: dict[str, np.ndarray] = {}
    suspicious = False
    for name in wanted:
        series = frame.get_column(name)
        suspicious = suspicious or series.null_count() > 0
        if series.dtype == pl.String:
            suspicious = suspicious or bool(series.str.contains(r"[\r\n]").any())
            as_number = series.cast(pl.Float64, strict=False)
            if as_number.null_count() == series.null_count() and not _has_underscores(series):
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


def _no_rows(source: Source, has_header: bool) -> InputError:
    hint = "if the first line is data, use --no-header" if has_header else None
    return InputError("no data rows (the file has only a header)", file=source.name, hint=hint)


# --------------------------------------------------------------------------- streaming


def iter_csv_tables(
    source: Source,
    columns: Sequence[str] | None,
    *,
    chunk_rows: int = 1_000_000,
    has_header: bool = True,
) -> Iterator[Table]:
    """Yield tables of ``chunk_rows`` rows (the last may be shorter) with flat memory.

    The bytes are read block by block (decompressing and transcoding as a stream), each
    block is cut at the last record boundary (a newline outside quotes) and parsed by
    polars; every chunk's ``first_line`` and error messages give true file lines.
    """
    if chunk_rows < 1:
        raise ValueError("chunk_rows must be positive")
    names, first_line, sample = _header_info(source, has_header)
    wanted = _wanted(source, names, columns)
    if not sample:  # the sample skips blank lines: nothing after the header at all
        raise _no_rows(source, has_header)
    read = _with_sentinel(names, wanted)
    numeric = _numeric_guess(names, read, sample)
    row_bytes = _average_row_bytes(sample, source.delimiter)
    block_bytes = int(min(max(chunk_rows * row_bytes * 1.1, MIN_BLOCK_BYTES), MAX_BLOCK_BYTES))

    pending: list[Table] = []
    pending_rows = 0
    produced = 0
    if STREAM_WITH_POLARS_SCAN and source.compression is None and not source.transcode:
        blocks = _batch_tables(
            source, names, read, numeric, has_header, first_line, chunk_rows, block_bytes
        )
    else:
        blocks = _block_tables(source, names, read, numeric, has_header, first_line, block_bytes)
    for block_table in blocks:
        pending.append(block_table.select(wanted) if read != wanted else block_table)
        pending_rows += pending[-1].n_rows
        while pending_rows >= chunk_rows:
            pieces, pending = _split_rows(pending, chunk_rows)
            pending_rows -= chunk_rows
            produced += chunk_rows
            yield _linearise(concat_tables(pieces))
    if pending_rows:
        produced += pending_rows
        yield _linearise(concat_tables(pending))
    if produced == 0:
        raise _no_rows(source, has_header)


def _split_rows(tables: list[Table], count: int) -> tuple[list[Table], list[Table]]:
    """The first ``count`` rows of ``tables`` and the rest, as views (no copies)."""
    head: list[Table] = []
    for index, table in enumerate(tables):
        if table.n_rows <= count:
            head.append(table)
            count -= table.n_rows
            if count == 0:
                return head, tables[index + 1 :]
        else:
            head.append(_slice(table, 0, count))
            return head, [_slice(table, count, table.n_rows), *tables[index + 1 :]]
    return head, []


def _slice(table: Table, start: int, stop: int) -> Table:
    lines = None if table.lines is None else table.lines[start:stop]
    return Table(
        name=table.name,
        columns={name: values[start:stop] for name, values in table.columns.items()},
        first_line=table.line_of(start) if stop > start else table.first_line,
        lines=lines,
        missing={name: mask[start:stop] for name, mask in table.missing.items()},
    )


def _linearise(table: Table) -> Table:
    """Drop the explicit line array when lines are consecutive (the common case)."""
    if table.lines is None or table.n_rows == 0:
        return table
    lines = table.lines
    if np.all(np.diff(lines) == 1):
        return Table(table.name, table.columns, int(lines[0]), None, table.missing)
    return Table(table.name, table.columns, int(lines[0]), lines, table.missing)


def _average_row_bytes(sample, delimiter: str) -> float:
    if not sample:
        return 64.0
    total = sum(len(delimiter.join(row).encode("utf-8")) + 1 for row in sample)
    return max(total / len(sample), 2.0)


def _batch_tables(source, names, read, numeric, has_header, first_line, chunk_rows, block_bytes):
    """Plain UTF-8 files: polars' own streaming scan (the fastest reader measured, see
    docs/input-files.md). Rows map to lines one to one until a batch shows empty values or
    polars fails; from there the block reader (which can locate problems and blank lines)
    takes over, skipping the rows already yielded."""
    import polars as pl

    done = 0
    try:
        schema, positional = _polars_schema(names, read, numeric)
        lazy = pl.scan_csv(
            source.path,
            has_header=False,
            skip_lines=first_line - 1,
            separator=source.delimiter,
            quote_char='"',
            infer_schema=False,
            schema=schema,
            raise_if_empty=False,
            truncate_ragged_lines=False,
        ).select(positional)
        for frame in lazy.collect_batches(chunk_size=chunk_rows):
            frame.columns = list(read)
            table, suspicious = _to_table(source, frame, read, first_line + done)
            if suspicious:
                break
            yield table
            done += table.n_rows
        else:
            return
    except InputError:
        raise
    except polars_failures():  # any polars failure: the careful reader finds the cause
        pass
    skip = done
    for table in _block_tables(source, names, read, numeric, has_header, first_line, block_bytes):
        if skip >= table.n_rows:
            skip -= table.n_rows
            continue
        if skip:
            table, skip = _slice(table, skip, table.n_rows), 0
        yield table


def _block_tables(source, names, wanted, numeric, has_header, first_line, block_bytes):
    line = first_line  # file line of the first byte of the next block
    with contextlib.ExitStack() as stack:
        stream = stack.enter_context(open_utf8(source))
        if source.compression or source.transcode:
            # Decompression (zlib/bz2/lzma release the GIL) runs in a thread while polars
            # parses the previous block: gzip streaming then costs about the inflate time.
            stream = stack.enter_context(_ReadAhead(stream, ahead_bytes=block_bytes))
        carry = _skip_header(stream, source, has_header, first_line, block_bytes)
        eof = False
        while True:
            # Collect the parts and join once: growing one bytes object by += would copy
            # the block over and over.
            parts, size = [carry], len(carry)
            while not eof and size < block_bytes:
                data = stream.read(block_bytes - size)
                if not data:
                    eof = True
                    break
                parts.append(data)
                size += len(data)
            buffer = parts[0] if len(parts) == 1 else b"".join(parts)
            del parts
            if not buffer:
                return
            cut = len(buffer) if eof else _record_boundary(buffer)
            if cut == 0:  # one record longer than the block: read a bigger block
                block_bytes *= 2
                carry = buffer
                continue
            block = buffer if cut == len(buffer) else buffer[:cut]
            carry = buffer[cut:]
            del buffer
            # polars takes the width from a block's first line: blank lines there are
            # skipped here (they are not rows anyway) and only counted.
            stripped = block.lstrip(b"\r\n")
            if len(stripped) != len(block):
                line += block.count(b"\n", 0, len(block) - len(stripped))
                block = stripped
            if block:
                table, lines = _parse_block(source, block, names, wanted, numeric, line)
                del block
                yield table
                line += lines
            if eof and not carry:
                return


class _ReadAhead:
    """Pieces of a stream that a background thread reads ahead, at most about
    ``ahead_bytes`` in advance (so memory stays bounded). Errors in the thread (a corrupt
    gzip) are raised in the reading thread, at the point the data would have been."""

    def __init__(self, stream, *, ahead_bytes: int) -> None:
        self._piece = max(1, min(READ_BLOCK, ahead_bytes))
        self._queue: queue.Queue = queue.Queue(maxsize=max(2, ahead_bytes // self._piece))
        self._stop = threading.Event()
        self._pending = b""
        self._done = False
        self._thread = threading.Thread(target=self._work, args=(stream,), daemon=True)
        self._thread.start()

    def _work(self, stream) -> None:
        while not self._stop.is_set():
            try:
                item = stream.read(self._piece)
            except BaseException as error:
                item = error
            while not self._stop.is_set():
                try:
                    self._queue.put(item, timeout=0.1)
                    break
                except queue.Full:
                    continue
            if not isinstance(item, bytes) or not item:
                return

    def read(self, size: int) -> bytes:
        """The next piece read ahead (``size`` is ignored: pieces have a fixed length, and
        the block reader accepts short and long reads), ``b""`` at the end."""
        del size
        if self._done:
            return b""
        item = self._queue.get()
        if isinstance(item, BaseException):
            self._done = True
            raise item
        self._done = not item
        return item

    def __enter__(self) -> _ReadAhead:
        return self

    def __exit__(self, *exc_info) -> None:
        self._stop.set()
        self._thread.join()


def _skip_header(
    stream, source: Source, has_header: bool, first_line: int, block_bytes: int
) -> bytes:
    buffer = stream.read(min(READ_BLOCK, block_bytes))
    buffer = buffer.removeprefix(_BOM)
    # Data starts after (first_line - 1) lines: the header record (which may span lines)
    # and any blank lines around it.
    del has_header
    position = 0
    for _ in range(first_line - 1):
        nxt = buffer.find(b"\n", position)
        while nxt < 0:
            more = stream.read(min(READ_BLOCK, block_bytes))
            if not more:
                return b""
            buffer += more
            nxt = buffer.find(b"\n", position)
        position = nxt + 1
    return buffer[position:]


def _record_boundary(buffer: bytes) -> int:
    """The end of the last complete record in ``buffer``: after a newline with an even
    number of quote characters before it (an escaped quote ``""`` counts twice, so the
    parity tells whether the newline is inside a quoted field)."""
    cut = buffer.rfind(b"\n")
    if cut < 0:
        return 0
    if buffer.find(b'"', 0, cut) < 0:  # memchr-fast; counting is only needed with quotes
        return cut + 1
    quotes = buffer.count(b'"', 0, cut)
    while quotes % 2:
        previous = buffer.rfind(b"\n", 0, cut)
        if previous < 0:
            return 0
        quotes -= buffer.count(b'"', previous, cut)
        cut = previous
    return cut + 1


def _parse_block(source, block: bytes, names, wanted, numeric, line: int) -> tuple[Table, int]:
    """The table of one block of whole records, and the number of file lines it spans."""
    try:
        frame = _polars_read(block, source, names, wanted, numeric, skip_lines=0)
    except polars_failures():
        _scan_block(source, block, names, line)
        text = dict.fromkeys(wanted, False)
        try:
            frame = _polars_read(block, source, names, wanted, text, skip_lines=0)
        except polars_failures() as error:
            _scan_block(source, block, names, line, check_quotes=True)
            detail = str(error).strip().splitlines()[0] if str(error).strip() else ""
            raise InputError(
                f"cannot parse the CSV ({detail})", file=source.name, line=line
            ) from None
    table, suspicious = _to_table(source, frame, wanted, line)
    if suspicious:
        result = _scan_block(source, block, names, line)
        table = _apply_scan(table, result)
    # Without quote characters every record is one line (blank lines are rows of nulls to
    # polars), so the row count is the line count and the block need not be scanned.
    if block.find(b'"') < 0:
        return table, frame.height
    return table, block.count(b"\n")


def _scan_block(source, block: bytes, names, line: int, *, check_quotes: bool = False):
    # BytesIO splits at b"\n" only (bytes.splitlines would also split at a lone b"\r").
    raw_lines = iter(io.BytesIO(block))
    return scan(
        source,
        raw_lines,
        header=list(names),
        n_fields=len(names),
        start_line=line,
        check_quotes=check_quotes,
    )


__all__ = [
    "guess_delimiter",
    "header_of",
    "iter_csv_tables",
    "open_raw",
    "ragged_error",
    "read_csv_table",
]
