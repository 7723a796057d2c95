"""What the streaming and Dask engines need before the first chunk: files and a plan.

The in-memory path decides the layout (task, classes, column roles) from the whole
table. An engine that streams decides the plan ONCE, before the first chunk, from
evidence over the whole input: the head of the first file (:data:`HEAD_ROWS` rows)
when it settles the question, else a pre-pass over only the target columns of every
file (:mod:`losscli.engine.targets`). The plan is then applied to every chunk of every
file; a value that does not fit it (a third label of a binary target, a class with no
prediction column) is an error naming its file, line and column (``LayoutPlan.arrays``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

#: Rows of the first file read as the head (the prediction warnings, and the plan when
#: the head settles it). 100 k rows: the task-inference thresholds (AutoGluon's
#: unique-value ratios, up to 1000 classes) are decided well within it, and it reads
#: in ~30 ms.
HEAD_ROWS = 100_000


def input_paths(files: Sequence[str]) -> list[str]:
    """The files to read: a single argument's glob expanded (sorted), else as given.

    >>> input_paths(["a.csv", "b.csv"])
    ['a.csv', 'b.csv']
    """
    if len(files) != 1:
        return list(files)
    from losscli.io import expand_paths

    return expand_paths(files[0])


class FirstFile:
    """The first file's chunks, started by the head read and finished by the main pass.

    The head is the first :data:`HEAD_ROWS` rows of the same chunk stream the streaming
    engine reads (same columns, chunk size and reader options), so the first file is
    parsed once, not once for the head and again for the sums (~0.05 s of a 10 M-row
    run, docs/performance.md). :meth:`tables` yields the chunks already read, then the
    rest of the stream; :meth:`matches` tells the engine whether it may use them.
    """

    def __init__(self, path: str, columns: Sequence[str], chunk_rows: int, tables: Any):
        self.path = path
        self.columns = list(columns)
        self.chunk_rows = chunk_rows
        self._stream = tables
        self._read: list[Any] = []
        self.exhausted = False

    def read_rows(self, rows: int) -> list[Any]:
        """The chunks read so far, reading on until they hold ``rows`` rows or the file ends."""
        held = sum(table.n_rows for table in self._read)
        while held < rows and not self.exhausted:
            table = next(self._stream, None)
            if table is None:
                self.exhausted = True
            else:
                self._read.append(table)
                held += table.n_rows
        return list(self._read)

    def matches(self, path: str, columns: Sequence[str] | None, chunk_rows: int) -> bool:
        return (
            path == self.path
            and list(columns or ()) == self.columns
            and (chunk_rows == self.chunk_rows)
        )

    def tables(self) -> Any:
        """Every chunk of the file, once: the ones the head read, then the rest."""
        read, self._read = self._read, []
        yield from read
        if not self.exhausted:
            yield from self._stream

    def close(self) -> None:
        self._read = []
        close = getattr(self._stream, "close", None)
        if close is not None:
            close()


def plan_from_head(
    paths: Sequence[str],
    *,
    roles: Mapping[str, Any],
    layout_options: Any,
    read_options: Mapping[str, Any],
    head_rows: int = HEAD_ROWS,
) -> tuple[Any, Any]:
    """The layout plan of a streamed input, decided from evidence over the whole input,
    and the laid-out head (the first rows of the first file).

    When the head is the whole input, or what it shows cannot change with more rows
    (:func:`losscli.engine.targets.head_is_final`), the plan is the head's. Otherwise a
    pre-pass over only the target column(s) of every file summarises them, and the plan
    is decided on a representative head holding every value of the input
    (:mod:`losscli.engine.targets`), so that a file sorted by its label, or a glob whose
    first file holds one class, gets the plan the in-memory path would give.

    Args:
        paths: the files (one-file form: each holds targets and predictions).
        roles: ``losscli.layout.resolve_roles`` keyword options (``target``,
            ``prediction``, ``weight``, ``group``, ``order``, ``group_by``, ``id_column``).
        layout_options: a ``losscli.layout.LayoutOptions``.
        read_options: ``delimiter``, ``has_header``, ``encoding``.
        head_rows: rows of the first file read as the head.

    Returns:
        ``(plan, head_layout)``; the head layout serves the prediction warnings.

    Raises:
        InputError: as the in-memory path (missing columns, no rows, bad values).
    """
    plan, head, first = _plan_and_first_file(
        paths,
        roles=roles,
        layout_options=layout_options,
        read_options=read_options,
        head_rows=head_rows,
    )
    first.close()
    return plan, head


def _plan_and_first_file(
    paths: Sequence[str],
    *,
    roles: Mapping[str, Any],
    layout_options: Any,
    read_options: Mapping[str, Any],
    head_rows: int | None = None,
    chunk_rows: int | None = None,
) -> tuple[Any, Any, FirstFile]:
    """:func:`plan_from_head`, and the first file's chunk stream it started
    (``chunk_rows`` rows per chunk; by default the streaming engine's size)."""
    from losscli.engine.streaming import default_chunk_rows
    from losscli.io import read_header
    from losscli.layout import resolve_roles

    head_rows = head_rows or HEAD_ROWS
    first = paths[0]
    name = "<stdin>" if first == "-" else first
    column_roles = resolve_roles([read_header(first, **read_options)], [name], **roles)
    columns = column_roles.needed(0)
    chunk_rows = chunk_rows or default_chunk_rows(len(columns))
    stream = _chunks(first, column_roles, columns, chunk_rows, read_options)
    first_file = FirstFile(first, columns, chunk_rows, stream)
    try:
        plan, head = _plan(
            paths, column_roles, first_file, layout_options, read_options, head_rows, name
        )
    except BaseException:
        first_file.close()
        raise
    return plan, head, first_file


def _plan(paths, column_roles, first_file, layout_options, read_options, head_rows, name):
    from losscli.engine import targets as evidence
    from losscli.errors import InputError, LossCliError
    from losscli.io import concat_tables
    from losscli.layout import plan_layout

    chunks, rows = [], 0
    for table in first_file.read_rows(head_rows):
        if table.n_rows and rows < head_rows:
            chunks.append(table.rows(0, head_rows - rows))  # a view: only concat copies
            rows += chunks[-1].n_rows
    if not chunks:
        raise InputError("no data rows", file=name, hint="the file has a header but no rows")
    head = concat_tables(chunks)
    if _typed_by_later_rows(chunks, column_roles.key_columns()):
        # A chunk's column types come from all its rows: text beyond the head would make
        # the head's numbers text. Read the head rows on their own, as the plan expects.
        head = _read_head(paths[0], column_roles, first_file.columns, head_rows, read_options)
    if len(paths) == 1 and head.n_rows < head_rows:  # the head is the whole input
        plan = plan_layout(column_roles, [head], layout_options)
        return plan, plan.arrays(head)
    target_names = [ref.name for ref in column_roles.targets]
    head_summary = evidence.summarise_table(head, target_names)
    try:
        plan = plan_layout(
            column_roles, [head], layout_options, infer=evidence.inferrer(head_summary)
        )
    except LossCliError:
        plan = None  # e.g. a head of one class: the whole input decides
    if plan is not None and evidence.head_is_final(plan, head_summary):
        return plan, plan.arrays(head)
    summary = evidence.summarise_targets(paths, target_names, read_options)
    table, witnesses = evidence.representative_head(head, summary, head_summary)
    try:
        plan = plan_layout(column_roles, [table], layout_options, infer=evidence.inferrer(summary))
    except LossCliError as error:
        raise evidence.locate_witness(error, witnesses, read_options) from None
    return plan, plan.arrays(head)


def _typed_by_later_rows(chunks: Sequence[Any], key_columns: Sequence[str]) -> bool:
    """Whether a value column of the head is text in a chunk (keys are always text).

    The reader types each column per chunk, so a chunk that straddles the end of the head
    and holds a word after it reads the head's numbers in that chunk as text too."""
    keys = set(key_columns)
    return any(
        values.dtype == object
        for table in chunks
        for name, values in table.columns.items()
        if name not in keys
    )


def _read_head(path, column_roles, columns, head_rows: int, read_options) -> Any:
    """The first ``head_rows`` rows read as one chunk (the plan's head before the stream
    was shared with it: typed by those rows alone)."""
    return next(_chunks(path, column_roles, columns, head_rows, read_options))


def _chunks(path, column_roles, columns, chunk_rows: int, read_options) -> Any:
    """The file's chunks as the streaming engine reads them (keys kept as text)."""
    from losscli.io import iter_tables

    return iter_tables(
        path,
        columns=columns,
        chunk_rows=chunk_rows,
        text_columns=column_roles.key_columns(),
        **read_options,
    )


@dataclass
class PreparedInput:
    """The input of a ``compute`` run, read whole or planned for streaming.

    Attributes:
        engine: ``memory``, ``streaming`` or ``dask``.
        paths: the files (a glob expanded).
        plan: the layout plan (from all rows in memory, or from the head of the first file).
        layout: all rows laid out (memory), or the head the plan was decided from.
    """

    engine: str
    paths: list[str]
    plan: Any
    layout: Any
    chunk_rows: int | None = None
    scheduler: str | None = None
    read_options: dict[str, Any] = field(default_factory=dict)
    first_file: FirstFile | None = None

    def evaluate(
        self,
        requests: Sequence[Any],
        *,
        convention: Any = "losscli",
        per_output: bool = False,
        by_slice: bool = False,
    ) -> Any:
        """Every request on all rows (``losscli.evaluation.Evaluation``), by the engine."""
        if self.engine == "memory":
            from losscli.evaluation import evaluate

            return evaluate(
                self.layout,
                requests,
                convention=convention,
                per_output=per_output,
                by_slice=by_slice,
            )
        from losscli.engine import evaluate_files

        first_file, self.first_file = self.first_file, None  # its chunks are read once
        return evaluate_files(
            self.paths,
            self.plan,
            requests,
            convention=convention,
            engine=self.engine,
            chunk_rows=self.chunk_rows,
            scheduler=self.scheduler,
            read_options=self.read_options,
            per_output=per_output,
            by_slice=by_slice,
            first_file=first_file if self.engine == "streaming" else None,
        )

    def close(self) -> None:
        """Stop the first file's stream, when it is not evaluated (a re-planned input)."""
        if self.first_file is not None:
            self.first_file.close()
            self.first_file = None


def prepare_inputs(options: Any) -> PreparedInput:
    """Choose the engine for ``compute``'s options, then read (memory) or plan (streaming).

    ``options`` is the command's ``ComputeOptions`` (files, the column roles, the layout
    choices, ``engine``, ``scheduler``, ``chunk_rows``, ``per_sample``, ``ci``).

    Raises:
        ParameterError: a memory-only option (``--per-sample``, ``--ci``, two files) with
            ``--engine streaming|dask``; ``--scheduler`` without ``--engine dask``; a glob
            of several files where only one file can be read into memory.
    """
    from losscli.engine import check_chunk_rows, choose_engine
    from losscli.errors import ParameterError
    from losscli.layout import LayoutOptions, plan_layout, read_inputs

    requested = getattr(options, "engine", "auto") or "auto"
    scheduler = getattr(options, "scheduler", None)
    if scheduler and requested != "dask":
        raise ParameterError("--scheduler is for --engine dask", hint="add --engine dask")
    files = list(options.files)
    paths = input_paths(files)
    memory_only = []
    if getattr(options, "per_sample", None):
        memory_only.append("--per-sample")
    if getattr(options, "ci", None) is not None:
        memory_only.append("--ci")
    if len(files) > 1:  # (three or more is read_inputs' "one file, or two" error)
        memory_only.append("a targets file with a predictions file")
    engine = choose_engine(paths, requested, memory_only=memory_only)
    if engine == "dask" and "-" in paths:
        raise ParameterError(
            "--engine dask reads files on the workers; standard input ('-') cannot be one",
            hint="use --engine streaming for standard input, or save it to a file",
        )
    read_options = {
        "delimiter": options.delimiter,
        "has_header": options.has_header,
        "encoding": options.encoding,
    }
    roles = {
        "target": options.target,
        "prediction": options.prediction,
        "weight": options.weight,
        "id_column": options.id_column,
        "group": options.group,
        "order": options.order,
        "group_by": options.group_by,
    }
    layout_options = LayoutOptions(
        task=options.task,
        positive=options.positive,
        from_logits=options.from_logits,
        renormalize=options.renormalize,
        box_format=options.box_format,
        pooled=options.pooled,
    )
    if engine == "memory":
        if len(files) == 1 and len(paths) > 1:
            reason = ", ".join(memory_only) or "--engine memory"
            raise ParameterError(
                f"{reason} reads one file into memory, but {files[0]!r} matches {len(paths)} files",
                hint="name one file, or drop the option to stream the files",
            )
        roles_found, tables = read_inputs(paths, **roles, **read_options)
        plan = plan_layout(roles_found, tables, layout_options)
        return PreparedInput("memory", paths, plan, plan.arrays(*tables))
    chunk_rows = getattr(options, "chunk_rows", None)
    check_chunk_rows(chunk_rows)
    plan, head, first_file = _plan_and_first_file(
        paths,
        roles=roles,
        layout_options=layout_options,
        read_options=read_options,
        chunk_rows=chunk_rows,
    )
    if engine != "streaming":  # Dask workers read every file themselves
        first_file.close()
        first_file = None
    if len(paths) > 1:
        # Every file of the glob, for the report's "files" (the plan's roles name the
        # first file only: the one-file form has one table per chunk).
        plan.input_files = list(paths)
    return PreparedInput(
        engine,
        paths,
        plan,
        head,
        chunk_rows=chunk_rows,
        scheduler=scheduler,
        read_options=read_options,
        first_file=first_file,
    )
