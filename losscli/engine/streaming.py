"""Streaming evaluation: chunks of rows through the mergeable loss states, in flat memory.

Each file is read in chunks of ``chunk_rows`` rows (the readers of :mod:`losscli.io`
stream CSV, compressed CSV and Parquet); each chunk goes through the layout plan
(``plan.arrays(chunk)``) and ``losscli.api.partial`` for every requested loss, and
the chunk's states are merged into a running total with ``losscli.api.merge``. Only
one chunk (plus the reader's buffers) is alive at a time, so peak memory does not
grow with the file (SPEC §7, issue 6). A glob of many files is streamed file after
file; the result equals the in-memory result on the concatenated rows up to the
rounding of the sums (the tests check 1e-12 relative).

When the layout has groups (``--group``: segmentation images, sequences), the
rows of the last group of a chunk are held back and put in front of the next
chunk before the layout plan sees it, so each chunk holds whole groups when a
group's rows are contiguous in the file: the ``--order`` sort then orders whole
sequences, and CTC (which needs a whole sequence) streams; additive per-group
states would merge exactly anyway.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any

import numpy as np

from losscli.engine.progress import ChunkProgress
from losscli.engine.states import Piece, merge_pieces
from losscli.losses.base import State

#: Float64 values held per chunk: 512 Ki values (4 MiB), e.g. 256 Ki rows of a target
#: and a prediction column, or ~47 Ki rows of 1 label + 10 class columns. Measured on the
#: 10 M-row benchmark (docs/performance.md): the same wall time as 1 Mi-row chunks (NumPy's
#: per-call overhead stays < 1%), and ~100 MiB less peak memory, because the reader's
#: buffers and the loss temporaries (a few arrays of the chunk's size) scale with it.
CHUNK_VALUES = 512 * 1024
#: Never fewer rows per chunk than this, however many columns.
MIN_CHUNK_ROWS = 8 * 1024
#: A group (image, sequence) is carried into the next chunk so that every chunk holds
#: whole groups; a group longer than this many chunks is passed on split (additive
#: states still merge exactly; CTC, which needs whole sequences, then says so).
MAX_CARRY_CHUNKS = 16


def default_chunk_rows(n_columns: int) -> int:
    """Rows per chunk for a layout that reads ``n_columns`` numeric columns.

    >>> default_chunk_rows(2)
    262144
    >>> default_chunk_rows(11)
    47662
    """
    return max(MIN_CHUNK_ROWS, CHUNK_VALUES // max(1, n_columns))


def _default_reader(path: str, *, columns: Sequence[str] | None, chunk_rows: int, **options: Any):
    from losscli.io import iter_tables

    return iter_tables(path, columns=columns, chunk_rows=chunk_rows, **options)


def iter_chunk_pieces(
    paths: Sequence[str],
    plan: Any,
    chunk_state: Callable[[Any], State],
    *,
    chunk_rows: int | None = None,
    columns: Sequence[str] | None = None,
    read_options: dict[str, Any] | None = None,
    reader: Callable[..., Iterable[Any]] | None = None,
    progress: ChunkProgress | None = None,
    first_file: Any = None,
) -> Iterator[Piece]:
    """The :class:`Piece` of every chunk of every file, in file order.

    Args:
        paths: the files, already expanded from any glob (``losscli.io.expand_paths``).
        plan: the layout plan decided once for the whole input; ``plan.arrays(table)``
            turns a chunk (a ``losscli.io.Table``) into the loss arrays (a ``Layout``).
        chunk_state: the arrays of one chunk -> its mergeable state
            (:class:`~losscli.engine.states.LossStates` for ``compute``).
        chunk_rows: rows per chunk; by default :func:`default_chunk_rows` of the columns.
        columns: the columns to read (only these are materialised); by default the
            plan's ``columns`` attribute when it has one, else every column.
        read_options: passed to the reader (delimiter, encoding, has_header...).
        reader: ``reader(path, columns=, chunk_rows=, **read_options)`` yielding tables;
            by default ``losscli.io.iter_tables``.
        progress: counts rows and files (and draws the bar on a slow terminal run).
        first_file: the first file's stream as the head read left it
            (``losscli.engine.inputs.FirstFile``): its chunks are used, not read again,
            when it was read with the same reader, columns and chunk size.
    """
    reader = reader or _default_reader
    if columns is None:
        columns = getattr(plan, "columns", None)
    if chunk_rows is None:
        chunk_rows = default_chunk_rows(len(columns) if columns else 2)

    started = first_file
    if started is not None and (
        reader is not _default_reader
        or not paths
        or not started.matches(paths[0], columns, chunk_rows)
    ):
        started.close()
        started = None

    def tables() -> Iterator[Any]:
        for index, path in enumerate(paths):
            if progress is not None:
                progress.start_file(str(path))
            options = {**(read_options or {}), **_key_options(plan, reader)}
            if index == 0 and started is not None:
                chunks = started.tables()
            else:
                chunks = reader(path, columns=columns, chunk_rows=chunk_rows, **options)
            for table in chunks:
                rows = _row_count(table)
                if rows:
                    yield table
                    if progress is not None:
                        progress.advance(rows)
            if progress is not None:
                progress.next_file()

    chunks = tables()
    group = group_column(plan)
    if group is not None:
        chunks = whole_groups(chunks, group, max_carry_rows=MAX_CARRY_CHUNKS * chunk_rows)
    plans: dict[str, Any] = {}
    for table in chunks:
        name = getattr(table, "name", None)
        if name not in plans:
            plans[name] = plan_for_file(plan, name)
        arrays = plans[name].arrays(table)
        yield Piece(state=chunk_state(arrays), rows=_arrays_rows(arrays), chunks=1)


def _key_options(plan: Any, reader: Any) -> dict[str, Any]:
    """``text_columns`` for losscli's own reader (also when the Dask engine wraps it): ids
    and group keys read as written, as the in-memory path reads them. Other readers are
    called as documented, without it."""
    roles = getattr(plan, "roles", None)
    own = reader is _default_reader or getattr(reader, "reader", None) is _default_reader
    if not own or not hasattr(roles, "key_columns"):
        return {}
    keys = roles.key_columns()
    return {"text_columns": keys} if keys else {}


def plan_for_file(plan: Any, name: str | None) -> Any:
    """``plan`` with ``name`` as its input file, so that an error about a row of a later
    file of a glob (a probability outside [0, 1], a row that does not sum to 1) names
    that file, not the first one the plan was decided from."""
    import dataclasses

    roles = getattr(plan, "roles", None)
    files = getattr(roles, "files", None)
    if (
        name is None
        or not dataclasses.is_dataclass(plan)
        or not dataclasses.is_dataclass(roles)
        or not files
        or len(files) != 1
        or files[0] == name
    ):
        return plan
    return dataclasses.replace(plan, roles=dataclasses.replace(roles, files=(name,)))


def stream_evaluate(
    paths: Sequence[str],
    plan: Any,
    chunk_state: Callable[[Any], State],
    *,
    chunk_rows: int | None = None,
    columns: Sequence[str] | None = None,
    read_options: dict[str, Any] | None = None,
    reader: Callable[..., Iterable[Any]] | None = None,
    show_progress: bool | None = None,
    first_file: Any = None,
) -> Piece:
    """The merged state of all rows of ``paths``.

    Arguments as :func:`iter_chunk_pieces`; ``show_progress`` forces the progress bar
    on or off (by default: on when stderr is a terminal and the run takes > 1 s).
    The running total is merged chunk by chunk, so memory holds one chunk at a time.

    Raises:
        InputError: no data rows in any of the files (SPEC §6: zero rows is an error).
    """
    total = Piece()
    with ChunkProgress(total_files=len(paths), enabled=show_progress) as progress:
        for piece in iter_chunk_pieces(
            paths,
            plan,
            chunk_state,
            chunk_rows=chunk_rows,
            columns=columns,
            read_options=read_options,
            reader=reader,
            progress=progress,
            first_file=first_file,
        ):
            total = merge_pieces(total, piece)
    if total.rows == 0:
        raise_no_rows(paths)
    return total


def raise_no_rows(paths: Sequence[str]) -> None:
    """The error for an input without a single data row (SPEC §6)."""
    from losscli.errors import InputError

    raise InputError(
        "no data rows",
        file=paths[0] if len(paths) == 1 else None,
        hint="the file has a header but no rows" if len(paths) == 1 else "every file is empty",
    )


def _row_count(table: Any) -> int:
    n = getattr(table, "n_rows", None)
    if n is not None:
        return int(n)
    return len(next(iter(table.columns.values()), ()))


def _arrays_rows(arrays: Any) -> int:
    return len(_get(arrays, "y_true"))


# --- whole groups per chunk ----------------------------------------------------------


def group_column(plan: Any) -> str | None:
    """The plan's image/sequence id column (``--group``), if any."""
    name = getattr(plan, "group_column", None)
    if name is not None:
        return name
    roles = getattr(plan, "roles", None)
    group = getattr(roles, "group", None)
    return None if group is None else group.name


