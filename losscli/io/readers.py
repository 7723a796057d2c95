"""The public reading functions: dispatch on the file format (CSV or Parquet)."""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence

from losscli.io.sources import resolve
from losscli.io.table import Table

# glibc malloc: blocks above this come from the heap rather than fresh mmaps, and up to
# TRIM bytes of freed heap stay with the process (see _reuse_freed_memory).
_MMAP_THRESHOLD_BYTES = 32 << 20
_TRIM_THRESHOLD_BYTES = 128 << 20
_allocator_tuned = False


def _reuse_freed_memory() -> None:
    """Let the arrays of the next chunk reuse the memory the previous chunk freed.

    Streaming allocates and frees NumPy arrays of the same few MiB for every chunk; glibc
    serves such blocks by mmap (its threshold adapts only to sizes already freed) and
    trims the heap top, so every chunk page-faults its memory back in: measured ~0.1-0.15 s
    of system time per 10 M rows, half of compute's page faults. Fixed thresholds keep
    the freed blocks for reuse (+~15 MiB peak). Linux with glibc only; elsewhere (or if
    the call fails) nothing changes. Process-wide, so done once, by the streaming reader.
    """
    global _allocator_tuned
    if _allocator_tuned:
        return
    _allocator_tuned = True
    try:
        if not os.confstr("CS_GNU_LIBC_VERSION").startswith("glibc"):
            return
    except (ValueError, OSError, AttributeError):  # not glibc (musl, macOS, Windows)
        return
    try:
        import ctypes

        libc = ctypes.CDLL(None)
        libc.mallopt(-3, _MMAP_THRESHOLD_BYTES)  # M_MMAP_THRESHOLD
        libc.mallopt(-1, _TRIM_THRESHOLD_BYTES)  # M_TRIM_THRESHOLD
    except (OSError, AttributeError):  # no mallopt: leave the allocator as it is
        pass


def read_header(
    path: str | os.PathLike,
    *,
    delimiter: str | None = None,
    has_header: bool = True,
    encoding: str = "utf-8",
) -> list[str]:
    """The column names of a file (``"0"``, ``"1"``, … for ``has_header=False``).

    Raises:
        InputError: missing, unreadable, empty or corrupt file; duplicate column names.
    """
    source = resolve(path, delimiter=delimiter, encoding=encoding)
    if source.format == "parquet":
        from losscli.io.parquet_reader import parquet_names

        return parquet_names(source)
    from losscli.io.csv_reader import header_of

    return header_of(source, has_header)


def read_table(
    path: str | os.PathLike,
    *,
    columns: Sequence[str] | None = None,
    delimiter: str | None = None,
    has_header: bool = True,
    encoding: str = "utf-8",
    text_columns: Sequence[str] = (),
) -> Table:
    """Read a whole file (only ``columns``, all when None) into memory.

    Numeric columns become float64, others literal strings. ``text_columns`` are keys (ids,
    group keys) compared exactly: a CSV one keeps its text as written ("01", "1.0" and "1"
    differ), a Parquet integer one stays an integer (ids beyond 2**53 stay distinct).
    Every problem is an :class:`~losscli.errors.InputError` naming the file, line and column.
    """
    source = resolve(path, delimiter=delimiter, encoding=encoding)
    if source.format == "parquet":
        from losscli.io.parquet_reader import read_parquet_table

        return read_parquet_table(source, columns, text_columns=text_columns)
    from losscli.io.csv_reader import read_csv_table

    return read_csv_table(source, columns, has_header=has_header, text_columns=text_columns)


def iter_tables(
    path: str | os.PathLike,
    *,
    columns: Sequence[str] | None,
    chunk_rows: int = 1_000_000,
    delimiter: str | None = None,
    has_header: bool = True,
    encoding: str = "utf-8",
    text_columns: Sequence[str] = (),
) -> Iterator[Table]:
    """Yield the file as tables of ``chunk_rows`` rows (the last may be shorter), in flat
    memory; compressed files are decompressed as a stream. Each chunk's ``first_line`` is
    its first row's file line. Concatenated, the chunks equal :func:`read_table`'s table
    (except that a column's type is decided per chunk: a text value turns only the chunks
    holding it into text). ``text_columns`` as in :func:`read_table`."""
    source = resolve(path, delimiter=delimiter, encoding=encoding)
    _reuse_freed_memory()
    if source.format == "parquet":
        from losscli.io.parquet_reader import iter_parquet_tables

        yield from iter_parquet_tables(
            source, columns, chunk_rows=chunk_rows, text_columns=text_columns
        )
        return
    from losscli.io.csv_stream import iter_csv_tables

    yield from iter_csv_tables(
        source, columns, chunk_rows=chunk_rows, has_header=has_header, text_columns=text_columns
    )
