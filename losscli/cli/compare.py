"""The ``compare`` command: a leaderboard of models scored on the same targets.

Each model's predictions are read and laid out exactly as ``compute`` does
(``losscli.layout``, ``losscli.evaluation``); the difference of every model to the
first (the baseline) gets a paired bootstrap interval (``losscli.bootstrap``): the
same resampled rows (or images, sequences) for both models.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

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

_INPUT = "Input"
_LOSSES = "Losses"
_LAYOUT = "Layout"
_STATS = "Intervals"
_OUTPUT = "Output and CI"

#: The default seed: a CI gate must give the same verdict on every run.
DEFAULT_SEED = 0


@handles_errors
def compare(
    files: Annotated[
        list[str],
        typer.Argument(
            help="TARGETS then two or more PREDICTIONS files; name a model NAME=PATH "
            "(default: the file name without its extensions). The first model is the baseline.",
            show_default=False,
            metavar="TARGETS PRED_A PRED_B ...",
        ),
    ],
    target: Annotated[
        str | None,
        typer.Option("--target", "-t", help="Target column(s).", rich_help_panel=_INPUT),
    ] = None,
    pred: Annotated[
        str | None,
        typer.Option(
            "--pred",
            "-p",
            help="Prediction column(s) in every model's file.",
            rich_help_panel=_INPUT,
        ),
    ] = None,
    weight: Annotated[
        str | None, typer.Option(help="Sample-weight column.", rich_help_panel=_INPUT)
    ] = None,
    id_column: Annotated[
        str | None,
        typer.Option(
            "--id",
            help="Id column joining each model's file to the targets.",
            rich_help_panel=_INPUT,
        ),
    ] = None,
    group: Annotated[
        str | None,
        typer.Option(help="Image or sequence id column (resampled whole).", rich_help_panel=_INPUT),
    ] = None,
    order: Annotated[
        str | None,
        typer.Option(help="Position column ordering each sequence.", rich_help_panel=_INPUT),
    ] = None,
    delimiter: Annotated[
        str | None, typer.Option(help="CSV field delimiter.", rich_help_panel=_INPUT)
    ] = None,
    no_header: Annotated[
        bool, typer.Option("--no-header", help="No header row.", rich_help_panel=_INPUT)
    ] = False,
    encoding: Annotated[
        str, typer.Option(help="Text encoding of CSV input.", rich_help_panel=_INPUT)
    ] = "utf-8",
    task: Annotated[
        TaskChoice, typer.Option(help="The task; 'auto' infers it.", rich_help_panel=_LAYOUT)
    ] = TaskChoice.auto,
    loss: Annotated[
        list[str] | None,
        typer.Option(
            "--loss",
            "-l",
            help="A loss NAME[:key=value,...] (repeatable); default: the task's usual loss. "
            "The first loss ranks the leaderboard.",
            rich_help_panel=_LOSSES,
            show_default=False,
        ),
    ] = None,
    from_logits: Annotated[
        bool, typer.Option("--from-logits", help="Predictions are logits.", rich_help_panel=_LAYOUT)
    ] = False,
    renormalize: Annotated[
        bool,
        typer.Option(
            "--renormalize", help="Rescale probability rows to sum to 1.", rich_help_panel=_LAYOUT
        ),
    ] = False,
    positive: Annotated[
        str | None, typer.Option(help="Positive label (binary).", rich_help_panel=_LAYOUT)
    ] = None,
    box_format: Annotated[
        BoxFormat | None, typer.Option(help="Box format (detection).", rich_help_panel=_LAYOUT)
    ] = None,
    pooled: Annotated[
        bool,
        typer.Option("--global", help="Segmentation: pool all pixels.", rich_help_panel=_LAYOUT),
    ] = False,
    convention: Annotated[
        ConventionChoice,
        typer.Option(help="Whose small print to follow.", rich_help_panel=_LOSSES),
    ] = ConventionChoice.losscli,
    ci: Annotated[
        float,
        typer.Option("--ci", help="Confidence level of the intervals.", rich_help_panel=_STATS),
    ] = 0.95,
    bootstrap: Annotated[
        int,
        typer.Option("--bootstrap", help="Bootstrap resamples.", rich_help_panel=_STATS),
    ] = 2000,
    seed: Annotated[
        int,
        typer.Option(
            "--seed",
            help="Random seed (the same seed, the same intervals).",
            rich_help_panel=_STATS,
        ),
    ] = DEFAULT_SEED,
    fail_if_worse: Annotated[
        bool,
        typer.Option(
            "--fail-if-worse",
            help="Exit 1 when a model's loss is higher than the baseline's by more than "
            "--margin and its interval excludes zero.",
            rich_help_panel=_OUTPUT,
        ),
    ] = False,
    margin: Annotated[
        str,
        typer.Option(
            "--margin",
            help="Tolerated increase: in loss units (0.01) or relative to the baseline (2%).",
            rich_help_panel=_OUTPUT,
        ),
    ] = "0",
    exit_zero: ExitZeroOption = False,
    summary: SummaryOption = False,
    annotate: AnnotateOption = False,
    output_format: FormatOption = None,
    no_color: NoColorOption = False,
) -> None:
    """Compare models on the same targets: losses, paired bootstrap intervals, a verdict.

    Example:

    \b
      losscli compare y.csv baseline=old.csv new.csv -l mse --fail-if-worse --margin 1%
    """
    import os
    import sys

    from losscli.bootstrap import check_level, check_resamples
    from losscli.cli.common import resolve_format
    from losscli.errors import CheckFailed
    from losscli.layout import LayoutOptions
    from losscli.render import compare as render
    from losscli.render.console import clean

    check_level(ci)
    check_resamples(bootstrap)
    gate_margin = parse_margin(margin)
    targets, models = parse_models(files)
    # Every file before any is read: a missing third file is one error line, not the
    # first model's task line and then the error.
    from losscli.errors import InputError

    for path in (targets, *(path for _, path in models)):
        if not os.path.exists(path):
            raise InputError(
                "no such file", file=path, hint="check the path and the current directory"
            )
        if os.path.isdir(path):
            raise InputError(
                "is a directory, not a file", file=path, hint="name a CSV or Parquet file"
            )
    report = compare_models(
        targets,
        models,
        read_options={
            "target": target,
            "prediction": pred,
            "weight": weight,
            "id_column": id_column,
            "group": group,
            "order": order,
            "delimiter": delimiter,
            "has_header": not no_header,
            "encoding": encoding,
        },
        layout_options=LayoutOptions(
            task=task.value,
            positive=positive,
            from_logits=from_logits,
            renormalize=renormalize,
            box_format=None if box_format is None else box_format.value,
            pooled=pooled,
        ),
        losses=list(loss or []),
        convention=convention.value,
        level=ci,
        n_resamples=bootstrap,
        seed=seed,
        fail_if_worse=fail_if_worse,
        margin=gate_margin,
    )
    render.emit(report, resolve_format(output_format).value)
    failed = [check for check in report["checks"] if check["failed"]]
    for check in failed:
        sys.stderr.write(f"losscli: {clean(check['message'])}\n")
    if annotate:
        from losscli.render.github import annotation

        for check in failed:
            sys.stderr.write(annotation("error", check["message"], title="losscli compare") + "\n")
    if summary:
        from losscli.render.compute import warning_line
        from losscli.render.github import append_summary

        if not append_summary(render.markdown(report), os.environ):
            warning_line("--summary: GITHUB_STEP_SUMMARY is not set, so no summary was written")
    if failed and not exit_zero:
        raise CheckFailed(f"{len(failed)} model/loss pair(s) worse than the baseline")


# --------------------------------------------------------------------------- arguments


def parse_margin(text: str) -> tuple[float, bool]:
    """``"0.01"`` -> (0.01, False) in loss units; ``"2%"`` -> (0.02, True), relative."""
    import math

    from losscli.errors import ParameterError

    raw = text.strip()
    relative = raw.endswith("%")
    try:
        value = float(raw[:-1] if relative else raw)
    except ValueError:
        raise ParameterError(
            f"cannot read --margin {text!r}; give a number (0.01) or a percentage (2%)"
        ) from None
    if not math.isfinite(value) or value < 0:
        raise ParameterError(f"--margin must be a finite number >= 0, got {text!r}")
    return (value / 100.0 if relative else value), relative


def _stem(path: str) -> str:
    from pathlib import PurePath

    name = PurePath(path).name
    for suffix in (".gz", ".bz2", ".xz"):
        if name.endswith(suffix):
            name = name[: -len(suffix)]
    stem = name.rsplit(".", 1)[0] if "." in name.lstrip(".") else name
    return stem or name


def parse_models(files: list[str]) -> tuple[str, list[tuple[str, str]]]:
    """``TARGETS [NAME=]PATH ...`` -> (targets path, [(name, path), ...])."""
    import os

    from losscli.errors import ParameterError

    if len(files) < 3:
        raise ParameterError(
            "compare needs the targets file and at least two prediction files "
            "(TARGETS PRED_A PRED_B ...)"
        )
    targets, models = files[0], []
    if targets == "-":
        raise ParameterError("compare reads the targets once per model; give them as a file")
    seen: dict[str, str] = {}
    for text in files[1:]:
        name, sep, path = text.partition("=")
        if not sep or not name or os.path.exists(text) or "/" in name or os.sep in name:
            name, path = _stem(text), text
        if path == "-":
            raise ParameterError("compare cannot read a model from standard input; give a file")
        if name in seen:
            raise ParameterError(
                f"two models are named {name!r} ({seen[name]} and {path}); name them with NAME=PATH"
            )
        seen[name] = path
        models.append((name, path))
    return targets, models


# --------------------------------------------------------------------------- the work


def _verdict(low: float, high: float) -> str:
    if high < 0:
        return "better"
    if low > 0:
        return "worse"
    return "no clear difference"


@dataclass(frozen=True)
class _Gate:
    """``--fail-if-worse`` with its ``--margin`` (loss units, or relative to the baseline)."""

    enabled: bool
    margin: float
    relative: bool

    @property
    def shown(self) -> str:
        return f"{100 * self.margin:g}%" if self.relative else f"{self.margin:g}"

    def allowed(self, base_value: float) -> float:
        return self.margin * abs(base_value) if self.relative else self.margin


def compare_models(
    targets: str,
    models: list[tuple[str, str]],
    *,
    read_options: dict[str, Any],
    layout_options: Any,
    losses: list[str],
    convention: str,
    level: float,
    n_resamples: int,
    seed: int,
    fail_if_worse: bool,
    margin: tuple[float, bool],
) -> dict[str, Any]:
    """Every model's losses and its paired difference to the first: the compare report."""
    from losscli.bootstrap import paired_interval
    from losscli.evaluation import default_loss, resolve_requests
    from losscli.render.compare import SCHEMA
    from losscli.render.compute import warning_line

    plan0, laid_out, warnings = _read_models(targets, models, read_options, layout_options)
    _check_same_rows(laid_out)
    base_layout = laid_out[0][2]
    requests, request_warnings = resolve_requests(
        losses,
        plan0.task,
        from_logits=layout_options.from_logits,
        pooled=layout_options.pooled,
        default=default_loss(plan0.task, plan0.target_form),
    )
    warnings.extend(request_warnings)
    for message in warnings:
        warning_line(message)
    values, terms = _score_models(laid_out, requests, convention, warnings)

    gate = _Gate(fail_if_worse, *margin)
    baseline = laid_out[0][0]
    labels = [request.label for request in requests]
    entries: dict[str, dict[str, Any]] = {}
    checks: list[dict[str, Any]] = []
    unit = "rows"
    for name, _, _ in laid_out:
        entries[name] = {}
        for label in labels:
            value = values[name][label]
            if name == baseline:
                entries[name][label] = {"value": value, "verdict": "baseline"}
                continue
            base_value = values[baseline][label]
            entry: dict[str, Any] = {
                "value": value,
                "difference": value - base_value,
                "relative_difference": (value - base_value) / base_value if base_value else None,
            }
            entries[name][label] = entry
            base_terms, model_terms = terms[baseline][label], terms[name][label]
            if base_terms is None or model_terms is None:
                entry.update(ci=None, verdict="no interval", failed=False)
                continue
            paired = paired_interval(
                base_terms, model_terms, level=level, n_resamples=n_resamples, seed=seed
            )
            unit = paired.interval.unit
            low, high = paired.interval.low, paired.interval.high
            entry["ci"] = {"level": level, "low": low, "high": high}
            entry["verdict"] = _verdict(low, high)
            allowed = gate.allowed(base_value)
            worse = entry["difference"] > allowed and low > 0
            entry["failed"] = bool(gate.enabled and worse)
            if gate.enabled:
                checks.append(
                    {
                        "model": name,
                        "loss": label,
                        "difference": entry["difference"],
                        "allowed": allowed,
                        "low": low,
                        "high": high,
                        "failed": worse,
                        "message": _check_message(
                            name, baseline, label, value, base_value, entry, gate, worse
                        ),
                    }
                )

    first = labels[0]
    order = sorted(range(len(laid_out)), key=lambda i: (values[laid_out[i][0]][first], i))
    rank = {laid_out[i][0]: position + 1 for position, i in enumerate(order)}
    return {
        "schema": SCHEMA,
        "task": plan0.task,
        "task_reason": plan0.reason,
        "n_samples": base_layout.n_samples,
        "targets": targets,
        "columns": plan0.roles.describe(),
        "convention": convention,
        "baseline": baseline,
        "losses": labels,
        "ranked_by": first,
        "bootstrap": {
            "method": "paired percentile bootstrap",
            "level": level,
            "n_resamples": n_resamples,
            "seed": seed,
            "resampled": unit,
        },
        "gate": {
            "fail_if_worse": gate.enabled,
            "margin": gate.shown,
            "margin_value": gate.margin,
            "relative": gate.relative,
        },
        "models": [
            {
                "name": name,
                "path": path,
                "rank": rank[name],
                "baseline": name == baseline,
                "losses": entries[name],
            }
            for name, path, _ in laid_out
        ],
        "checks": checks,
        "failed": any(check["failed"] for check in checks),
        "warnings": warnings,
    }


