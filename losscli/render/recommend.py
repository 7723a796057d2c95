"""How a ``recommend`` result looks: Rich tables and pictures, JSON (SPEC §6), Markdown.

Pictures are drawn with Rich text (no plotting library): a horizontal histogram of the
targets or residuals with Tukey's fences marked, and bars of the class shares. Text from
the input (column names, labels) always goes through :func:`literal` / Markdown escaping.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from losscli.render.console import literal
from losscli.render.formats import json_text, markdown_escape, markdown_table, short_float

if TYPE_CHECKING:
    from losscli.recommend import RecommendResult

#: Histogram size: bins between the outer fences, and the longest bar in characters.
HISTOGRAM_BINS = 16
BAR_WIDTH = 40
_FULL = "█"
_PARTS = " ▏▎▍▌▋▊▉"  # eighths, for smooth bar ends


def bar(fraction: float, width: int = BAR_WIDTH) -> str:
    """A bar of ``fraction`` × ``width`` characters, drawn to an eighth of a character."""
    fraction = min(max(fraction, 0.0), 1.0)
    eighths = round(fraction * width * 8)
    full, part = divmod(eighths, 8)
    return _FULL * full + (_PARTS[part] if part else "")


def _num(value: Any) -> str:
    if isinstance(value, float) and math.isinf(value):
        return "∞"
    return short_float(value, 4) if isinstance(value, float) else str(value)


def _pct(value: float) -> str:
    """The same precision as the reasons (``0.048%``, ``0.00015%``): a tail share printed
    as 0.00% would contradict a decision that counted it (QA issue 4)."""
    from losscli.recommend.rules import _pct as share_text

    return share_text(value)


def _label(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _params(params: dict[str, Any]) -> str:
    if not params:
        return "—"
    shown = []
    for key, value in params.items():
        if isinstance(value, (tuple, list)):
            value = "[" + ", ".join(_num(float(v)) for v in value) + "]"
        elif isinstance(value, float):
            value = _num(value)
        shown.append(f"{key}={value}")
    return ", ".join(shown)


# --------------------------------------------------------------------------- histogram


def histogram_rows(
    values: np.ndarray,
    inner: tuple[float, float],
    outer: tuple[float, float],
    bins: int = HISTOGRAM_BINS,
) -> list[tuple[str, int, str]]:
    """(bin label, count, fence mark) rows of a histogram between the outer fences.

    Values beyond the outer fences (3×IQR) are counted in two overflow rows so that a few
    extreme points do not squeeze the bulk of the data into one bin.
    """
    low = max(float(values.min()), outer[0])
    high = min(float(values.max()), outer[1])
    if high <= low:
        low, high = float(values.min()), float(values.max())
    if high <= low:
        high = low + 1.0
    edges = np.linspace(low, high, bins + 1)
    inside = values[(values >= low) & (values <= high)]
    counts, _ = np.histogram(inside, bins=edges)
    rows: list[tuple[str, int, str]] = []
    below = int(np.sum(values < low))
    above = int(np.sum(values > high))
    if below:
        rows.append((f"< {_num(low)}", below, "beyond the 3×IQR fence"))
    for i, count in enumerate(counts):
        left, right = edges[i], edges[i + 1]
        marks = [
            name
            for name, fence in (
                ("◀ 1.5×IQR fence", inner[0]),
                ("◀ 1.5×IQR fence", inner[1]),
                ("◀ 3×IQR fence", outer[0]),
                ("◀ 3×IQR fence", outer[1]),
            )
            if left <= fence < right or (i == bins - 1 and fence == right)
        ]
        rows.append((f"{_num(float(left))} … {_num(float(right))}", int(count), " ".join(marks)))
    if above:
        rows.append((f"> {_num(high)}", above, "beyond the 3×IQR fence"))
    return rows


def _bar_width(width: int) -> int:
    """Bars fit the console: the other columns take about 50 characters."""
    return max(10, min(BAR_WIDTH, width - 50))


def histogram_table(values: np.ndarray, inner, outer, title: str, width: int = BAR_WIDTH) -> Table:
    rows = histogram_rows(values, inner, outer)
    most = max(count for _, count, _ in rows) or 1
    table = Table(title=title, show_header=True, header_style="bold", box=None, pad_edge=False)
    table.add_column("bin", justify="right", no_wrap=True)
    table.add_column("count", justify="right")
    table.add_column("", no_wrap=True)
    table.add_column("fence", style="yellow", no_wrap=True)
    for label, count, mark in rows:
        style = "red" if label.startswith(("<", ">")) else "cyan"
        table.add_row(label, str(count), Text(bar(count / most, width), style=style), mark)
    return table


def share_bars(
    labels: Sequence[object], counts: Sequence[int], total: int, title: str, width: int = BAR_WIDTH
) -> Table:
    """Class (or label) shares as bars; labels come from the data, so shown literally."""
    table = Table(title=title, show_header=True, header_style="bold", box=None, pad_edge=False)
    table.add_column("class", no_wrap=True)
    table.add_column("count", justify="right")
    table.add_column("share", justify="right")
    table.add_column("", no_wrap=True)
    shown = list(zip(labels, counts, strict=True))
    if len(shown) > 30:  # many classes: the 30 largest, the rest summarised
        shown.sort(key=lambda item: -item[1])
        rest = shown[30:]
        shown = shown[:30]
        shown.append((f"… {len(rest)} more", sum(c for _, c in rest)))
    top = max((c for _, c in shown), default=1) or 1
    for label, count in shown:
        style = "red" if count < 10 else "green"
        table.add_row(
            literal(_label(label)),
            str(count),
            _pct(count / total) if total else "—",
            Text(bar(count / top, width), style=style),
        )
    return table


# --------------------------------------------------------------------------- table output


def _evidence_table(result: RecommendResult) -> Table:
    evidence = result.evidence
    kind = evidence.to_dict()["kind"]
    table = Table(title="Evidence", header_style="bold", show_header=True)
    if kind == "regression":
        d, t = evidence.decide_on, evidence.targets
        both = d.on == "residuals"
        table.add_column("statistic")
        table.add_column("residuals" if both else "targets", justify="right")
        if both:
            table.add_column("targets", justify="right")
        rows = [
            ("n", "n"),
            ("mean", "mean"),
            ("std", "std"),
            ("median", "median"),
            ("MAD", "mad"),
            ("skewness", "skewness"),
            ("excess kurtosis", "excess_kurtosis"),
            ("skewness, |mod. z| <= 3.5", "bulk_skewness"),
            ("excess kurtosis, |mod. z| <= 3.5", "bulk_excess_kurtosis"),
            ("IQR", "iqr"),
        ]
        for name, attr in rows:
            cells = [_num(getattr(d, attr))]
            if both:
                cells.append(_num(getattr(t, attr)))
            table.add_row(name, *cells)
        for name, attr in (
            ("outside 1.5×IQR fences", "share_outside_inner"),
            ("outside 3×IQR fences", "share_outside_outer"),
            ("|modified z| > 3.5", "share_modified_z"),
        ):
            cells = [_pct(getattr(d, attr))]
            if both:
                cells.append(_pct(getattr(t, attr)))
            table.add_row(name, *cells)
        if both and d.mse_share_worst_1pct is not None:
            table.add_row("MSE share of worst 1 %", _pct(d.mse_share_worst_1pct), "")
        if evidence.outputs > 1:
            table.caption = (
                f"{evidence.outputs} outputs, each divided by its robust scale, pooled "
                "(per output below)"
            )
        return table
    table.add_column("statistic")
    table.add_column("value", justify="right")
    if kind == "classes":
        table.add_row("n", str(evidence.n))
        table.add_row("classes", str(len(evidence.classes)))
        table.add_row("imbalance ratio (majority/minority)", _num(evidence.imbalance_ratio))
        table.add_row(
            Text.assemble("minority share (", literal(_label(evidence.minority_class)), ")"),
            _pct(evidence.minority_share),
        )
        table.add_row("normalised entropy", _num(evidence.normalized_entropy))
    elif kind == "labels":
        table.add_row("n", str(evidence.n))
        table.add_row("labels", str(len(evidence.labels)))
        table.add_row("label cardinality", _num(evidence.label_cardinality))
        table.add_row("label density", _num(evidence.label_density))
        table.add_row("largest imbalance ratio", _num(evidence.imbalance_ratio))
        table.add_row(
            Text.assemble("rarest label (", literal(evidence.rarest_label), ")"),
            _pct(evidence.rarest_rate),
        )
    else:
        table.add_row("box pairs", str(evidence.n))
        if evidence.share_no_overlap is not None:
            table.add_row("pairs that do not overlap", _pct(evidence.share_no_overlap))
    return table


def table_renderables(result: RecommendResult, width: int = 100) -> list[Any]:
    """Everything the terminal shows, top to bottom (bars sized for ``width`` columns)."""
    bars = _bar_width(width)
    inference = result.inference
    task = Table.grid(padding=(0, 2))
    task.add_column(style="bold")
    task.add_column()
    task.add_row("task", Text(inference.task, style="bold cyan"))
    task.add_row("because", literal(inference.reason.removeprefix("because ")))
    task.add_row("layout", literal(inference.layout))
    task.add_row(
        "rows",
        f"{inference.n_samples}"
        + (
            f" ({inference.dropped + result.dropped_predictions} dropped: NaN/inf)"
            if inference.dropped + result.dropped_predictions
            else ""
        ),
    )
    if inference.note:
        task.add_row("note", Text(inference.note, style="yellow"))
    if result.prediction_shape is not None:
        shape = result.prediction_shape
        task.add_row("predictions", literal(f"{shape.kind}: {shape.reason}"))
    parts: list[Any] = [Panel(task, title="Task", title_align="left")]

    parts.append(_evidence_table(result))
    evidence = result.evidence
    kind = evidence.to_dict()["kind"]
    if kind == "regression" and evidence.per_output:
        parts.append(_per_output_table(evidence))
    if kind == "regression" and result.values is not None:
        d = evidence.decide_on
        parts.append(
            histogram_table(
                result.values, d.inner_fences, d.outer_fences, f"Histogram of {d.on}", bars
            )
        )
    elif kind == "classes":
        parts.append(
            share_bars(evidence.classes, evidence.counts, evidence.n, "Class shares", bars)
        )
    elif kind == "labels":
        parts.append(
            share_bars(
                evidence.labels, evidence.positives, evidence.n, "Positive rate per label", bars
            )
        )

    rec = result.recommendation
    chosen = Table.grid(padding=(0, 2))
    chosen.add_column(style="bold")
    chosen.add_column()
    chosen.add_row("loss", Text(rec.loss, style="bold green"))
    chosen.add_row("activation", rec.activation)
    chosen.add_row("params", literal(_params(rec.params)))
    chosen.add_row("reason", literal(rec.reason))
    for note in result.notes:
        chosen.add_row("note", Text(note, style="yellow"))
    parts.append(Panel(chosen, title="Recommendation", title_align="left", border_style="green"))

    alternatives = Table(title="Alternatives", header_style="bold")
    alternatives.add_column("#", justify="right")
    alternatives.add_column("loss")
    alternatives.add_column("params")
    alternatives.add_column("when it would be better")
    for rank, alternative in enumerate(rec.alternatives, start=1):
        alternatives.add_row(
            str(rank), alternative.loss, literal(_params(alternative.params)), alternative.when
        )
    parts.append(alternatives)

    if result.computed:
        computed = Table(title=_computed_title(result), header_style="bold")
        computed.add_column("loss")
        computed.add_column("role")
        computed.add_column("value", justify="right")
        computed.add_column("note")
        for item in result.computed:
            if item.value is not None:
                computed.add_row(literal(item.label), item.role, _num(item.value), "")
            else:
                note = literal(f"not computed: {item.error}", style="red")
                computed.add_row(literal(item.label), item.role, "—", note)
        parts.append(computed)
    return parts


def print_table(result: RecommendResult, console: Console) -> None:
    console.print(Group(*table_renderables(result, console.width)))


# --------------------------------------------------------------------------- machine formats


def json_report(result: RecommendResult) -> str:
    """The SPEC §6 JSON document (non-finite floats as null, full precision)."""
    return json_text(result.to_dict())


def _computed_title(result: RecommendResult) -> str:
    """Over many files the losses are computed on the seeded sample: the title says so."""
    sample = result.sample
    if sample and not sample.get("all_rows"):
        return f"On the given predictions (a seeded sample of {sample['size']:,} rows)"
    return "On the given predictions"


def markdown_report(result: RecommendResult) -> str:
    """A Markdown report for pull requests and ``$GITHUB_STEP_SUMMARY``."""
    inference = result.inference
    rec = result.recommendation
    lines = [
        "## losscli recommend",
        "",
        f"**Task:** {inference.task} — {markdown_escape(inference.reason)}  ",
        f"**Layout:** {markdown_escape(inference.layout)}, {inference.n_samples} rows"
        + (
            f" ({inference.dropped + result.dropped_predictions} dropped)"
            if inference.dropped + result.dropped_predictions
            else ""
        ),
    ]
    if inference.note:
        lines.append(f"  \n**Note:** {markdown_escape(inference.note)}")
    lines += [
        "",
        "### Recommendation",
        "",
        markdown_table(
            ["loss", "activation", "params", "reason"],
            [[rec.loss, rec.activation, _params(rec.params), rec.reason]],
        ),
    ]
    for note in result.notes:
        lines.append(f"- {markdown_escape(note)}")
    if result.notes:
        lines.append("")
    lines += [
        "### Alternatives",
        "",
        markdown_table(
            ["#", "loss", "params", "when it would be better"],
            [
                [str(i), a.loss, _params(a.params), a.when]
                for i, a in enumerate(rec.alternatives, start=1)
            ],
        ),
        "### Evidence",
        "",
        markdown_table(["statistic", "value"], _evidence_rows(result)),
    ]
    if getattr(result.evidence, "per_output", ()):
        lines += [
            "",
            "### Evidence per output",
            "",
            markdown_table(
                ["output", *(title for title, _, _ in _PER_OUTPUT)],
                _per_output_rows(result.evidence),
            ),
        ]
    if result.sample is not None:
        sample = result.sample
        lines += [
            "",
            f"Sample: {sample['size']:,} of {sample['rows']:,} rows (seed {sample['seed']}); "
            f"sampled: {', '.join(sample['sampled']) or 'nothing'}.",
        ]
    if result.computed:
        lines += [
            f"### {_computed_title(result)}",
            "",
            markdown_table(
                ["loss", "role", "value"],
                [
                    [c.label, c.role, _num(c.value) if c.value is not None else f"error: {c.error}"]
                    for c in result.computed
                ],
            ),
        ]
    if result.warnings:
        lines += ["### Warnings", ""] + [f"- {markdown_escape(w)}" for w in result.warnings]
        lines.append("")
    return "\n".join(lines)


_PER_OUTPUT = (
    ("n", "n", _num),
    ("std", "std", _num),
    ("robust scale", "robust_scale", _num),
    ("skewness", "skewness", _num),
    ("excess kurtosis", "excess_kurtosis", _num),
    ("|mod. z| > 3.5", "share_modified_z", _pct),
    ("beyond 3×IQR", "share_outside_outer", _pct),
)


def _per_output_rows(evidence) -> list[list[str]]:
    return [
        [name, *(fmt(getattr(d, attr)) for _, attr, fmt in _PER_OUTPUT)]
        for name, d in evidence.per_output
    ]


def _per_output_table(evidence) -> Table:
    table = Table(title=f"Evidence per output ({evidence.decide_on.on})", header_style="bold")
    table.add_column("output")
    for title, _, _ in _PER_OUTPUT:
        table.add_column(title, justify="right")
    for row in _per_output_rows(evidence):
        table.add_row(literal(row[0]), *row[1:])
    return table


def _evidence_rows(result: RecommendResult) -> list[list[str]]:
    data = result.to_dict()["evidence"]
    rows: list[list[str]] = []
    for key, value in data.items():
        if key in ("kind", "targets", "predictions", "per_output", "sample"):
            continue
        if isinstance(value, dict):
            value = ", ".join(f"{k}: {_num(v)}" for k, v in list(value.items())[:30])
        elif isinstance(value, list):
            value = ", ".join(_num(v) for v in value[:30])
        else:
            value = _num(value)
        rows.append([key, value])
    if "predictions" in data:
        rows.append(
            ["predictions", f"{data['predictions']['kind']}: {data['predictions']['reason']}"]
        )
    return rows
