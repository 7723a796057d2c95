"""Parquet reading with polars: only the requested columns, numeric ones as float64.

Parquet has no lines, so a Parquet :class:`~losscli.io.table.Table` has ``first_line = 1``
and its "line" in messages is the 1-based row number.
"""

from __future__ import annotations

import os
from collections.abc import Collection, Iterator, Sequence

import numpy as np

from losscli.errors import InputError
from losscli.io.sources import Source, open_raw, polars_failures
from losscli.io.table import Table

# polars' streaming Parquet source decodes this many row groups ahead (its default held
# ~100 MiB more than 1, and was no faster, on 1 M-row groups); a value set by the user is kept.
ROW_GROUP_PREFETCH = 1


def _input(source: Source):
    if source.compression is None:
        return source.path
    with open_raw(source) as stream:  # a compressed Parquet file is unusual but cheap to allow
        return stream.read()


def _bad_parquet(source: Source, error: BaseException) -> InputError:
    detail = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    return InputError(
        f"not a readable Parquet file ({detail})",
        file=source.name,
        hint="the file may be truncated or not Parquet; CSV files need a .csv name",
    )


def parquet_names(source: Source) -> list[str]:
    """The column names of a Parquet source, from its footer."""
    import polars as pl

    try:
        return list(pl.read_parquet_schema(_input(source)))
    except InputError:
        raise
    except polars_failures() as error:
        raise _bad_parquet(source, error) from None


def read_parquet_table(
    source: Source, columns: Sequence[str] | None = None, *, text_columns: Collection[str] = ()
) -> Table:
    """Read ``columns`` (all when None) of a Parquet file; ``text_columns`` (ids, group
    keys) keep integers exact (int64, not float64)."""
    import polars as pl

    wanted = _wanted(source, columns)
    try:
        frame = pl.read_parquet(_input(source), columns=wanted)
    except InputError:
        raise
    except polars_failures() as error:
        raise _bad_parquet(source, error) from None
    table = frame_to_table(source.name, frame, first_line=1, text_columns=text_columns)
    if table.n_rows == 0:
        raise InputError("no data rows (the Parquet file has 0 rows)", file=source.name)
    return table


def iter_parquet_tables(
    source: Source,
    columns: Sequence[str] | None,
    *,
    chunk_rows: int,
    text_columns: Collection[str] = (),
) -> Iterator[Table]:
    """Yield ``chunk_rows``-row tables of a Parquet file in one streaming pass (polars'
    ``collect_batches``: each row group is decoded once, a few ahead, so memory stays flat;
    slicing the lazy frame per chunk decoded a row group once per slice, 1.7x slower)."""
    import polars as pl

    wanted = _wanted(source, columns)
    os.environ.setdefault("POLARS_ROW_GROUP_PREFETCH_SIZE", str(ROW_GROUP_PREFETCH))
    try:
        lazy = pl.scan_parquet(_input(source)).select(wanted)
        total = lazy.select(pl.len()).collect().item()
    except polars_failures() as error:
        raise _bad_parquet(source, error) from None
    if total == 0:
        raise InputError("no data rows (the Parquet file has 0 rows)", file=source.name)
    offset = 0
    batches = lazy.collect_batches(chunk_size=chunk_rows)
    while True:
        try:
            frame = next(batches, None)
        except polars_failures() as error:
            raise _bad_parquet(source, error) from None
        if frame is None:
            return
        yield frame_to_table(source.name, frame, first_line=offset + 1, text_columns=text_columns)
        offset += frame.height


def _wanted(source: Source, columns: Sequence[str] | None) -> list[str]:
    names = parquet_names(source)
    if columns is None:
        return names
    unknown = [c for c in columns if c not in names]
    if unknown:
        from losscli.io.columns import unknown_column_error

        raise unknown_column_error(unknown[0], names, file=source.name)
    return list(dict.fromkeys(columns))


def frame_to_table(
    name: str, frame, *, first_line: int, text_columns: Collection[str] = ()
) -> Table:
    """A Table from a polars DataFrame: numeric and boolean columns as float64 (nulls as NaN,
    remembered in ``missing``), everything else as literal strings. Integer key columns
    (``text_columns``) without nulls stay int64, so that ids beyond 2**53 stay distinct.

    Raises:
        InputError: a nested column (list, array, struct) or one of objects, which no role
            can use.
    """
    import polars as pl

    columns: dict[str, np.ndarray] = {}
    missing: dict[str, np.ndarray] = {}
    for column in frame.columns:
        series = frame.get_column(column)
        if series.dtype.is_nested() or series.dtype == pl.Object:
            raise InputError(
                f"type {_type_name(series)}: not a number or text",
                file=name,
                column=column,
                hint="give each value its own column (one number or label per cell)",
            )
        if column in text_columns and series.dtype.is_integer() and not series.null_count():
            values = series.to_numpy()  # int64 or uint64, exact
        elif series.dtype.is_numeric() or series.dtype == pl.Boolean:
            series = series.cast(pl.Float64)
            if series.null_count():
                missing[column] = series.is_null().to_numpy()
            values = np.asarray(series.to_numpy(), dtype=np.float64)
        else:
            values = np.asarray(series.cast(pl.String).fill_null("").to_numpy(), dtype=object)
        columns[column] = values
    return Table(name=name, columns=columns, first_line=first_line, missing=missing)


def _type_name(series) -> str:
    """The short type polars prints in a frame's header (``list[i64]``), else its name."""
    short = getattr(series.dtype, "_string_repr", None)  # not public: fall back to List(Int64)
    return short() if callable(short) else str(series.dtype)
