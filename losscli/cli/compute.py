"""The ``compute`` command: loss values from files of targets and predictions.

Thin by design: read (``losscli.io``), lay out (``losscli.layout``), evaluate
(``losscli.evaluation``), check (``losscli.checks``), render (``losscli.render``).
Only Typer and the standard library are imported at module level, so that
``losscli --help`` starts fast.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Annotated

import typer

from losscli.cli.common import (
    AnnotateOption,
    BoxFormat,
    ConventionChoice,
    ExitZeroOption,
    FormatOption,
    NoColorOption,
    SummaryOption,
    TaskChoice,
    handles_errors,
)


class EngineChoice(str, Enum):  # noqa: UP042 - the Typer docs' choice style
    auto = "auto"
    memory = "memory"
    streaming = "streaming"
    dask = "dask"


@dataclass
class ComputeOptions:
    """Everything the command line said, as plain values."""

    files: list[str]
    target: str | None = None
    prediction: str | None = None
    weight: str | None = None
    id_column: str | None = None
    group: str | None = None
    order: str | None = None
    group_by: str | None = None
    delimiter: str | None = None
    has_header: bool = True
    encoding: str = "utf-8"
    task: str = "auto"
    losses: list[str] = field(default_factory=list)
    all_losses: bool = False
    from_logits: bool = False
    renormalize: bool = False
    positive: str | None = None
    box_format: str | None = None
    pooled: bool = False
    convention: str = "losscli"
    per_output: bool = False
    per_sample: str | None = None
    checks: list[str] = field(default_factory=list)
    exit_zero: bool = False
    summary: bool = False
    annotate: bool = False
    output_format: str = "json"
    format_given: bool = False  # --format was on the command line
    ci: float | None = None  # --ci LEVEL: bootstrap intervals (losscli.bootstrap)
    bootstrap: int = 2000
    seed: int | None = None
    engine: str = "auto"  # losscli.engine: memory | streaming | dask (docs/distributed.md)
    scheduler: str | None = None
    chunk_rows: int | None = None


_INPUT = "Input"
_LOSSES = "Losses"
_LAYOUT = "Layout"
_OUTPUT = "Output and CI"


@handles_errors
def compute(
    files: Annotated[
        list[str],
        typer.Argument(
            help="One file of targets and predictions, or a TARGETS file and a PREDICTIONS "
            "file (CSV, .tsv, .gz/.bz2/.xz, Parquet; '-' is standard input).",
            show_default=False,
            metavar="FILES",
        ),
    ],
    target: Annotated[
        str | None,
        typer.Option(
            "--target",
            "-t",
            help="Target column(s): a name, a comma list or a glob.",
            rich_help_panel=_INPUT,
        ),
    ] = None,
    pred: Annotated[
        str | None,
        typer.Option(
            "--pred",
            "-p",
            help="Prediction column(s): a name, a comma list or a glob ('p_*').",
            rich_help_panel=_INPUT,
        ),
    ] = None,
    weight: Annotated[
        str | None,
        typer.Option(
            help="Sample-weight column (the padding mask for sequences).", rich_help_panel=_INPUT
        ),
    ] = None,
    id_column: Annotated[
        str | None,
        typer.Option(
            "--id",
            help="Id column: joins two files, and labels --per-sample rows.",
            rich_help_panel=_INPUT,
        ),
    ] = None,
    group: Annotated[
        str | None,
        typer.Option(
            help="Image id (segmentation) or sequence id (sequence) column.", rich_help_panel=_INPUT
        ),
    ] = None,
    order: Annotated[
        str | None,
        typer.Option(
            help="Position column that orders the tokens of each sequence.", rich_help_panel=_INPUT
        ),
    ] = None,
    delimiter: Annotated[
        str | None,
        typer.Option(
            help="CSV field delimiter (default ',', tab for .tsv).", rich_help_panel=_INPUT
        ),
    ] = None,
    no_header: Annotated[
        bool,
        typer.Option(
            "--no-header",
            help="The file has no header row: columns are named 0, 1, …",
            rich_help_panel=_INPUT,
        ),
    ] = False,
    encoding: Annotated[
        str, typer.Option(help="Text encoding of CSV input.", rich_help_panel=_INPUT)
    ] = "utf-8",
    task: Annotated[
        TaskChoice,
        typer.Option(help="The task; 'auto' infers it and says why.", rich_help_panel=_LAYOUT),
    ] = TaskChoice.auto,
    loss: Annotated[
        list[str] | None,
        typer.Option(
            "--loss",
            "-l",
            help="A loss NAME[:key=value,...] (repeatable), e.g. -l huber:delta=2.5.",
            rich_help_panel=_LOSSES,
            show_default=False,
        ),
    ] = None,
    all_losses: Annotated[
        bool,
        typer.Option("--all", help="Every loss that fits the task.", rich_help_panel=_LOSSES),
    ] = False,
    from_logits: Annotated[
        bool,
        typer.Option(
            "--from-logits",
            help="Predictions are logits, not probabilities.",
            rich_help_panel=_LAYOUT,
        ),
    ] = False,
    renormalize: Annotated[
        bool,
        typer.Option(
            "--renormalize",
            help="Rescale class-probability rows to sum to 1.",
            rich_help_panel=_LAYOUT,
        ),
    ] = False,
    positive: Annotated[
        str | None,
        typer.Option(
            help="The positive label of a binary target (default 1, or the larger).",
            rich_help_panel=_LAYOUT,
        ),
    ] = None,
    box_format: Annotated[
        BoxFormat | None,
        typer.Option(
            help="Box columns' format (detection); default xyxy.", rich_help_panel=_LAYOUT
        ),
    ] = None,
    pooled: Annotated[
        bool,
        typer.Option(
            "--global",
            help="Segmentation: one score over all pixels, not per image.",
            rich_help_panel=_LAYOUT,
        ),
    ] = False,
    convention: Annotated[
        ConventionChoice,
        typer.Option(
            help="Whose small print to follow, to match a framework's number.",
            rich_help_panel=_LOSSES,
        ),
    ] = ConventionChoice.losscli,
    per_output: Annotated[
        bool,
        typer.Option(
            "--per-output",
            help="Also the loss of each regression output or multi-label label.",
            rich_help_panel=_LOSSES,
        ),
    ] = False,
    group_by: Annotated[
        str | None,
        typer.Option(
            help="Also the losses per value of this column (slices).", rich_help_panel=_LOSSES
        ),
    ] = None,
    per_sample: Annotated[
        str | None,
        typer.Option(
            help="Write every sample's loss terms to this CSV (atomically; '-': to stdout, "
            "instead of the report).",
            rich_help_panel=_OUTPUT,
        ),
    ] = None,
    fail_if: Annotated[
        list[str] | None,
        typer.Option(
            "--fail-if",
            help="Exit 1 when the condition holds, e.g. 'mse>0.3' (repeatable).",
            rich_help_panel=_OUTPUT,
            show_default=False,
        ),
    ] = None,
    exit_zero: ExitZeroOption = False,
    summary: SummaryOption = False,
    annotate: AnnotateOption = False,
    ci: Annotated[
        float | None,
        typer.Option(
            "--ci",
            help="Add a percentile bootstrap confidence interval at this level, e.g. 0.95.",
            rich_help_panel=_OUTPUT,
            show_default=False,
        ),
    ] = None,
    bootstrap: Annotated[
        int,
        typer.Option("--bootstrap", help="Bootstrap resamples for --ci.", rich_help_panel=_OUTPUT),
    ] = 2000,
    seed: Annotated[
        int | None,
        typer.Option(
            "--seed",
            help="Random seed for --ci (default: drawn, and shown in the JSON).",
            rich_help_panel=_OUTPUT,
            show_default=False,
        ),
    ] = None,
    engine: Annotated[
        EngineChoice,
        typer.Option(
            help="auto: stream large files and globs of files, else read into memory; "
            "dask: a Dask cluster (pip install 'losscli[dask]').",
            rich_help_panel=_INPUT,
        ),
    ] = EngineChoice.auto,
    scheduler: Annotated[
        str | None,
        typer.Option(
            help="Dask scheduler address for --engine dask (default: a local cluster).",
            rich_help_panel=_INPUT,
            show_default=False,
        ),
    ] = None,
    chunk_rows: Annotated[
        int | None,
        typer.Option(
            help="Rows per chunk when streaming (default: ~4 MiB of values).",
            rich_help_panel=_INPUT,
            show_default=False,
        ),
    ] = None,
    output_format: FormatOption = None,
    no_color: NoColorOption = False,
) -> None:
    """Compute loss values from targets and predictions.

    Example:

    \b
      losscli compute data.csv -t y -p yhat -l mse -l huber:delta=2.5
    """
    from losscli.cli.common import resolve_format

    options = ComputeOptions(
        files=list(files),
        target=target,
        prediction=pred,
        weight=weight,
        id_column=id_column,
        group=group,
        order=order,
        group_by=group_by,
        delimiter=delimiter,
        has_header=not no_header,
        encoding=encoding,
        task=task.value,
        losses=list(loss or []),
        all_losses=all_losses,
        from_logits=from_logits,
        renormalize=renormalize,
        positive=positive,
        box_format=None if box_format is None else box_format.value,
        pooled=pooled,
        convention=convention.value,
        per_output=per_output,
        per_sample=per_sample,
        checks=list(fail_if or []),
        exit_zero=exit_zero,
        summary=summary,
        annotate=annotate,
        output_format=resolve_format(output_format).value,
        format_given=output_format is not None,
        ci=ci,
        bootstrap=bootstrap,
        seed=seed,
        engine=engine.value,
        scheduler=scheduler,
        chunk_rows=chunk_rows,
    )
    _run(options)


def _run(options: ComputeOptions) -> None:
    """Read, lay out, evaluate, check, render; raise CheckFailed for a failed gate."""
    import os
    import sys

    from losscli.checks import evaluate_checks, parse_check
    from losscli.engine import check_chunk_rows
    from losscli.engine.inputs import prepare_inputs
    from losscli.errors import CheckFailed, InputError, ParameterError
    from losscli.evaluation import (
        default_loss,
        drop_unfit,
        locate_error,
        parse_request,
        per_sample_values,
        resolve_requests,
    )
    from losscli.layout import prediction_warnings
    from losscli.render import compute as render

    parsed_checks = [parse_check(text) for text in options.checks]  # syntax errors first
    if options.per_sample == "-" and options.format_given:
        from losscli.errors import ParameterError

        raise ParameterError(
            "--per-sample - writes the per-sample CSV to standard output, so the report "
            f"cannot go there too (--format {options.output_format})",
            hint="write the per-sample rows to a file: --per-sample FILE",
        )
    check_chunk_rows(options.chunk_rows)  # also when the file is read into memory
    if options.ci is not None:  # before reading: a bad --ci is one error line, no task line
        from losscli.bootstrap import check_level, check_resamples

        check_level(options.ci)
        check_resamples(options.bootstrap)
    # Engine choice, then the whole input (memory) or its head (streaming/dask).
    prepared = _prepare(options, prepare_inputs)
    plan, layout = prepared.plan, prepared.layout
    _check_positive(options, plan)
    try:
        requests, warnings = resolve_requests(
            options.losses,
            plan.task,
            all_losses=options.all_losses,
            from_logits=options.from_logits,
            pooled=options.pooled,
            pixel_task=plan.pixel_task,
            default=default_loss(plan.task, plan.target_form),
            also=[check.loss for check in parsed_checks],  # a loss named only in --fail-if
        )
    except ParameterError as error:
        if error.file is not None or "does not apply to" not in error.message:
            raise
        # A loss that does not fit the task inferred from the data: name the file.
        file, _, _ = layout.locate("y_true", None)
        raise type(error)(error.message, file=file, hint=error.hint) from None
    checks = [
        (
            check,
            parse_request(
                check.loss,
                plan.task,
                from_logits=options.from_logits,
                pooled=options.pooled,
                pixel_task=plan.pixel_task,
            ).label,
        )
        for check in parsed_checks
    ]
    requests, unfit = drop_unfit(requests, layout, convention=options.convention)
    warnings = [*prediction_warnings(plan, layout), *warnings, *unfit]

    while True:
        try:
            evaluation = prepared.evaluate(
                requests,
                convention=options.convention,
                per_output=options.per_output,
                by_slice=options.group_by is not None,
            )
            break
        except InputError as error:  # e.g. weights summing to zero: name the column and file
            located = locate_error(error, layout)
            # Streaming: drop_unfit saw only the head; a later chunk outside an --all loss's
            # domain ("msle: y_true has a value below 0") leaves that loss out, as in memory.
            culprit = next(
                (
                    r
                    for r in requests
                    if r.from_all
                    and (
                        located.message.startswith(f"{r.name}:")
                        or getattr(error, "request", None) == r.label
                    )
                ),
                None,
            )
            if culprit is None or len(requests) == 1:
                raise located from None
            requests = [r for r in requests if r is not culprit]
            warnings.append(f"--all leaves out {culprit.label}: {located.one_line()}")
    if options.per_sample:
        render.write_per_sample(
            options.per_sample,
            per_sample_values(layout, requests, convention=options.convention),
            layout,
        )
    # Diagnostics only once the numbers exist: a failed run prints its one error line.
    render.diagnostics(plan, options.task == "auto")
    for message in warnings:
        render.warning_line(message)
    results = evaluate_checks(checks, evaluation.values())
    report = render.compute_report(
        plan, evaluation, results, warnings, convention=options.convention
    )
    if options.ci is not None:
        from losscli.bootstrap import add_intervals

        for message in add_intervals(
            report,
            layout,
            requests,
            convention=options.convention,
            level=options.ci,
            n_resamples=options.bootstrap,
            seed=options.seed,
        ):
            render.warning_line(message)
    if options.per_sample != "-":  # '-': the per-sample CSV was standard output
        render.emit(report, options.output_format)
    failed = [r for r in results if r.failed]
    for result in failed:
        sys.stderr.write(f"losscli: {render.clean(result.message())}\n")
    if options.annotate:
        from losscli.render.github import annotation_lines

        for line in annotation_lines(failed):
            sys.stderr.write(line + "\n")
    if options.summary:
        from losscli.render.github import append_summary

        try:
            written = append_summary(render.markdown(report), os.environ)
        except InputError as error:  # the results are out: a warning, not a failed run
            render.warning_line(f"--summary: no summary was written: {error.one_line()}")
            written = True
        if not written:
            render.warning_line(
                "--summary: GITHUB_STEP_SUMMARY is not set, so no summary was written"
            )
    if failed and not options.exit_zero:
        raise CheckFailed(f"{len(failed)} check(s) failed")


def _prepare(options: ComputeOptions, prepare_inputs):
    """``prepare_inputs``, with the task following the losses when ``--task`` is auto and
    every ``-l`` loss is for one task: a constant target takes that task (a CI batch of
    one class is valid data), and so does a target inferred as another task that none of
    the losses applies to (two-valued float targets of ``-l mse`` are not binary)."""
    from dataclasses import replace

    from losscli.layout.planning import ConstantTargetError

    task = _task_of_losses(options)
    try:
        prepared = prepare_inputs(options)
    except ConstantTargetError:
        if options.task != "auto" or not options.losses:
            raise
        if task is None:
            from losscli import registry

            task = registry.parse_loss_option(options.losses[0])[0].tasks[0]
        prepared = prepare_inputs(replace(options, task=task))
        prepared.plan.reason = f"because the target is constant and {_loss_words(options, task)}"
        return prepared
    plan = prepared.plan
    if options.task != "auto" or task is None or task in (plan.task, plan.pixel_task):
        return prepared
    inferred = plan.task
    prepared.close()
    prepared = prepare_inputs(replace(options, task=task))
    prepared.plan.reason = (
        f"because {_loss_words(options, task)} (the target alone looks {inferred})"
    )
    return prepared


def _task_of_losses(options: ComputeOptions) -> str | None:
    """The one task every ``-l`` loss applies to (None: no -l, or several tasks)."""
    from losscli import registry

    if not options.losses:
        return None
    common: set[str] | None = None
    for text in options.losses:
        spec, _ = registry.parse_loss_option(text)
        common = set(spec.tasks) if common is None else common & set(spec.tasks)
    return next(iter(common)) if common is not None and len(common) == 1 else None


def _loss_words(options: ComputeOptions, task: str) -> str:
    from losscli import registry

    names = list(dict.fromkeys(registry.parse_loss_option(t)[0].name for t in options.losses))
    if len(names) == 1:
        return f"-l {names[0]} is a {task} loss"
    return f"-l {', '.join(names)} are {task} losses"


def _check_positive(options: ComputeOptions, plan) -> None:
    """``--positive`` means something only for a binary target (or a 0/1 mask)."""
    from losscli.errors import ParameterError

    if options.positive is not None and plan.positive is None:
        raise ParameterError(
            f"--positive applies to a binary target, but the task is {plan.task}",
            hint="leave out --positive, or use --task binary",
        )
