"""The ``recommend`` command: which loss and output activation fit this data, and why (SPEC §5).

Thin by design: it reads the columns, calls :func:`losscli.recommend.recommend` and renders
the result. Only Typer and the standard library are imported at module level.
"""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from losscli.cli.common import BoxFormat, NoColorOption, TaskChoice, handles_errors

if TYPE_CHECKING:
    import numpy as np

    from losscli.io import Table


class RecommendFormat(StrEnum):
    table = "table"
    json = "json"
    markdown = "markdown"


@handles_errors
def recommend(
    targets: Annotated[
        str,
        typer.Argument(help="File of targets (CSV, TSV, Parquet, .gz/.bz2/.xz, or - for stdin)."),
    ],
    predictions: Annotated[
        str | None,
        typer.Argument(help="Optional file of predictions (rows pair by order, or by --id)."),
    ] = None,
    target: Annotated[
        str | None,
        typer.Option("--target", "-t", help="Target column(s): a name, a comma list or a glob."),
    ] = None,
    pred: Annotated[
        str | None,
        typer.Option("--pred", "-p", help="Prediction column(s): a name, a comma list or a glob."),
    ] = None,
    weight: Annotated[
        str | None, typer.Option("--weight", "-w", help="Sample-weight column.")
    ] = None,
    id_column: Annotated[
        str | None, typer.Option("--id", help="Id column to join the two files on.")
    ] = None,
    group: Annotated[
        str | None,
        typer.Option("--group", help="Image or sequence id column (segmentation, sequences)."),
    ] = None,
    task: Annotated[
        TaskChoice, typer.Option("--task", help="Override the inferred task.")
    ] = TaskChoice.auto,
    positive: Annotated[
        str | None, typer.Option("--positive", help="The positive label of a binary target.")
    ] = None,
    box_format: Annotated[
        BoxFormat | None, typer.Option("--box-format", help="Box columns format (detection).")
    ] = None,
    delimiter: Annotated[
        str | None,
        typer.Option("--delimiter", "-d", help="CSV delimiter (default ',', tab for .tsv)."),
    ] = None,
    no_header: Annotated[
        bool, typer.Option("--no-header", help="The files have no header row (columns 0,1,…).")
    ] = False,
    encoding: Annotated[
        str, typer.Option("--encoding", help="Text encoding of CSV files.")
    ] = "utf-8",
    output_format: Annotated[
        RecommendFormat | None,
        typer.Option(
            "--format",
            "-f",
            help="table (default on a terminal), json (default in a pipe) or markdown.",
        ),
    ] = None,
    no_color: NoColorOption = False,
) -> None:
    """Recommend a loss and an output activation from the data, with the evidence.

    Infers the task and says why; measures the evidence (outliers, skew, class imbalance,
    label cardinality, what the predictions look like); recommends a loss, its activation
    and parameters, with ranked alternatives; with predictions, computes them all on them.

    Example: losscli recommend data.csv --target y --pred yhat
    """
    from losscli.io import expand_paths
    from losscli.recommend import recommend as run_recommend
    from losscli.render.console import stdout_console, warn

    paths = expand_paths(targets)
    summary = None
    if len(paths) > 1:
        # Many files (a glob): one streaming pass, exact counts and moments, the rest from
        # a seeded sample (losscli.recommend.streaming; docs/recommend.md).
        columns, summary = _read_many(
            paths,
            predictions,
            target=target,
            pred=pred,
            weight=weight,
            id_column=id_column,
            group=group,
            delimiter=delimiter,
            has_header=not no_header,
            encoding=encoding,
        )
    else:
        targets = paths[0]
    columns = (
        columns
        if summary is not None
        else _read(
            targets,
            predictions,
            target=target,
            pred=pred,
            weight=weight,
            id_column=id_column,
            group=group,
            delimiter=delimiter,
            has_header=not no_header,
            encoding=encoding,
        )
    )
    result = run_recommend(
        columns.targets,
        columns.predictions,
        sample_weight=columns.weight,
        task=task.value,
        groups=columns.groups,
        box_format=box_format.value if box_format else None,
        positive=positive,
        summary=summary,
    )
    for line in result.warnings:
        warn(line)
    chosen = output_format
    if chosen is None:
        chosen = RecommendFormat.table if sys.stdout.isatty() else RecommendFormat.json
    if chosen is RecommendFormat.table:
        from losscli.render.recommend import print_table

        print_table(result, stdout_console())
    elif chosen is RecommendFormat.json:
        from losscli.render.recommend import json_report

        sys.stdout.write(json_report(result))
    else:
        from losscli.render.recommend import markdown_report

        sys.stdout.write(markdown_report(result))


