"""``compare`` output: the leaderboard as JSON (``losscli/compare/1``), a Rich table,
CSV and Markdown (a pull-request comment, also the ``--summary`` text).

The report dict is the one source; every format is drawn from it. Model names and
file paths come from the command line and are shown literally.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from losscli.render.console import literal
from losscli.render.formats import (
    Markdown,
    csv_text,
    markdown_escape,
    markdown_table,
    short_float,
    write_report,
)

SCHEMA = "losscli/compare/1"

VERDICT_STYLES = {
    "baseline": "bold",
    "better": "green",
    "worse": "red",
    "no clear difference": "dim",
    "no interval": "yellow",
}


def leaderboard(report: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The models best first (by rank)."""
    return sorted(report["models"], key=lambda model: model["rank"])


def _difference_text(entry: Mapping[str, Any]) -> str:
    if entry.get("difference") is None:
        return "—"
    return f"{entry['difference']:+.4g}"


def _interval_text(entry: Mapping[str, Any]) -> str:
    ci = entry.get("ci")
    if not ci:
        return "—"
    return f"[{ci['low']:+.4g}, {ci['high']:+.4g}]"


def _relative_text(entry: Mapping[str, Any]) -> str:
    relative = entry.get("relative_difference")
    return "—" if relative is None else f"{100 * relative:+.2f}%"


def _rows(report: Mapping[str, Any]) -> list[tuple[Mapping[str, Any], str, Mapping[str, Any]]]:
    return [
        (model, label, model["losses"][label])
        for model in leaderboard(report)
        for label in report["losses"]
    ]


def _heading(report: Mapping[str, Any]) -> str:
    boot = report["bootstrap"]
    return (
        f"{report['task']}, {report['n_samples']:,} rows, baseline {report['baseline']}, "
        f"{100 * boot['level']:g}% paired bootstrap intervals "
        f"({boot['n_resamples']} resamples of {boot['resampled']}, seed {boot['seed']})"
    )


def rich_table(report: Mapping[str, Any]) -> list[Any]:
    from rich.table import Table
    from rich.text import Text

    title = Text.assemble(("losscli compare", "bold"), " · ", literal(_heading(report)))
    table = Table(title=title, title_justify="left")
    for header, justify in (
        ("rank", "right"),
        ("model", "left"),
        ("loss", "left"),
        ("value", "right"),
        ("Δ vs baseline", "right"),
        ("Δ %", "right"),
        (f"{100 * report['bootstrap']['level']:g}% interval of Δ", "right"),
        ("verdict", "left"),
    ):
        table.add_column(header, justify=justify)  # type: ignore[arg-type]
    previous = None
    for model, label, entry in _rows(report):
        first = model["name"] != previous
        previous = model["name"]
        verdict = Text(entry["verdict"], style=VERDICT_STYLES.get(entry["verdict"], ""))
        if entry.get("failed"):
            verdict.append(" ✗ gate", style="bold red")
        table.add_row(
            str(model["rank"]) if first else "",
            literal(model["name"], style="bold") if first else Text(""),
            literal(label),
            short_float(entry["value"]),
            _difference_text(entry),
            _relative_text(entry),
            _interval_text(entry),
            verdict,
            end_section=label == report["losses"][-1],
        )
    renderables: list[Any] = [table]
    gate = report["gate"]
    if gate["fail_if_worse"]:
        failed = [c for c in report["checks"] if c["failed"]]
        if failed:
            renderables.append(
                Text.assemble(("gate failed: ", "bold red"), literal(failed[0]["message"]))
            )
        else:
            renderables.append(Text("gate passed: no model is worse beyond the margin", "green"))
    return renderables


CSV_HEADER = (
    "rank",
    "model",
    "path",
    "loss",
    "value",
    "difference",
    "relative_difference",
    "ci_level",
    "ci_low",
    "ci_high",
    "verdict",
    "failed",
)


def csv_report(report: Mapping[str, Any]) -> str:
    rows = []
    for model, label, entry in _rows(report):
        ci = entry.get("ci") or {}
        rows.append(
            [
                model["rank"],
                model["name"],
                model["path"],
                label,
                entry["value"],
                entry.get("difference"),
                entry.get("relative_difference"),
                ci.get("level"),
                ci.get("low"),
                ci.get("high"),
                entry["verdict"],
                "true" if entry.get("failed") else "false",
            ]
        )
    return csv_text(CSV_HEADER, rows)


def markdown(report: Mapping[str, Any]) -> str:
    """The leaderboard as GitHub-flavoured Markdown, for a pull-request comment."""
    level = f"{100 * report['bootstrap']['level']:g}%"
    lines = [f"### losscli compare: {markdown_escape(_heading(report))}", ""]
    rows = []
    for model, label, entry in _rows(report):
        verdict = entry["verdict"]
        if verdict == "worse":
            verdict_cell = Markdown("**worse**" + (" ❌" if entry.get("failed") else ""))
        elif verdict == "better":
            verdict_cell = Markdown("better ✅")
        else:
            verdict_cell = verdict
        rows.append(
            [
                model["rank"],
                Markdown(f"`{model['name']}`") if "`" not in model["name"] else model["name"],
                Markdown(f"`{label}`") if "`" not in label else label,
                entry["value"],
                _difference_text(entry),
                _relative_text(entry),
                _interval_text(entry),
                verdict_cell,
            ]
        )
    lines.append(
        markdown_table(
            [
                "rank",
                "model",
                "loss",
                "value",
                "Δ vs baseline",
                "Δ %",
                f"{level} interval",
                "verdict",
            ],
            rows,
        )
    )
    gate = report["gate"]
    if gate["fail_if_worse"]:
        failed = [c for c in report["checks"] if c["failed"]]
        lines.append(
            f"**Gate failed**: {markdown_escape(failed[0]['message'])}"
            if failed
            else f"Gate passed: no model is worse than the baseline beyond the margin "
            f"({markdown_escape(gate['margin'])})."
        )
    for warning in report["warnings"]:
        lines.append(f"> warning: {markdown_escape(warning)}")
    return "\n".join(lines).rstrip("\n") + "\n"


def emit(report: Mapping[str, Any], output_format: str) -> None:
    """Write the report to stdout in ``output_format`` (table, json, csv, markdown)."""
    write_report(report, output_format, tables=rich_table, csv_report=csv_report, markdown=markdown)
