"""Rendering of the loss catalogue: ``list`` (table, JSON, CSV, Markdown) and ``explain``.

Everything shown here is read from the registry (:mod:`losscli.registry`) and the
convention profiles (:mod:`losscli.conventions`); nothing is restated. Registry text
reaches Rich only as :class:`rich.text.Text`, so a formula such as ``[0, 1]`` is never
read as markup.
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from rich.console import Group, RenderableType
from rich.padding import Padding
from rich.table import Table
from rich.text import Text

from losscli.conventions import CONVENTIONS, Convention
from losscli.registry import LossSpec, Param

LIST_SCHEMA = "losscli/list/1"
EXPLAIN_SCHEMA = "losscli/explain/1"


def json_value(value: Any) -> Any:
    """A parameter value as JSON: tuples become lists, non-finite floats strings."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, tuple | list):
        return [json_value(v) for v in value]
    if isinstance(value, bool | int | float | str) or value is None:
        return value
    return str(value)


def text_value(value: Any) -> str:
    """A parameter value for a table: ``1``, ``0.25``, ``none``, ``1;2``."""
    if value is None:
        return "none"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, tuple | list):
        return ";".join(text_value(v) for v in value) or "()"
    return str(value)


def _forms(spec: LossSpec) -> list[tuple[str, LossSpec]]:
    """(task, form) pairs: one per task for losses with several forms (focal)."""
    if not spec.forms:
        return []
    return [(task, spec.for_task(task)) for task in spec.tasks]


def activation_text(spec: LossSpec) -> str:
    forms = _forms(spec)
    if not forms or len({form.activation for _, form in forms}) == 1:
        return spec.activation
    return ", ".join(f"{form.activation} ({task})" for task, form in forms)


def _all_params(spec: LossSpec) -> list[Param]:
    """The parameters of a loss and of its forms, each name once, in order."""
    seen: dict[str, Param] = {p.name: p for p in spec.params}
    for _, form in _forms(spec):
        for p in form.params:
            seen.setdefault(p.name, p)
    return list(seen.values())


def params_text(spec: LossSpec) -> str:
    return ", ".join(f"{p.name}={text_value(p.default)}" for p in _all_params(spec)) or "—"


# --- list ----------------------------------------------------------------------------


def list_entry(spec: LossSpec) -> dict[str, Any]:
    """One loss in ``losscli/list/1`` JSON: the fixed keys first, then extras."""
    params = _all_params(spec)
    entry: dict[str, Any] = {
        "name": spec.name,
        "aliases": list(spec.aliases),
        "tasks": list(spec.tasks),
        "activation": spec.activation,
        "params": {p.name: json_value(p.default) for p in params},
        "robust_to_outliers": spec.robust_to_outliers,
        "target": spec.target,
        "formula": spec.formula,
        "parameters": [
            {
                "name": p.name,
                "default": json_value(p.default),
                "type": p.type.__name__,
                "range": p.range_text(),
                "help": p.help,
            }
            for p in params
        ],
    }
    forms = _forms(spec)
    if forms:
        entry["forms"] = {
            task: {"activation": form.activation, "target": form.target} for task, form in forms
        }
    return entry


def list_document(specs: Iterable[LossSpec]) -> dict[str, Any]:
    return {"schema": LIST_SCHEMA, "losses": [list_entry(s) for s in specs]}


def list_json(specs: Iterable[LossSpec]) -> str:
    return json.dumps(list_document(specs), indent=2, ensure_ascii=False) + "\n"


_LIST_HEADERS = ("name", "aliases", "tasks", "activation", "robust to outliers", "parameters")


def _list_row(spec: LossSpec) -> tuple[str, ...]:
    return (
        spec.name,
        ", ".join(spec.aliases) or "—",
        ", ".join(spec.tasks),
        activation_text(spec),
        "yes" if spec.robust_to_outliers else "no",
        params_text(spec),
    )


def list_table(specs: Sequence[LossSpec], *, title: str | None = None) -> Table:
    table = Table(title=title, title_justify="left", show_lines=False)
    for header in _LIST_HEADERS:
        table.add_column(header, overflow="fold", no_wrap=header == "name")
    for spec in specs:
        row = _list_row(spec)
        table.add_row(Text(row[0], style="bold cyan"), *(Text(cell) for cell in row[1:]))
    return table


def markdown_cell(text: str) -> str:
    """Text safe inside a Markdown table cell (pipes escaped, no newlines)."""
    return " ".join(str(text).split()).replace("\\", "\\\\").replace("|", "\\|")


