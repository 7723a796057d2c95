"""The ``list`` and ``explain`` commands: the loss catalogue, read from the registry."""

from __future__ import annotations

from typing import Annotated

import typer

from losscli.cli.common import (
    FormatOption,
    NoColorOption,
    OutputFormat,
    handles_errors,
    resolve_format,
)


@handles_errors
def list_losses(
    task: Annotated[
        str | None,
        typer.Option(
            "--task",
            "-t",
            help="Only the losses for this task: regression, binary, multiclass, multilabel, "
            "segmentation, detection or sequence.",
        ),
    ] = None,
    output_format: FormatOption = None,
    no_color: NoColorOption = False,
) -> None:
    """List the losses in the catalogue: name, aliases, task, activation, robustness, parameters.

    Examples:

    \b
      losscli list
      losscli list --task binary
      losscli list --format json | jq -r '.losses[].name'
    """
    import sys

    from losscli import registry
    from losscli.errors import ParameterError
    from losscli.render import catalog
    from losscli.render.console import stdout_console

    specs = registry.all_specs()
    if task is not None:
        chosen = task.strip().lower()
        if chosen not in registry.TASKS:
            raise ParameterError(
                f"unknown task {task!r}; choose one of {', '.join(registry.TASKS)}"
            )
        specs = registry.specs_for_task(chosen)
    fmt = resolve_format(output_format)
    if fmt is OutputFormat.json:
        sys.stdout.write(catalog.list_json(specs))
    elif fmt is OutputFormat.csv:
        sys.stdout.write(catalog.list_csv(specs))
    elif fmt is OutputFormat.markdown:
        sys.stdout.write(catalog.list_markdown(specs))
    else:
        title = f"losses for {task}" if task else f"{len(specs)} losses"
        stdout_console().print(catalog.list_table(specs, title=title))


def _lookup(text: str):  # -> tuple[LossSpec, dict[str, object]]
    """``NAME[:key=value,...]`` -> (spec, resolved params); unknown names list the nearest."""
    import difflib

    from losscli import registry
    from losscli.errors import ParameterError

    try:
        spec, given = registry.parse_loss_option(text)
    except ParameterError as error:
        if not error.message.startswith("unknown loss") or "did you mean" in error.message:
            raise
        name = registry.normalise_name(text.partition(":")[0])
        known = [s.name for s in registry.all_specs()]
        nearest = difflib.get_close_matches(name, known, n=3, cutoff=0.0)
        hint = f"; nearest: {', '.join(nearest)}" if nearest else ""
        raise ParameterError(f"unknown loss {name!r}{hint} (see 'losscli list')") from None
    return spec, spec.resolve_params(given)


@handles_errors
def explain(
    names: Annotated[
        list[str],
        typer.Argument(
            help="Loss names or aliases, optionally with parameters (huber:delta=2). "
            "Several names overlay their plots.",
            show_default=False,
            metavar="NAME[:key=value,...]",
        ),
    ],
    output_format: FormatOption = None,
    no_color: NoColorOption = False,
    plot: Annotated[
        bool, typer.Option("--plot/--no-plot", help="Draw the loss and gradient plots.")
    ] = True,
) -> None:
    """Explain a loss: formula, activation, parameters, when to use it, pros and cons,
    how the keras/torch/sklearn conventions differ, and a plot of the loss and its gradient.

    Examples:

    \b
      losscli explain huber
      losscli explain mse mae huber:delta=0.5
      losscli explain log_loss --format markdown
    """
    import sys

    from losscli import registry
    from losscli.errors import ParameterError
    from losscli.render import catalog, plots
    from losscli.render.console import stdout_console

    fmt = resolve_format(output_format)
    if fmt is OutputFormat.csv:
        raise ParameterError("explain has no CSV form; use --format table, json or markdown")
    items: list[catalog.Explanation] = []
    for text in names:
        spec, params = _lookup(text)
        label = registry.loss_label(spec.name, params, spec)
        item = catalog.Explanation(spec, label, params, conventions=catalog.convention_rows(spec))
        try:
            item.curve = plots.loss_curve(spec, params, label=label)
        except plots.CurveUnavailable as reason:
            item.plot_note = str(reason)
        items.append(item)
    curves = [item.curve for item in items if item.curve is not None]
    if fmt is OutputFormat.json:
        sys.stdout.write(catalog.explain_json(items))
        return
    if fmt is OutputFormat.markdown:
        text = catalog.explain_markdown(items)
        if plot and curves:
            text += "\n" + plots.plain_text(plots.curve_plots(curves)) + "\n"
        sys.stdout.write(text)
        return
    console = stdout_console()
    for index, item in enumerate(items):
        if index:
            console.print()
        console.print(catalog.explain_renderable(item))
    if plot:
        for figure in plots.curve_plots(curves):
            console.print()
            console.print(figure)