# --------------------------------------------------------------------------- reading


class _Columns:
    """The arrays ``recommend`` needs, taken out of the file(s)."""

    def __init__(self) -> None:
        self.targets: dict[str, np.ndarray] = {}
        self.predictions: dict[str, np.ndarray] | None = None
        self.weight: np.ndarray | None = None
        self.groups: np.ndarray | None = None


def _read(
    targets_path: str,
    predictions_path: str | None,
    *,
    target: str | None,
    pred: str | None,
    weight: str | None,
    id_column: str | None,
    group: str | None,
    delimiter: str | None,
    has_header: bool,
    encoding: str,
) -> _Columns:
    from losscli.errors import InputError
    from losscli.io import pair_tables, read_header, read_table, select_columns

    options = {"delimiter": delimiter, "has_header": has_header, "encoding": encoding}
    if predictions_path is not None and Path(predictions_path) == Path(targets_path) == Path("-"):
        raise InputError("standard input can be read once: give at most one file as -")
    header = read_header(targets_path, **options)
    roles = {name for name in (weight, id_column, group) if name}
    if predictions_path is None:
        for name in roles:  # each must exist; an unknown name lists the available columns
            select_columns(header, name, file=targets_path)

    if predictions_path is None:
        if target is not None:
            target_names = select_columns(header, target, file=targets_path)
        else:
            target_names = _default_targets(header, roles, pred)
        prediction_names: list[str] = []
        if pred is not None:
            prediction_names = select_columns(header, pred, file=targets_path)
        else:
            prediction_names = _default_predictions(header, set(target_names) | roles)
        overlap = set(target_names) & set(prediction_names)
        if overlap:
            name = sorted(overlap)[0]
            raise InputError(
                "is both a target and a prediction column", file=targets_path, column=name
            )
        needed = _unique([*target_names, *prediction_names, *sorted(roles)])
        table = read_table(targets_path, columns=needed, **options)
        return _columns(table, table, target_names, prediction_names, weight, group)

    pred_header = read_header(predictions_path, **options)
    keep_out = {name for name in (id_column,) if name}
    if target is not None:
        target_names = select_columns(header, target, file=targets_path)
    else:
        target_names = [n for n in header if n not in roles]
    if pred is not None:
        prediction_names = select_columns(pred_header, pred, file=predictions_path)
    else:
        prediction_names = [n for n in pred_header if n not in keep_out | roles]
    if not target_names:
        raise InputError("no target column left", file=targets_path, hint="name one with --target")
    if not prediction_names:
        raise InputError(
            "no prediction column left", file=predictions_path, hint="name one with --pred"
        )
    target_roles = [n for n in sorted(roles) if n in header]
    pred_roles = [n for n in sorted(roles) if n in pred_header and n not in header]
    for name in (weight, group):
        if name and name not in header and name not in pred_header:
            select_columns(header, name, file=targets_path)  # raises, listing the columns
    keys = [id_column] if id_column else []  # ids compare as written, not as float64
    left = read_table(
        targets_path,
        columns=_unique([*target_names, *target_roles]),
        text_columns=keys,
        **options,
    )
    right = read_table(
        predictions_path,
        columns=_unique([*prediction_names, *pred_roles, *keys]),
        text_columns=keys,
        **options,
    )
    left, right = pair_tables(left, right, id_column=id_column)
    return _columns(left, right, target_names, prediction_names, weight, group)