def list_markdown(specs: Sequence[LossSpec]) -> str:
    lines = [
        "| " + " | ".join(_LIST_HEADERS) + " |",
        "|" + "---|" * len(_LIST_HEADERS),
    ]
    for spec in specs:
        row = _list_row(spec)
        lines.append("| " + " | ".join(markdown_cell(c) for c in (f"`{row[0]}`", *row[1:])) + " |")
    return "\n".join(lines) + "\n"


def list_csv(specs: Sequence[LossSpec]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([h.replace(" ", "_") for h in _LIST_HEADERS])
    for spec in specs:
        name, _, _, activation, robust, params = _list_row(spec)
        params = "" if params == "—" else params  # no parameters: an empty field, not a dash
        writer.writerow(
            [name, ";".join(spec.aliases), ";".join(spec.tasks), activation, robust, params]
        )
    return buffer.getvalue()


# --- explain: the conventions --------------------------------------------------------


@dataclass(frozen=True)
class ConventionRow:
    """One setting of the small print and its value in every profile."""

    setting: str
    values: dict[str, Any]

    @property
    def differs(self) -> bool:
        return len({repr(v) for v in self.values.values()}) > 1


def _loss_names(spec: LossSpec) -> list[str]:
    names = [spec.name]
    names += [form.name for _, form in _forms(spec) if form.name not in names]
    return names


def convention_rows(
    spec: LossSpec, profiles: Sequence[Convention] | None = None
) -> list[ConventionRow]:
    """Where the profiles' small print touches ``spec``: a row per setting.

    The weighted-mean rule applies to every loss (with sample weights); the
    probability clip to losses that read probabilities (activation other than
    linear); the rest is each profile's ``small_print`` for the loss's name(s).
    A profile without an entry for a setting uses the loss's own default, shown
    as ``None`` (JSON ``null``, ``default`` in tables).
    """
    profiles = list(profiles or CONVENTIONS.values())
    rows = [
        ConventionRow(
            "weighted mean divides by",
            {
                c.name: "sum of weights" if c.weighted_mean == "weights" else "number of elements"
                for c in profiles
            },
        )
    ]
    reads_probabilities = spec.activation != "linear" or any(
        form.activation != "linear" for _, form in _forms(spec)
    )
    if reads_probabilities:
        rows.append(
            ConventionRow("probability clip epsilon", {c.name: c.epsilon for c in profiles})
        )
    for name in _loss_names(spec):
        keys: list[str] = []
        for c in profiles:
            keys += [k for k in c.small_print.get(name, {}) if k not in keys]
        prefix = f"{name}: " if name != spec.name else ""
        for key in keys:
            rows.append(
                ConventionRow(prefix + key, {c.name: c.option(name, key) for c in profiles})
            )
    return rows


# --- explain: one loss ---------------------------------------------------------------


@dataclass
class Explanation:
    """What ``explain`` shows for one loss: the entry, the chosen parameters, the curve."""

    spec: LossSpec
    label: str
    params: dict[str, Any]
    curve: Any = None  # losscli.render.plots.Curve | None
    plot_note: str | None = None
    conventions: list[ConventionRow] = field(default_factory=list)


def explanation_dict(item: Explanation) -> dict[str, Any]:
    spec = item.spec
    entry = list_entry(spec)
    document = {
        "name": spec.name,
        "label": item.label,
        "aliases": list(spec.aliases),
        "tasks": list(spec.tasks),
        "activation": spec.activation,
        "target": spec.target,
        "formula": spec.formula,
        "latex": spec.latex,
        "robust_to_outliers": spec.robust_to_outliers,
        "params": {name: json_value(value) for name, value in item.params.items()},
        "parameters": entry["parameters"],
        "when": spec.when,
        "pros": list(spec.pros),
        "cons": list(spec.cons),
        "reference": spec.reference,
        "conventions": [
            {
                "setting": row.setting,
                "values": {k: json_value(v) for k, v in row.values.items()},
                "differs": row.differs,
            }
            for row in item.conventions
        ],
        "plot": item.curve.as_dict() if item.curve is not None else None,
    }
    if "forms" in entry:
        document["forms"] = entry["forms"]
    if item.plot_note:
        document["plot_note"] = item.plot_note
    return document


def explain_json(items: Sequence[Explanation]) -> str:
    document = {"schema": EXPLAIN_SCHEMA, "losses": [explanation_dict(i) for i in items]}
    return json.dumps(document, indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def _bullets(lines: Sequence[str]) -> Text:
    return Text("\n".join(f"• {line}" for line in lines) or "—")


def _params_table(spec: LossSpec, chosen: dict[str, Any]) -> Table:
    table = Table(title="parameters", title_justify="left", title_style="bold")
    for header in ("name", "default", "used", "valid range", "meaning"):
        table.add_column(header, overflow="fold")
    for p in _all_params(spec):
        table.add_row(
            Text(p.name, style="cyan"),
            Text(text_value(p.default)),
            Text(text_value(chosen.get(p.name, p.default))),
            Text(p.range_text()),
            Text(p.help),
        )
    return table


def _conventions_table(rows: Sequence[ConventionRow]) -> Table:
    profiles = list(rows[0].values) if rows else list(CONVENTIONS)
    table = Table(
        title="conventions (--convention): where the frameworks differ for this loss",
        title_justify="left",
        title_style="bold",
        caption="* = the profiles differ; 'default' = the loss's own default",
        caption_justify="left",
    )
    table.add_column("setting", overflow="fold")
    for name in profiles:
        table.add_column(name, overflow="fold")
    for row in rows:
        mark = " *" if row.differs else ""
        cells = [Text("default" if v is None else text_value(v)) for v in row.values.values()]
        table.add_row(Text(row.setting + mark, style="yellow" if row.differs else ""), *cells)
    return table


def explain_renderable(item: Explanation) -> RenderableType:
    """The Rich view of one loss (the plot is drawn separately, so it can overlay)."""
    spec = item.spec
    facts = Table.grid(padding=(0, 2))
    facts.add_column(style="bold", no_wrap=True)
    facts.add_column(overflow="fold")
    facts.add_row("aliases", Text(", ".join(spec.aliases) or "—"))
    facts.add_row("tasks", Text(", ".join(spec.tasks)))
    facts.add_row("activation", Text(activation_text(spec)))
    facts.add_row("targets", Text(spec.target))
    facts.add_row("formula", Text(spec.formula))
    facts.add_row("LaTeX", Text(spec.latex))
    facts.add_row("robust to outliers", Text("yes" if spec.robust_to_outliers else "no"))
    facts.add_row("when to use", Text(spec.when))
    facts.add_row("pros", _bullets(spec.pros))
    facts.add_row("cons", _bullets(spec.cons))
    facts.add_row("reference", Text(spec.reference))
    if item.plot_note:
        facts.add_row("plot", Text(item.plot_note))
    title = Text.assemble((item.label, "bold cyan"), "  ", (spec.formula, "italic"))
    parts: list[RenderableType] = [title, Padding(facts, (1, 0, 0, 2))]
    if _all_params(spec):
        parts.append(Padding(_params_table(spec, item.params), (1, 0, 0, 2)))
    parts.append(Padding(_conventions_table(item.conventions), (1, 0, 0, 2)))
    return Group(*parts)


def explain_markdown(items: Sequence[Explanation]) -> str:
    """The explanation(s) as Markdown, for docs and pull-request comments."""
    out: list[str] = []
    for item in items:
        spec = item.spec
        out += [
            f"## `{item.label}`",
            "",
            f"- **aliases**: {', '.join(f'`{a}`' for a in spec.aliases) or '—'}",
            f"- **tasks**: {', '.join(spec.tasks)}",
            f"- **activation**: {activation_text(spec)}",
            f"- **targets**: {spec.target}",
            f"- **formula**: `{spec.formula}`",
            f"- **LaTeX**: $${spec.latex}$$",
            f"- **robust to outliers**: {'yes' if spec.robust_to_outliers else 'no'}",
            f"- **reference**: {spec.reference}",
            "",
            f"**When to use.** {spec.when}",
            "",
            "**Pros**",
            "",
            *[f"- {p}" for p in spec.pros],
            "",
            "**Cons**",
            "",
            *[f"- {c}" for c in spec.cons],
            "",
        ]
        params = _all_params(spec)
        if params:
            out += ["| parameter | default | valid range | meaning |", "|---|---|---|---|"]
            out += [
                f"| `{p.name}` | {markdown_cell(text_value(p.default))} | "
                f"{markdown_cell(p.range_text())} | {markdown_cell(p.help)} |"
                for p in params
            ]
            out.append("")
        if item.conventions:
            profiles = list(item.conventions[0].values)
            out += [
                "| setting | " + " | ".join(profiles) + " |",
                "|---|" + "---|" * len(profiles),
            ]
            for row in item.conventions:
                cells = [
                    "default" if v is None else markdown_cell(text_value(v))
                    for v in row.values.values()
                ]
                setting = markdown_cell(row.setting) + (" *" if row.differs else "")
                out.append(f"| {setting} | " + " | ".join(cells) + " |")
            out += ["", "\\* the profiles differ.", ""]
    return "\n".join(out).rstrip() + "\n"
