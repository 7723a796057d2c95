"""Streaming CSV: tables of ``chunk_rows`` rows in flat memory, with true file lines.

Plain UTF-8 files are streamed by polars' own ``scan_csv(...).collect_batches()`` (the
fastest reader measured). Compressed or transcoded files, and any plain file on which that
fails or shows empty values, go through the block reader: the (decompressed, transcoded)
bytes are read block by block, each block is cut after the last newline outside quotes and
parsed by polars, so a ``.csv.gz`` is never inflated as a whole. Problems are located by the
same careful scan as the whole-file reader (:mod:`losscli.io.careful_scan`).
"""

from __future__ import annotations

import contextlib
import io
import os
import queue
import threading
from collections.abc import Collection, Iterator, Sequence

import numpy as np

from losscli.errors import InputError
from losscli.io import csv_reader
from losscli.io.careful_scan import scan
from losscli.io.csv_reader import (
    _BOM,
    FieldReader,
    _apply_scan,
    _header_info,
    _no_rows,
    _numeric_guess,
    _polars_read,
    _polars_schema,
    _to_table,
    _wanted,
    _with_sentinel,
    small_table,
)
from losscli.io.sources import READ_BLOCK, Source, open_utf8, polars_failures
from losscli.io.table import Table, concat_tables

# Block size bounds: below 1 MiB polars' per-call overhead dominates; above 256 MiB memory
# is no longer "flat" on small machines.
MIN_BLOCK_BYTES = 1 << 20
MAX_BLOCK_BYTES = 1 << 28
# Stream plain UTF-8 files with polars' scan_csv batches rather than the block reader
# (see docs/input-files.md for the measurements behind the choice).
STREAM_WITH_POLARS_SCAN = True
# polars' streaming CSV source reads the file in pieces of POLARS_CSV_CHUNK_SIZE bytes and
# prefetches several per thread; its default held ~320 MiB of anonymous memory on a 374 MiB
# file whatever ``chunk_size`` the batches had (the peak of ``compute``). 4 MiB pieces hold
# ~130 MiB for the same CPU time (measured on 2 cores, docs/performance.md). A value the
# user sets in the environment is kept.
POLARS_CSV_CHUNK_BYTES = 4 << 20


def iter_csv_tables(
    source: Source,
    columns: Sequence[str] | None,
    *,
    chunk_rows: int = 1_000_000,
    has_header: bool = True,
    text_columns: Collection[str] = (),
) -> Iterator[Table]:
    """Yield tables of ``chunk_rows`` rows (the last may be shorter) with flat memory;
    ``text_columns`` (ids, group keys) keep their text as written.

    The bytes are read block by block (decompressing and transcoding as a stream), each
    block is cut at the last record boundary (a newline outside quotes) and parsed by
    polars; every chunk's ``first_line`` and error messages give true file lines.
    """
    if chunk_rows < 1:
        raise ValueError("chunk_rows must be positive")
    names, first_line, sample, complete = _header_info(source, has_header)
    wanted = _wanted(source, names, columns)
    if not sample:  # the sample skips blank lines: nothing after the header at all
        raise _no_rows(source, has_header)
    if csv_reader.reads_whole(source, sample, complete):
        table = small_table(source, names, wanted, first_line, has_header, text_columns)
        for start in range(0, table.n_rows, chunk_rows):
            yield _linearise(table.rows(start, min(start + chunk_rows, table.n_rows)))
        return
    read = _with_sentinel(names, wanted)
    numeric = _numeric_guess(names, read, sample, text_columns)
    text = frozenset(text_columns)
    row_bytes = _average_row_bytes(sample, source.delimiter)
    block_bytes = int(min(max(chunk_rows * row_bytes * 1.1, MIN_BLOCK_BYTES), MAX_BLOCK_BYTES))

    pending: list[Table] = []
    pending_rows = 0
    produced = 0
    if STREAM_WITH_POLARS_SCAN and source.compression is None and not source.transcode:
        blocks = _batch_tables(
            source, names, read, numeric, has_header, first_line, chunk_rows, block_bytes, text
        )
    else:
        blocks = _block_tables(
            source, names, read, numeric, has_header, first_line, block_bytes, text
        )
    text_at = FieldReader(source, names)
    for block_table in blocks:
        block_table.text_at = text_at
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
            head.append(table.rows(0, count))
            return head, [table.rows(count, table.n_rows), *tables[index + 1 :]]
    return head, []