def _read_models(
    targets: str,
    models: list[tuple[str, str]],
    read_options: dict[str, Any],
    layout_options: Any,
) -> tuple[Any, list[tuple[str, str, Any]], list[str]]:
    """Each model laid out with the targets: (the baseline's plan, [(name, path, layout)],
    the prediction warnings). Every model is read as the baseline's task."""
    from dataclasses import replace

    from losscli.layout import plan_layout, prediction_warnings, read_inputs
    from losscli.render.compute import diagnostics

    warnings: list[str] = []
    laid_out = []
    plan0 = None
    for name, path in models:
        roles, tables = read_inputs([targets, path], **read_options)
        options = layout_options if plan0 is None else replace(layout_options, task=plan0.task)
        plan = plan_layout(roles, tables, options)
        layout = plan.arrays(*tables)
        if plan0 is None:
            plan0 = plan
            diagnostics(plan, layout_options.task == "auto")
        for message in prediction_warnings(plan, layout):
            warnings.append(f"{name}: {message}")
        laid_out.append((name, path, layout))
    assert plan0 is not None
    return plan0, laid_out, warnings


def _check_same_rows(laid_out: list[tuple[str, str, Any]]) -> None:
    """A paired comparison needs every model on the baseline's rows, in its order."""
    import numpy as np

    from losscli.errors import InputError

    base_layout = laid_out[0][2]
    for name, path, layout in laid_out[1:]:
        if layout.n_samples != base_layout.n_samples:
            raise InputError(
                f"model {name!r} pairs {layout.n_samples} rows with the targets but the "
                f"baseline pairs {base_layout.n_samples}; a paired comparison needs the same rows",
                file=path,
            )
        same_ids = base_layout.ids is None or layout.ids is None
        if not same_ids and not np.array_equal(base_layout.ids, layout.ids):
            raise InputError(
                f"model {name!r} does not cover the same ids in the same order as the baseline",
                file=path,
            )


