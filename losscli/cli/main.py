"""The ``losscli`` application: commands are registered here, errors mapped to exit codes.

Imports stay light (no NumPy, pandas or polars) so that ``--help`` starts fast;
each command imports what it needs when it runs.
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from losscli import __version__
from losscli.errors import EXIT_BROKEN_PIPE, EXIT_INTERNAL, CheckFailed, LossCliError

app = typer.Typer(
    name="losscli",
    help="Compute loss values from files of targets and predictions, choose a loss from "
    "the data, and gate models in CI.",
    no_args_is_help=True,
    # Plain help: Typer's Rich help imports rich.markdown and markdown-it (~50 ms), which
    # would make `losscli --help` 2.5x `import typer` (issue 6 asks for at most 2x).
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"losscli {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Show the version."),
    ] = False,
    no_color: Annotated[
        bool, typer.Option("--no-color", help="No colour in any output (NO_COLOR works too).")
    ] = False,
) -> None:
    """losscli: loss values you can trust, and the loss to choose."""
    if no_color:
        from losscli.render.console import disable_color

        disable_color()


def _register() -> None:
    # Command modules import only Typer at module level; their work imports the rest.
    from losscli.cli import catalog_commands, compare, compute, recommend

    app.command("compute")(compute.compute)
    app.command("recommend")(recommend.recommend)
    app.command("list")(catalog_commands.list_losses)
    app.command("explain")(catalog_commands.explain)
    app.command("compare")(compare.compare)


_register()


def _fail(message: str, code: int) -> None:
    from losscli.render.console import clean

    sys.stderr.write(f"losscli: error: {clean(message)}\n")
    sys.exit(code)


def run() -> None:
    """Entry point of the console script: no traceback for anything a user can fix.

    A closed stdout (``losscli … | head -1``) exits quietly with 141 (128 + SIGPIPE), also
    when the pipe breaks only at the final flush of buffered output.
    """
    code: int | str | None = 0
    try:
        app(standalone_mode=True)
    except SystemExit as done:
        code = done.code
    except LossCliError as error:
        _fail(error.one_line(), error.exit_code)
    except CheckFailed as error:
        sys.exit(error.exit_code)
    except KeyboardInterrupt:
        _fail("interrupted", 130)
    except BrokenPipeError:
        code = EXIT_BROKEN_PIPE
    except Exception as error:  # the last resort: exit 70 with a hint, never a traceback
        _fail(
            f"internal error: {type(error).__name__}: {error} "
            "(this is a bug in losscli; please report it with the command you ran)",
            EXIT_INTERNAL,
        )
    try:
        # Flush here, not at interpreter exit, where EPIPE would print "Exception ignored".
        sys.stdout.flush()
    except BrokenPipeError:
        code = EXIT_BROKEN_PIPE
    if code == EXIT_BROKEN_PIPE:
        from losscli.cli.common import silence_stdout

        silence_stdout()
    sys.exit(code)
