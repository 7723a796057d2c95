"""The Dask engine: the same mergeable loss states, computed as a Dask graph.

Each input file is one Dask task -- a Parquet file of more than :data:`PARTITION_ROWS`
rows is split into row ranges, one task each, so that one big file uses every worker
(:func:`row_ranges`; CSV files stay whole) -- and the task streams its rows in chunks
exactly as the streaming engine does (:func:`losscli.engine.streaming.iter_chunk_pieces`) and
returns one :class:`~losscli.engine.states.Piece` (a few sums per loss, or per
group for grouped losses). The pieces are merged with ``losscli.api.merge`` in a
tree of fan-in :data:`MERGE_FAN_IN`, so no single task receives every piece at
once. Only the small states travel between workers; the data never leaves the
worker that reads it. The result equals the single-machine result on the
concatenated files up to the rounding of the sums (tests: 1e-12 relative).

Without ``--scheduler`` a local ``dask.distributed`` cluster is started with one
single-threaded worker process per CPU core; with ``--scheduler tcp://HOST:8786``
the graph runs on that cluster, whose workers must have losscli installed and see
the files at the same paths (docs/distributed.md).

Dask is an optional extra (``pip install 'losscli[dask]'``); without it,
``--engine dask`` is a usage error (exit 2) that gives the install command.
"""

from __future__ import annotations

import contextlib
import logging
import os
import uuid
from collections.abc import Callable, Sequence
from typing import Any

from losscli.engine.states import Piece, merge_pieces
from losscli.engine.streaming import raise_no_rows
from losscli.errors import LossCliError

#: The command that installs the optional Dask dependencies.
INSTALL_COMMAND = "pip install 'losscli[dask]'"
#: How long to keep trying to reach a ``--scheduler`` before giving up (exit 2).
SCHEDULER_CONNECT_SECONDS = 10
#: A Parquet file of more rows than this is split into row ranges, one task each.
PARTITION_ROWS = 1_000_000
#: Pieces merged per reduction task (a tree reduction, like dask.bag's ``split_every``).
MERGE_FAN_IN = 8


class DaskMissing(LossCliError):
    """``--engine dask`` was asked for but Dask (or dask.distributed) is not installed."""


def import_dask() -> tuple[Any, Any]:
    """``(dask, distributed)``, or :class:`DaskMissing` (exit 2) naming the install command."""
    try:
        import dask
        import distributed
    except ImportError as error:
        missing = getattr(error, "name", None) or "dask"
        raise DaskMissing(
            f"--engine dask needs the optional Dask dependencies ({missing} is not installed)",
            hint=f"install them with: {INSTALL_COMMAND}",
        ) from None
    return dask, distributed


def file_piece(
    path: str,
    plan: Any,
    chunk_state: Callable[[Any], Any],
    chunk_rows: int | None,
    read_options: dict[str, Any] | None,
    reader: Any = None,
    name: str | None = None,
) -> Piece:
    """The merged states of one file (runs on a Dask worker).

    ``path`` is absolute (a worker's working directory is not the client's); ``name``
    is the path as the user gave it, used in error messages."""
    from losscli.engine.streaming import _default_reader, iter_chunk_pieces

    if name is not None and name != path:
        reader = _renaming_reader(reader or _default_reader, name)
    total = Piece()
    for piece in iter_chunk_pieces(
        [path],
        plan,
        chunk_state,
        chunk_rows=chunk_rows,
        read_options=read_options,
        reader=reader,
    ):
        total = merge_pieces(total, piece)
    return total


class _renaming_reader:
    """A chunk reader whose tables carry the user's name of the file (picklable)."""

    def __init__(self, reader: Any, name: str) -> None:
        self.reader = reader
        self.name = name

    def __call__(self, path: str, **options: Any) -> Any:
        for table in self.reader(path, **options):
            with contextlib.suppress(AttributeError):  # a reader's own table type
                table.name = self.name
            yield table


def merge_group(*pieces: Piece) -> Piece:
    """One reduction task: the merge of up to :data:`MERGE_FAN_IN` pieces."""
    return merge_pieces(*pieces)


def build_graph(
    paths: Sequence[str],
    plan: Any,
    chunk_state: Callable[[Any], Any],
    *,
    chunk_rows: int | None = None,
    read_options: dict[str, Any] | None = None,
    reader: Any = None,
) -> Any:
    """A ``dask.delayed`` object computing the merged :class:`Piece` of ``paths``."""
    dask, _ = import_dask()
    delayed = dask.delayed
    # Keys unique per run: a scheduler shared by several runs must not mix their tasks.
    token = uuid.uuid4().hex[:12]
    parts: list[tuple[str, Any]] = []
    for path in paths:
        absolute = _absolute(path)
        ranges = None if reader is not None else row_ranges(absolute, plan)
        if ranges is None:
            parts.append((absolute, reader))
        else:
            parts.extend((absolute, _ParquetRange(start, stop)) for start, stop in ranges)
    layer = [
        delayed(file_piece, pure=False)(
            path,
            plan,
            chunk_state,
            chunk_rows,
            read_options,
            part_reader,
            str(name),
            dask_key_name=f"losscli-file-{index}-{token}",
        )
        for index, ((path, part_reader), name) in enumerate(
            zip(parts, _names(paths, parts), strict=True)
        )
    ]
    level = 0
    while len(layer) > 1:
        level += 1
        layer = [
            delayed(merge_group, pure=False)(
                *layer[start : start + MERGE_FAN_IN],
                dask_key_name=f"losscli-merge-{level}-{start // MERGE_FAN_IN}-{token}",
            )
            for start in range(0, len(layer), MERGE_FAN_IN)
        ]
    return layer[0]