def _read_many(
    paths: list[str],
    predictions_path: str | None,
    *,
    target: str | None,
    pred: str | None,
    weight: str | None,
    id_column: str | None,
    group: str | None,
    delimiter: str | None,
    has_header: bool,
    encoding: str,
):
    """Stream every file once into a :class:`~losscli.recommend.streaming.StreamSummary`;
    the returned columns are its seeded sample of rows."""
    from losscli.errors import InputError
    from losscli.io import iter_tables, read_header, select_columns
    from losscli.recommend.streaming import summarise_stream

    if predictions_path is not None or id_column:
        raise InputError(
            "with several target files the predictions must be columns of the same files "
            "(a separate predictions file or --id is single-file only)",
            hint="put targets and predictions side by side, or concatenate the files",
        )
    if group:
        raise InputError(
            "--group (segmentation, sequences) is single-file only: a row sample would split "
            "the groups",
            hint="run on one file",
        )
    options = {"delimiter": delimiter, "has_header": has_header, "encoding": encoding}
    header = read_header(paths[0], **options)
    roles = {name for name in (weight,) if name}
    for name in roles:
        select_columns(header, name, file=paths[0])
    if target is not None:
        target_names = select_columns(header, target, file=paths[0])
    else:
        target_names = _default_targets(header, roles, pred)
    if pred is not None:
        prediction_names = select_columns(header, pred, file=paths[0])
    else:
        prediction_names = _default_predictions(header, set(target_names) | roles)
    needed = _unique([*target_names, *prediction_names, *sorted(roles)])

    def chunks():
        for file_index, path in enumerate(paths):
            missing = [n for n in needed if n not in read_header(path, **options)]
            if missing:
                raise InputError(
                    f"has no column {missing[0]!r} (the first file {paths[0]} has it)",
                    file=path,
                )
            first_row = 0
            for table in iter_tables(path, columns=needed, **options):
                if not table.n_rows:
                    continue
                part = _columns(table, table, target_names, prediction_names, weight, None)
                extra = {} if part.weight is None else {weight: part.weight}
                yield file_index, first_row, part.targets, part.predictions or {}, extra
                first_row += table.n_rows

    import numpy as np

    summary = summarise_stream(chunks(), files=len(paths))
    if summary.rows == 0:
        raise InputError(f"no data rows in the {len(paths)} files")
    sample = summary.sample.columns
    columns = _Columns()
    columns.targets = {name: sample[name] for name in target_names}
    if prediction_names:
        columns.predictions = {name: sample[name] for name in prediction_names}
    if weight:
        columns.weight = np.asarray(sample[weight], dtype=np.float64)
    return columns, summary


def _unique(names: list[str]) -> list[str]:
    return list(dict.fromkeys(names))


def _default_targets(header: list[str], roles: set[str], pred: str | None) -> list[str]:
    from losscli.errors import InputError
    from losscli.layout.roles import TARGET_NAMES, TARGET_PREFIXES  # SPEC §3, as compute

    for name in TARGET_NAMES:
        if name in header:
            return [name]
    prefixed = [n for n in header if n.lower().startswith(TARGET_PREFIXES)]
    if prefixed:
        return prefixed
    predictions = set(_default_predictions(header, roles)) if pred is None else set()
    if pred is None and not predictions:
        # A file of targets only (a one-hot or multi-label file, say): every column counts.
        rest = [n for n in header if n not in roles]
        if rest:
            return rest
    available = ", ".join(repr(n) for n in header)
    raise InputError(
        f"no target column found (looked for {', '.join(TARGET_NAMES)}); "
        f"available columns: {available}",
        hint="name it with --target",
    )


def _default_predictions(header: list[str], taken: set[str]) -> list[str]:
    from losscli.layout.roles import PREDICTION_NAMES, PREDICTION_PREFIXES  # SPEC §3

    for name in PREDICTION_NAMES:
        if name in header and name not in taken:
            return [name]
    return [n for n in header if n not in taken and n.lower().startswith(PREDICTION_PREFIXES)]


def _columns(
    target_table: Table,
    prediction_table: Table,
    target_names: list[str],
    prediction_names: list[str],
    weight: str | None,
    group: str | None,
) -> _Columns:
    import numpy as np

    columns = _Columns()
    columns.targets = {name: _target(target_table, name) for name in target_names}
    if prediction_names:
        columns.predictions = {
            name: _prediction(prediction_table, name) for name in prediction_names
        }
    if weight:
        table = target_table if weight in target_table.columns else prediction_table
        columns.weight = table.numeric(weight)
    if group:
        table = target_table if group in target_table.columns else prediction_table
        columns.groups = np.asarray(table.column(group))
    return columns


def _target(table: Table, name: str) -> np.ndarray:
    """A target column; a text column whose values are mostly numbers is a numeric column
    with a bad value, reported with its line, not read as class labels (as compute does)."""

    from losscli.distinct import sorted_distinct

    values = table.column(name)
    if values.dtype != object:
        return values
    distinct = sorted_distinct(values.astype(str))
    numbers = sum(_is_number(text) for text in distinct)
    if numbers < len(distinct) and numbers >= max(3, len(distinct) / 2):
        return table.numeric(name)  # raises, naming the file, line and column
    return values


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _prediction(table: Table, name: str) -> np.ndarray:
    """A prediction column as float64; NaN is allowed here (recommend leaves those rows out)."""
    import numpy as np

    values = table.column(name)
    if values.dtype == np.float64:
        return values
    return table.numeric(name)  # text: an error naming the file, line and column
