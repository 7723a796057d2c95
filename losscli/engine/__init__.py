"""Evaluation engines over the mergeable loss states: in-memory, streaming and Dask.

All three compute ``finish(merge(partial(chunk) for chunk in input))`` with
``losscli.api``; they differ only in where the chunks come from and where the
partial states are computed:

- ``memory``: the whole input is one chunk (the ``compute`` command's own path; it
  also serves ``--per-sample``, ``--ci`` and the two-file form).
- ``streaming``: chunks of rows, file after file, merged as they arrive
  (:mod:`losscli.engine.streaming`); peak memory does not grow with the input.
- ``dask``: one task per file (per row range of a large Parquet file) on a Dask
  cluster (:mod:`losscli.engine.dask_engine`).

``auto`` picks ``streaming`` for inputs whose (estimated, decompressed) size is over
:data:`STREAMING_THRESHOLD_BYTES`, for globs matching several files and for standard
input, and ``memory`` otherwise. This module imports nothing heavy, so that the
command modules can import it at start-up.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

ENGINES = ("auto", "memory", "streaming", "dask")

#: Inputs larger than this (decompressed estimate, ``losscli.io.file_size``) stream.
#: Measured on the 2-core benchmark machine (docs/performance.md), mse+mae+huber:
#: 1 M rows (37 MiB): streaming 0.68 s / 176 MiB peak, in-memory 1.02 s / 227 MiB;
#: 10 M rows (374 MiB): streaming 1.9 s / 415 MiB, in-memory 8.8 s / 908 MiB. Streaming
#: wins from a few hundred thousand rows on; below 16 MiB (~400 k rows of two columns)
#: the in-memory path costs little and its plan sees every row, not the first 100 k.
STREAMING_THRESHOLD_BYTES = 16 * 1024 * 1024

#: The features that need every row in memory at once (per-sample output, bootstrap
#: resampling, the two-file join): ``auto`` falls back to ``memory`` for them, and an
#: explicit ``--engine streaming|dask`` with them is a usage error.
MEMORY_ONLY_FEATURES = ("--per-sample", "--ci", "two input files")


def choose_engine(
    paths: Sequence[str],
    requested: str = "auto",
    *,
    memory_only: Sequence[str] = (),
) -> str:
    """The engine to run: ``requested`` unless it is ``auto``.

    Args:
        paths: the input files after glob expansion (``-`` for standard input).
        requested: ``auto``, ``memory``, ``streaming`` or ``dask``.
        memory_only: the options in use that need the in-memory engine (``--per-sample``,
            ``--ci``...). With ``auto`` they choose ``memory``; with ``streaming`` or
            ``dask`` they are an error that says so.

    Raises:
        ParameterError: an unknown engine, or a memory-only option with streaming/dask.

    >>> choose_engine(["a.csv", "b.csv"])
    'streaming'
    >>> choose_engine(["a.csv", "b.csv"], memory_only=["--per-sample"])
    'memory'
    """
    from losscli.errors import ParameterError

    if requested not in ENGINES:
        raise ParameterError(f"unknown engine {requested!r}; choose one of {', '.join(ENGINES)}")
    if requested in ("streaming", "dask") and memory_only:
        raise ParameterError(
            f"{' and '.join(memory_only)} needs every row in memory, on a single machine; "
            f"it cannot be used with --engine {requested}",
            hint="drop --engine (or use --engine memory)",
        )
    if requested != "auto":
        return requested
    if memory_only:
        return "memory"
    if len(paths) > 1:
        return "streaming"
    from losscli.io import file_size

    size = file_size(paths[0])
    if size is None or size > STREAMING_THRESHOLD_BYTES:
        return "streaming"
    return "memory"


def check_chunk_rows(chunk_rows: int | None) -> None:
    """``--chunk-rows`` must be a positive number of rows (None: the default)."""
    if chunk_rows is not None and chunk_rows < 1:
        from losscli.errors import ParameterError

        raise ParameterError(f"--chunk-rows must be a positive number of rows, got {chunk_rows}")


def evaluate_files(
    paths: Sequence[str],
    plan: Any,
    requests: Sequence[Any],
    *,
    convention: Any = "losscli",
    engine: str = "streaming",
    chunk_rows: int | None = None,
    scheduler: str | None = None,
    read_options: dict[str, Any] | None = None,
    per_output: bool = False,
    by_slice: bool = False,
    show_progress: bool | None = None,
    first_file: Any = None,
) -> Any:
    """Every request over all rows of ``paths``, as a ``losscli.evaluation.Evaluation``.

    The same result as ``losscli.evaluation.evaluate`` on the concatenated rows (up to the
    rounding of the sums), computed chunk by chunk (``streaming``) or one Dask task per
    file (``dask``); the ``memory`` engine is the caller's own in-memory path.

    Args:
        paths: the input files, globs already expanded (``losscli.io.expand_paths``); each
            file holds targets and predictions (the one-file form).
        plan: the ``losscli.layout.LayoutPlan`` decided once (from the first file's head).
        requests: ``losscli.evaluation.LossRequest`` objects.
        convention: a convention name or object.
        engine: ``streaming`` or ``dask``.
        chunk_rows: rows per chunk (default: ~4 MiB of float64 values per chunk).
        scheduler: a Dask scheduler address (``tcp://host:8786``); dask engine only.
        read_options: ``iter_tables`` options (``delimiter``, ``has_header``, ``encoding``).
        per_output, by_slice: as for ``losscli.evaluation.partial_states``.
        show_progress: force the progress bar on/off (default: on a terminal, after 1 s).
        first_file: the first file's stream as the head read left it
            (``losscli.engine.inputs.FirstFile``; streaming engine only).

    Raises:
        ParameterError: a bad ``chunk_rows`` or engine; DaskMissing without Dask.
        InputError: from the readers and the layout (file, line, column named).
    """
    from losscli.engine.states import LossStates

    check_chunk_rows(chunk_rows)
    chunk_state = LossStates(
        requests, convention=convention, per_output=per_output, by_slice=by_slice
    )
    if engine == "dask":
        from losscli.engine.dask_engine import dask_evaluate

        piece = dask_evaluate(
            paths,
            plan,
            chunk_state,
            chunk_rows=chunk_rows,
            scheduler=scheduler,
            read_options=read_options,
        )
    elif engine == "streaming":
        from losscli.engine.streaming import stream_evaluate

        piece = stream_evaluate(
            paths,
            plan,
            chunk_state,
            chunk_rows=chunk_rows,
            read_options=read_options,
            show_progress=show_progress,
            first_file=first_file,
        )
    else:
        raise ValueError(f"evaluate_files runs the streaming and dask engines, not {engine!r}")
    return chunk_state.finish(piece, plan)