def _score_models(
    laid_out: list[tuple[str, str, Any]],
    requests: list[Any],
    convention: str,
    warnings: list[str],
) -> tuple[dict[str, dict[str, float]], dict[str, dict[str, Any]]]:
    """Each model's loss values and resampling units (None, with a warning, for a loss
    that has no interval), keyed by model name then loss label."""
    from losscli.bootstrap import request_terms
    from losscli.errors import ShapeError
    from losscli.evaluation import evaluate
    from losscli.render.compute import warning_line

    values: dict[str, dict[str, float]] = {}
    terms: dict[str, dict[str, Any]] = {}
    for name, _, layout in laid_out:
        values[name] = evaluate(layout, requests, convention=convention).values()
        terms[name] = {}
        for request in requests:
            try:
                terms[name][request.label] = request_terms(layout, request, convention=convention)
            except ShapeError as error:
                terms[name][request.label] = None
                message = f"no interval for {request.label}: {error.message}"
                if message not in warnings:
                    warnings.append(message)
                    warning_line(message)
    return values, terms


def _check_message(
    name: str,
    baseline: str,
    label: str,
    value: float,
    base_value: float,
    entry: dict[str, Any],
    gate: _Gate,
    worse: bool,
) -> str:
    if not worse:
        return f"{name} is not worse than {baseline} on {label} beyond the margin {gate.shown}"
    ci = entry["ci"]
    return (
        f"{name} is worse than {baseline} on {label}: {value:.6g} vs {base_value:.6g} "
        f"(Δ {entry['difference']:+.4g}, {100 * ci['level']:g}% interval "
        f"[{ci['low']:+.4g}, {ci['high']:+.4g}], margin {gate.shown})"
    )
