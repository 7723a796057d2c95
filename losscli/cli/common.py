"""What every command shares: error mapping, output formats and shared options."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from enum import StrEnum
from typing import Annotated, Any, TypeVar

import typer

from losscli.errors import EXIT_INTERNAL, CheckFailed, LossCliError

F = TypeVar("F", bound=Callable[..., Any])


# Choices shared by compute, compare and recommend.
class TaskChoice(StrEnum):
    auto = "auto"
    regression = "regression"
    binary = "binary"
    multiclass = "multiclass"
    multilabel = "multilabel"
    segmentation = "segmentation"
    detection = "detection"
    sequence = "sequence"


class BoxFormat(StrEnum):
    xyxy = "xyxy"
    xywh = "xywh"
    cxcywh = "cxcywh"


class ConventionChoice(StrEnum):
    losscli = "losscli"
    keras = "keras"
    torch = "torch"
    sklearn = "sklearn"


class OutputFormat(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"
    markdown = "markdown"


def resolve_format(chosen: OutputFormat | None) -> OutputFormat:
    """The explicit ``--format``, else a table on a terminal and JSON in a pipe."""
    if chosen is not None:
        return chosen
    return OutputFormat.table if sys.stdout.isatty() else OutputFormat.json


def error_line(message: str) -> None:
    from losscli.render.console import clean

    sys.stderr.write(f"losscli: error: {clean(message)}\n")


def handles_errors(command: F) -> F:
    """Turn a user-fixable error into one line on stderr and its exit code; never a traceback."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except LossCliError as error:
            error_line(error.one_line())
            raise typer.Exit(error.exit_code) from None
        except CheckFailed as error:
            raise typer.Exit(error.exit_code) from None
        except (typer.Exit, typer.Abort, KeyboardInterrupt):
            raise
        except Exception as error:
            error_line(
                f"internal error: {type(error).__name__}: {error} "
                "(this is a bug in losscli; please report it with the command you ran)"
            )
            raise typer.Exit(EXIT_INTERNAL) from None

    return wrapper  # type: ignore[return-value]


def _disable_color(value: bool) -> None:
    if value:
        from losscli.render.console import disable_color

        disable_color()


#: ``--no-color`` on every command (``losscli compute … --no-color``), as well as
#: before the command name (``losscli --no-color compute …``) and ``NO_COLOR``.
NoColorOption = Annotated[
    bool,
    typer.Option(
        "--no-color",
        help="No colour in any output (NO_COLOR works too).",
        callback=_disable_color,
        is_eager=True,
    ),
]