def _linearise(table: Table) -> Table:
    """Drop the explicit line array when lines are consecutive (the common case)."""
    if table.lines is None or table.n_rows == 0:
        return table
    lines = table.lines
    if np.all(np.diff(lines) == 1):
        return Table(table.name, table.columns, int(lines[0]), None, table.missing, table.text_at)
    return Table(table.name, table.columns, int(lines[0]), lines, table.missing, table.text_at)


def _average_row_bytes(sample, delimiter: str) -> float:
    if not sample:
        return 64.0
    total = sum(len(delimiter.join(row).encode("utf-8")) + 1 for row in sample)
    return max(total / len(sample), 2.0)


def _batch_tables(
    source, names, read, numeric, has_header, first_line, chunk_rows, block_bytes, text=()
):
    """Plain UTF-8 files: polars' own streaming scan (the fastest reader measured, see
    docs/input-files.md). Rows map to lines one to one until a batch shows empty values or
    polars fails; from there the block reader (which can locate problems and blank lines)
    takes over, skipping the rows already yielded.

    When polars raises on a value, it may already have yielded batches from beyond the
    failing part of the file (polars 2.1 drops the failing piece and goes on for a while),
    so the rows counted are not always the file's first rows. The rows the block reader
    skips are therefore still checked for values that are not numbers: a word in a number
    column is an error, never a wrong sum. (``ignore_errors`` would turn such values into
    nulls, in order, but it also lets polars accept a stray quote that the careful reader
    refuses, with only a Python warning; tests/io/test_fuzz.py found that.)"""
    import polars as pl

    # Read by polars when the scan starts (not at import), so setting it here is enough.
    os.environ.setdefault("POLARS_CSV_CHUNK_SIZE", str(POLARS_CSV_CHUNK_BYTES))
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
            table, suspicious = _to_table(source, frame, read, first_line + done, text)
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
    for table in _block_tables(
        source, names, read, numeric, has_header, first_line, block_bytes, text
    ):
        if skip:
            _check_numbers(table.rows(0, skip), read, numeric)
        if skip >= table.n_rows:
            skip -= table.n_rows
            continue
        if skip:
            table, skip = table.rows(skip, table.n_rows), 0
        yield table


def _check_numbers(table: Table, names: Sequence[str], numeric: dict[str, bool]) -> None:
    """The rows the block reader skips after polars failed: a numeric column that polars
    could not type here means its streaming scan failed within these rows, so the rows it
    yielded may not have been the file's. A value that is not a number is the located
    error; a number polars rejects (``0.5 ``, a trailing space) is an error too, rather
    than sums over rows that may be wrong."""
    for name in names:
        if numeric.get(name) and table.columns[name].dtype == object:
            table.numeric(name)  # raises for a value that is not a number
            values = table.columns[name]
            row = next(
                (i for i, v in enumerate(values) if isinstance(v, str) and v != v.strip()),
                None,
            )
            if row is None:  # the value polars refused is after these rows: they were its
                continue
            raise InputError(
                f"value {values[row]!r} is a number the streaming reader cannot read "
                "(spaces around it), so this file cannot be streamed",
                file=table.name,
                line=table.line_of(row),
                column=name,
                hint="strip the spaces, or use --engine memory",
            )


def _block_tables(source, names, wanted, numeric, has_header, first_line, block_bytes, text=()):
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
                table, lines = _parse_block(source, block, names, wanted, numeric, line, text)
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


def _parse_block(
    source, block: bytes, names, wanted, numeric, line: int, text_columns=()
) -> tuple[Table, int]:
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
    table, suspicious = _to_table(source, frame, wanted, line, text_columns)
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
