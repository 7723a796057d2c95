"""The two Rich consoles (stdout for results, stderr for diagnostics) and safe text.

Text that comes from the input (column names, labels) goes through :func:`literal`
before it reaches Rich, so it can neither open Rich markup nor carry terminal
escape sequences.
"""

from __future__ import annotations

import os
import re
import sys
from functools import cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.console import Console
    from rich.text import Text

# Rich is imported on first use (~17 ms of start-up, measured 2026-11-23): a command whose
# stderr is not a terminal writes its one-line diagnostics as plain text (plain_line).

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_settings = {"no_color": False}


def disable_color() -> None:
    """``--no-color``: no colour on either console from here on."""
    _settings["no_color"] = True
    stdout_console.cache_clear()
    stderr_console.cache_clear()


def _no_color() -> bool:
    return _settings["no_color"] or "NO_COLOR" in os.environ


@cache
def _console_class() -> type[Console]:
    from rich.console import Console

    class _Console(Console):
        def on_broken_pipe(self) -> None:
            # Rich's own handler exits with code 1; let the command's handler end quietly
            # with the code of a closed pipe instead (losscli.cli.common.handles_errors).
            self.quiet = True
            raise BrokenPipeError

    return _Console


@cache
def stdout_console() -> Console:
    # no file=: Rich then writes to whatever sys.stdout is at print time (CliRunner swaps it)
    return _console_class()(no_color=_no_color(), highlight=False, soft_wrap=False)


@cache
def stderr_console() -> Console:
    return _console_class()(no_color=_no_color(), highlight=False, stderr=True)


# Environment variables with which Rich treats a non-terminal as a terminal (colour, links).
_RICH_TERMINAL_ENV = ("FORCE_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE", "JUPYTER_COLUMNS")


def plain_line(label: str, message: str) -> bool:
    """Write ``label`` + ``clean(message)`` as one stderr line without Rich, when Rich would
    write exactly that: stderr is not a terminal (no styles), nothing forces terminal mode,
    and the text has no tab or newline (Rich expands tabs). Returns False when the caller
    must print through Rich instead."""
    text = label + clean(message)
    stream = sys.stderr
    if "\t" in text or "\n" in text or any(name in os.environ for name in _RICH_TERMINAL_ENV):
        return False
    try:
        if stream.isatty():
            return False
    except (AttributeError, ValueError):
        return False
    stream.write(text + "\n")
    return True


def clean(text: object) -> str:
    """``text`` with control characters (ESC, CR, …) shown as ``\\xNN`` escapes."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", str(text))


def literal(text: object, style: str = "") -> Text:
    """A Rich ``Text`` that shows ``text`` exactly: no markup, no control characters."""
    from rich.text import Text

    return Text(clean(text), style=style)


def stdout_is_terminal() -> bool:
    return sys.stdout.isatty()


def warn(message: str) -> None:
    """A one-line warning on stderr."""
    if plain_line("warning: ", message):
        return
    from rich.text import Text

    # soft_wrap: a warning stays one line (greppable) whatever the terminal width.
    stderr_console().print(Text.assemble(("warning: ", "yellow"), clean(message)), soft_wrap=True)
