"""``compute`` output: the JSON report (SPEC §6) and its table, CSV and Markdown forms.

The report dict is the one source: :func:`compute_report` builds it, and the Rich
table, CSV and Markdown are drawn from it, so every format says the same thing.
Text from the input (column names, labels, slice values) reaches Rich only through
:func:`losscli.render.console.literal`.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping, Sequence
from typing import Any

from losscli.render.console import (
    clean,
    literal,
    plain_line,
    stderr_console,
)
from losscli.render.formats import (
    Markdown,
    csv_column,
    csv_text,
    jsonable,
    markdown_escape,
    markdown_table,
    short_float,
    write_atomic,
    write_report,
)

SCHEMA = "losscli/compute/1"

__all__ = [
    "SCHEMA",
    "clean",
    "compute_report",
    "csv_report",
    "diagnostics",
    "emit",
    "markdown",
    "rich_tables",
    "write_per_sample",
]


def compute_report(
    plan: Any,
    evaluation: Any,
    checks: Sequence[Any],
    warnings: Sequence[str],
    *,
    convention: str,
) -> dict[str, Any]:
    """The JSON document of SPEC §6 (``"schema": "losscli/compute/1"``), plus the task's
    reason, the layout and, with ``--group-by``, the losses of every slice."""
    losses: dict[str, Any] = {}
    for result in evaluation.results:
        params = dict(result.params)
        if "box_format" in params and getattr(plan, "box_format", None):
            # Boxes reach the loss as xyxy; report the format the input was in.
            params["box_format"] = plan.box_format
        entry: dict[str, Any] = {
            "value": result.value,
            "name": result.name,
            "params": jsonable(params),
        }
        if result.per_output:
            entry["per_output"] = dict(result.per_output)
        losses[result.label] = entry
    report: dict[str, Any] = {
        "schema": SCHEMA,
        "task": plan.task,
        "task_reason": plan.reason,
        "n_samples": evaluation.n_samples,
        "files": list(getattr(plan, "input_files", None) or plan.roles.files),
        "columns": plan.roles.describe(),
        "layout": plan.describe(),
        "convention": convention,
        "losses": losses,
        "checks": [result.as_dict() for result in checks],
        "warnings": list(warnings),
        "notes": list(plan.notes),
    }
    if evaluation.slices:
        report["group_by"] = {
            "column": plan.roles.group_by.name,
            "slices": {
                key: {
                    "n_samples": evaluation.slice_sizes[key],
                    "losses": {r.label: {"value": r.value} for r in results},
                }
                for key, results in evaluation.slices.items()
            },
        }
    return report


# --------------------------------------------------------------------------- stderr


def diagnostics(plan: Any, inferred: bool) -> None:
    """What was inferred and why, on stderr (one line each)."""
    how = plan.reason if inferred else "(--task)"
    lines = [("task: ", "bold", f"{plan.task} {how}")] + [("note: ", "cyan", n) for n in plan.notes]
    for label, style, message in lines:
        if plain_line(label, message):
            continue
        from rich.text import Text

        # soft_wrap: one line per message however narrow the terminal (greppable logs)
        text = Text.assemble((label, style), literal(message))
        stderr_console().print(text, soft_wrap=True)


def warning_line(message: str) -> None:
    """One ``warning: …`` line on stderr, never wrapped."""
    if plain_line("warning: ", message):
        return
    from rich.text import Text

    stderr_console().print(Text.assemble(("warning: ", "yellow"), literal(message)), soft_wrap=True)


# --------------------------------------------------------------------------- formats


def emit(report: Mapping[str, Any], output_format: str) -> None:
    """Write the report to stdout in ``output_format`` (table, json, csv, markdown)."""
    write_report(
        report, output_format, tables=rich_tables, csv_report=csv_report, markdown=markdown
    )


def _params_text(params: Mapping[str, Any]) -> str:
    """Parameters that say something: switched-off options (None, False, 0) and the box
    format (boxes reach the loss as xyxy whatever --box-format was) are left out."""
    return ", ".join(
        f"{k}={_value_text(v)}"
        for k, v in params.items()
        if v is not None and v is not False and v != 0 and k != "box_format"
    )


def _value_text(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, (list, tuple)):
        return ";".join(_value_text(v) for v in value)
    return str(value)


def _columns_text(columns: Mapping[str, Any]) -> list[tuple[str, str]]:
    parts = []
    for role, value in columns.items():
        shown = ", ".join(value) if isinstance(value, list) else str(value)
        parts.append((role.replace("_", "-"), shown))
    return parts


def _ci_header(report: Mapping[str, Any]) -> str:
    """``"95% interval"`` when ``--ci`` added intervals (losscli.bootstrap), else ``""``."""
    levels = [e["ci"]["level"] for e in report["losses"].values() if e.get("ci")]
    return f"{100 * levels[0]:g}% interval" if levels else ""


def _ci_text(entry: Mapping[str, Any]) -> str:
    ci = entry.get("ci")
    return f"[{short_float(ci['low'])}, {short_float(ci['high'])}]" if ci else "—"


def rich_tables(report: Mapping[str, Any]) -> list[Any]:
    """The Rich renderables of the terminal view: losses, slices, checks."""
    from rich.table import Table
    from rich.text import Text

    title = Text.assemble(
        ("losscli compute", "bold"),
        f" · {report['task']} · {report['n_samples']:,} rows · convention {report['convention']}",
    )
    caption = Text(" · ").join(
        Text.assemble((f"{role} ", "dim"), literal(shown))
        for role, shown in _columns_text(report["columns"])
    )
    table = Table()
    table.add_column("loss", style="bold")
    table.add_column("value", justify="right")
    outputs: list[str] = []
    for entry in report["losses"].values():
        for name in entry.get("per_output", {}):
            if name not in outputs:
                outputs.append(name)
    for name in outputs:
        table.add_column(literal(name), justify="right")
    interval = _ci_header(report)
    if interval:
        table.add_column(interval, justify="right")
    table.add_column("parameters", style="dim")
    for label, entry in report["losses"].items():
        per_output = entry.get("per_output", {})
        table.add_row(
            literal(label),
            short_float(entry["value"]),
            *[short_float(per_output.get(name)) for name in outputs],
            *([_ci_text(entry)] if interval else []),
            literal(_params_text(entry["params"])),
        )
    renderables: list[Any] = [title, table, caption]
    group_by = report.get("group_by")
    if group_by:
        labels = list(report["losses"])
        slices = Table(
            title=Text.assemble(("by ", "bold"), literal(group_by["column"])),
            title_justify="left",
        )
        slices.add_column(literal(group_by["column"]))
        slices.add_column("rows", justify="right")
        for label in labels:
            slices.add_column(literal(label), justify="right")
        for key, part in group_by["slices"].items():
            slices.add_row(
                literal(key),
                f"{part['n_samples']:,}",
                *[short_float(part["losses"][label]["value"]) for label in labels],
            )
        renderables.append(slices)
    if report["checks"]:
        checks = Table(title=Text("checks", style="bold"), title_justify="left")
        checks.add_column("check")
        checks.add_column("value", justify="right")
        checks.add_column("result")
        for check in report["checks"]:
            checks.add_row(
                literal(check["check"]),
                short_float(check["value"]),
                Text("FAILED", style="bold red") if check["failed"] else Text("ok", style="green"),
            )
        renderables.append(checks)
    return renderables


#: ``scope`` says what a row covers: ``all`` (the whole input), ``output`` (one output of
#: ``--per-output``) or ``slice`` (one ``--group-by`` value, which may be the empty text).
CSV_HEADER = ("loss", "name", "value", "scope", "slice", "output", "n_samples", "params")
#: Added after ``CSV_HEADER`` when ``--ci`` computed intervals (on the whole-input rows).
CSV_CI_HEADER = ("ci_low", "ci_high", "ci_level")


def csv_report(report: Mapping[str, Any]) -> str:
    """One row per loss (then per output, then per slice, told apart by ``scope``: an
    empty ``--group-by`` value is a ``slice`` row with an empty ``slice``, not the overall
    ``all`` row); ``params`` as compact JSON;
    with ``--ci``, the interval's bounds and level on each loss's whole-input row."""
    rows: list[list[Any]] = []
    n = report["n_samples"]
    with_ci = any("ci" in entry for entry in report["losses"].values())
    for label, entry in report["losses"].items():
        params = json.dumps(entry["params"], separators=(",", ":"), ensure_ascii=False)
        ci = entry.get("ci") or {}
        interval = [ci.get("low"), ci.get("high"), ci.get("level")] if with_ci else []
        rows.append([label, entry["name"], entry["value"], "all", "", "", n, params, *interval])
        for output, value in entry.get("per_output", {}).items():
            rows.append([label, entry["name"], value, "output", "", clean(output), n, params])
    group_by = report.get("group_by")
    if group_by:
        for key, part in group_by["slices"].items():
            for label, value in part["losses"].items():
                entry = report["losses"][label]
                params = json.dumps(entry["params"], separators=(",", ":"), ensure_ascii=False)
                rows.append(
                    [
                        label,
                        entry["name"],
                        value["value"],
                        "slice",
                        clean(key),
                        "",
                        part["n_samples"],
                        params,
                    ]
                )
    if with_ci:
        rows = [row + [None] * (len(CSV_HEADER) + 3 - len(row)) for row in rows]
        return csv_text((*CSV_HEADER, *CSV_CI_HEADER), rows)
    return csv_text(CSV_HEADER, rows)


def markdown(report: Mapping[str, Any]) -> str:
    """The report as GitHub-flavoured Markdown (also the ``--summary`` text)."""
    lines = [
        f"### losscli compute: {report['task']}, {report['n_samples']:,} rows",
        "",
        " · ".join(
            f"{markdown_escape(role)}: {markdown_escape(shown)}"
            for role, shown in _columns_text(report["columns"])
        )
        + f" · convention: {markdown_escape(report['convention'])}",
        "",
    ]
    outputs: list[str] = []
    for entry in report["losses"].values():
        outputs.extend(n for n in entry.get("per_output", {}) if n not in outputs)
    rows = []
    for label, entry in report["losses"].items():
        per_output = entry.get("per_output", {})
        rows.append(
            [
                Markdown(f"`{label}`") if "`" not in label else label,
                entry["value"],
                *[per_output.get(name) for name in outputs],
                *([_ci_text(entry)] if _ci_header(report) else []),
                _params_text(entry["params"]),
            ]
        )
    interval = [_ci_header(report)] if _ci_header(report) else []
    lines.append(markdown_table(["loss", "value", *outputs, *interval, "parameters"], rows))
    group_by = report.get("group_by")
    if group_by:
        labels = list(report["losses"])
        lines.append(f"#### by {markdown_escape(group_by['column'])}\n")
        lines.append(
            markdown_table(
                [group_by["column"], "rows", *labels],
                [
                    [key, part["n_samples"], *[part["losses"][x]["value"] for x in labels]]
                    for key, part in group_by["slices"].items()
                ],
            )
        )
    if report["checks"]:
        lines.append("#### checks\n")
        lines.append(
            markdown_table(
                ["check", "value", "result"],
                [
                    [
                        c["check"],
                        c["value"],
                        Markdown("**FAILED**") if c["failed"] else Markdown("ok"),
                    ]
                    for c in report["checks"]
                ],
            )
        )
    if report["warnings"]:
        lines.append("")
        lines.extend(f"> warning: {markdown_escape(w)}" for w in report["warnings"])
    return "\n".join(lines).rstrip("\n") + "\n"


# --------------------------------------------------------------------------- per sample


def write_per_sample(path: str, values: Sequence[Any], layout: Any) -> None:
    """``--per-sample FILE``: one row per sample (or group) per loss, written atomically
    (``-``: to standard output).

    Columns: ``loss``, ``row`` (0-based data row of the targets file), ``line`` (its
    1-based line in the predictions file; the row number for Parquet), ``id`` (with
    ``--id``), ``slice`` (with ``--group-by``), ``group`` (the image or sequence of
    grouped losses), ``value`` (shortest round-trip float). Written a block of rows at
    a time.
    """
    import numpy as np

    has_ids = layout.ids is not None
    has_slices = layout.slices is not None
    header = [
        "loss",
        "row",
        "line",
        *(["id"] if has_ids else []),
        *(["slice"] if has_slices else []),
        "group",
        "value",
    ]

    def pieces() -> Any:
        yield ",".join(header) + "\n"
        for item in values:
            count = item.values.shape[0]
            label = str(csv_column([item.label])[0])
            for start in range(0, count, PER_SAMPLE_BLOCK):
                block = slice(start, min(count, start + PER_SAMPLE_BLOCK))
                # repr() is the shortest text that reads back as the same float64.
                numbers = [repr(v) for v in item.values[block].astype(np.float64).tolist()]
                if item.unit == "sample":
                    columns = [
                        item.keys[block].astype(np.int64).astype(str).tolist(),
                        layout.prediction_lines[block].astype(np.int64).astype(str).tolist(),
                    ]
                    if has_ids:
                        columns.append(csv_column(layout.ids[block]).tolist())
                    if has_slices:
                        columns.append(csv_column(layout.slices[block]).tolist())
                    columns.append([""] * len(numbers))
                else:
                    blanks = [""] * len(numbers)
                    columns = [blanks, blanks]
                    columns += [blanks] * (int(has_ids) + int(has_slices))
                    columns.append(csv_column(item.keys[block]).tolist())
                lines = [
                    ",".join((label, *cells, value))
                    for *cells, value in zip(*columns, numbers, strict=True)
                ]
                yield "\n".join(lines) + "\n"

    if path == "-":  # the per-sample CSV is the whole of standard output
        for piece in pieces():
            sys.stdout.write(piece)
        sys.stdout.flush()
        return
    write_atomic(path, pieces())


#: Rows per block of ``--per-sample`` output (bounded memory for large inputs).
PER_SAMPLE_BLOCK = 1 << 18
