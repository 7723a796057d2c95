"""What every command shares: error mapping, output formats and shared options."""

from __future__ import annotations

import functools
import os
import sys
import warnings
from collections.abc import Callable
from enum import StrEnum
from typing import Annotated, Any, TypeVar

import typer

from losscli.errors import EXIT_BROKEN_PIPE, EXIT_INTERNAL, CheckFailed, LossCliError

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


#: ``--format/-f`` for the commands that write all four formats.
FormatOption = Annotated[
    OutputFormat | None,
    typer.Option(
        "--format",
        "-f",
        help="table (default on a terminal), json (default in a pipe), csv or markdown.",
        case_sensitive=False,
        show_default=False,
    ),
]


#: The CI options of ``compute`` and ``compare`` (SPEC §6).
ExitZeroOption = Annotated[
    bool, typer.Option("--exit-zero", help="Report failed checks but exit 0.")
]
SummaryOption = Annotated[
    bool,
    typer.Option("--summary", help="Append the Markdown report to $GITHUB_STEP_SUMMARY."),
]
AnnotateOption = Annotated[
    bool,
    typer.Option("--annotate", help="GitHub ::error:: lines on stderr for failed checks."),
]


def resolve_format(chosen: OutputFormat | None) -> OutputFormat:
    """The explicit ``--format``, else a table on a terminal and JSON in a pipe."""
    if chosen is not None:
        return chosen
    return OutputFormat.table if sys.stdout.isatty() else OutputFormat.json


def error_line(message: str) -> None:
    from losscli.render.console import clean

    sys.stderr.write(f"losscli: error: {clean(message)}\n")


def silence_stdout() -> None:
    """After EPIPE (the reader of stdout went away, ``| head -1``): point file descriptor 1
    at /dev/null so that the flush at interpreter exit cannot raise again (the Python
    docs' note on SIGPIPE). A stdout without a file descriptor (CliRunner) is left alone."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass  # io.UnsupportedOperation is an OSError and a ValueError


_NUMPY_FP = r"(overflow|underflow|invalid value|divide by zero) encountered"


def _one_line_warning(
    message: Warning | str,
    category: type[Warning],
    filename: str,
    lineno: int,
    file: Any = None,
    line: str | None = None,
) -> None:
    # A Python warning that escapes the evaluation path (a library's RuntimeWarning) is
    # one line without source file or code, like losscli's own warnings.
    from losscli.render.console import warn

    warn(str(message).splitlines()[0] if str(message) else category.__name__)


def handles_errors(command: F) -> F:
    """Turn a user-fixable error into one line on stderr and its exit code; never a traceback.

    A closed stdout (``losscli … | head -1``) ends the command quietly with exit code
    141 (128 + SIGPIPE, what ``cat`` or ``seq`` give in the same pipe): not 0, since the
    output was cut short and a ``--fail-if`` result may not have been seen.
    """

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            with warnings.catch_warnings():
                warnings.showwarning = _one_line_warning
                # NumPy's floating-point warnings ("overflow encountered in square") say
                # nothing a user can act on: a non-finite loss is reported by the
                # evaluation itself (an error naming the loss), not by NumPy.
                warnings.filterwarnings("ignore", message=_NUMPY_FP, category=RuntimeWarning)
                return command(*args, **kwargs)
        except BrokenPipeError:
            silence_stdout()
            raise typer.Exit(EXIT_BROKEN_PIPE) from None
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