def _get(arrays: Any, key: str) -> Any:
    return arrays.get(key) if isinstance(arrays, Mapping) else getattr(arrays, key, None)


def _last_group_start(groups: np.ndarray) -> int:
    """The first row of the trailing run of equal group ids."""
    last = groups[-1]
    different = np.flatnonzero(groups != last)
    return 0 if different.size == 0 else int(different[-1]) + 1


def whole_groups(tables: Iterable[Any], column: str, *, max_carry_rows: int) -> Iterator[Any]:
    """``tables`` (chunks of ``losscli.io.Table``) re-cut so that a run of rows with the
    same ``column`` value is never split between two chunks.

    The trailing run of each chunk is carried into the next (``concat_tables``) before
    the layout plan sees it, so the plan's ``--order`` sort and CTC see whole sequences.
    A carry longer than ``max_carry_rows`` is passed on as it is.
    """
    from losscli.io import concat_tables

    carry = None
    for table in tables:
        if carry is not None:
            table = concat_tables([carry, table])
            carry = None
        ids = np.asarray(table.column(column))
        start = _last_group_start(ids)
        if start == 0:
            if table.n_rows <= max_carry_rows:
                carry = table  # one group so far: keep reading
            else:
                yield table  # a group longer than the cap: passed on split
            continue
        yield table.take(np.arange(start))
        carry = table.take(np.arange(start, table.n_rows))
    if carry is not None:
        yield carry