def _names(paths: Sequence[str], parts: Sequence[tuple[str, Any]]) -> list[str]:
    """The user's name of the file of every part (parts of one file are consecutive)."""
    by_absolute = {_absolute(p): str(p) for p in paths}
    return [by_absolute.get(path, path) for path, _ in parts]


def row_ranges(path: str, plan: Any, rows: int | None = None) -> list[tuple[int, int]] | None:
    """Row ranges of a large Parquet file, one Dask task each (None: the file is one task).

    A single big file would otherwise run on one worker. Parquet knows its row count
    and reads only the row groups a range needs, so ranges of :data:`PARTITION_ROWS` rows
    cost nothing extra. CSV files are not split (a byte range must start at a record
    boundary, which needs a scan for quotes: docs/distributed.md), nor are inputs with
    ``--group`` (a range could cut an image or a sequence, which ``--order`` and CTC
    need whole).
    """
    from losscli.engine.streaming import group_column

    rows = rows or PARTITION_ROWS
    if group_column(plan) is not None or not os.path.isfile(path):
        return None
    try:
        from losscli.io.sources import resolve

        source = resolve(path)
        if source.format != "parquet" or source.compression is not None:
            return None
        import polars as pl

        total = pl.scan_parquet(path).select(pl.len()).collect().item()
    except Exception:  # unreadable here: the task reports it, with the file's name
        return None
    if total <= rows:
        return None
    return [(start, min(start + rows, total)) for start in range(0, total, rows)]


class _ParquetRange:
    """Reads rows ``start:stop`` of a Parquet file in chunks (a picklable reader)."""

    def __init__(self, start: int, stop: int) -> None:
        self.start = start
        self.stop = stop

    def __call__(
        self, path: str, *, columns: Sequence[str] | None, chunk_rows: int, **options: Any
    ) -> Any:
        import polars as pl

        from losscli.io.parquet_reader import frame_to_table

        lazy = pl.scan_parquet(path)
        if columns is not None:
            lazy = lazy.select(list(columns))
        for offset in range(self.start, self.stop, chunk_rows):
            frame = lazy.slice(offset, min(chunk_rows, self.stop - offset)).collect()
            yield frame_to_table(path, frame, first_line=offset + 1)


def _absolute(path: Any) -> str:
    """The path a worker can open whatever its working directory (QA: a relative glob
    sent to a ``--scheduler`` cluster was "no such file" on the workers)."""
    text = str(path)
    if os.path.isabs(text) or not os.path.exists(text):  # "-", URLs, a test's names
        return text
    return os.path.abspath(text)


def local_cluster_size() -> int:
    """Workers of the default local cluster: one per CPU this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not on Linux
        return max(1, os.cpu_count() or 1)


def dask_evaluate(
    paths: Sequence[str],
    plan: Any,
    chunk_state: Callable[[Any], Any],
    *,
    chunk_rows: int | None = None,
    scheduler: str | None = None,
    read_options: dict[str, Any] | None = None,
    client: Any = None,
    reader: Any = None,
) -> Piece:
    """The merged states of ``requests`` over ``paths``, computed on a Dask cluster.

    Args:
        paths: the input files (one task each).
        plan, chunk_state, chunk_rows, read_options: as for
            :func:`losscli.engine.streaming.stream_evaluate`; ``plan`` and
            ``chunk_state`` are pickled to the workers.
        scheduler: the address of a running scheduler (``tcp://host:8786``); without it,
            a local cluster of :func:`local_cluster_size` worker processes is started
            and shut down afterwards.
        client: an existing ``distributed.Client`` to use instead (tests pass one).
        reader: the chunk reader (default ``losscli.io.iter_tables``); must be importable
            or picklable by the workers.

    Raises:
        DaskMissing: Dask is not installed.
        InputError: no rows at all, or the scheduler cannot be reached.
    """
    import_dask()
    graph = build_graph(
        paths,
        plan,
        chunk_state,
        chunk_rows=chunk_rows,
        read_options=read_options,
        reader=reader,
    )
    if client is not None:
        piece = client.compute(graph).result()
    else:
        with _client(scheduler) as own_client:
            piece = own_client.compute(graph).result()
    if piece.rows == 0:
        raise_no_rows(paths)
    return piece


class _client:
    """A ``distributed.Client`` on ``scheduler``, or on a local cluster it starts and stops."""

    def __init__(self, scheduler: str | None, timeout: float = SCHEDULER_CONNECT_SECONDS) -> None:
        self.scheduler = scheduler
        self.timeout = timeout
        self.cluster: Any = None
        self.client: Any = None

    def __enter__(self) -> Any:
        from distributed import Client, LocalCluster

        if self.scheduler:
            try:
                self.client = Client(self.scheduler, timeout=f"{self.timeout}s")
            except (OSError, TimeoutError) as error:
                from losscli.errors import InputError

                raise InputError(
                    f"cannot reach the Dask scheduler at {self.scheduler!r} ({error})",
                    hint="start one with `dask scheduler` and give its tcp:// address",
                ) from None
            return self.client
        self.cluster = LocalCluster(
            n_workers=local_cluster_size(),
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            silence_logs=logging.ERROR,
        )
        self.client = Client(self.cluster)
        return self.client

    def __exit__(self, *exc: object) -> None:
        if self.client is not None:
            self.client.close()
        if self.cluster is not None:
            self.cluster.close()
