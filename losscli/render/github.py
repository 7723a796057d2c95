"""GitHub Actions output: the step summary (``--summary``) and annotations (``--annotate``).

Workflow commands are single lines, ``::error title=T::message``; GitHub decodes the
percent-escapes below, so a message (which may hold column names or labels from the
data) can neither break the line nor start a second command. Source: the
``@actions/core`` toolkit, ``src/command.ts`` (``escapeData``, ``escapeProperty``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

SUMMARY_VARIABLE = "GITHUB_STEP_SUMMARY"


def escape_data(text: str) -> str:
    """A workflow-command message: ``%``, CR and LF percent-encoded."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """A workflow-command property value: also ``:`` and ``,`` encoded."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def annotation(level: str, message: str, *, title: str = "losscli") -> str:
    """One ``::error``/``::warning`` line with its message and title escaped."""
    if level not in ("error", "warning", "notice"):
        raise ValueError(f"unknown annotation level {level!r}")
    return f"::{level} title={escape_property(title)}::{escape_data(message)}"


def annotation_lines(failed_checks: Iterable[Any]) -> list[str]:
    """An ``::error::`` line per failed ``--fail-if`` check."""
    return [
        annotation("error", result.message(), title="losscli check") for result in failed_checks
    ]


def append_summary(markdown: str, environ: Mapping[str, str]) -> bool:
    """Append ``markdown`` to the file ``$GITHUB_STEP_SUMMARY`` names.

    Appending (not replacing) is what the step summary expects: several steps, or
    several commands of one step, add to the same file. Returns False when the
    variable is not set.

    Raises:
        InputError: the file cannot be written.
    """
    from losscli.errors import InputError

    path = environ.get(SUMMARY_VARIABLE)
    if not path:
        return False
    try:
        with open(path, "a", encoding="utf-8") as stream:
            stream.write(markdown if markdown.endswith("\n") else markdown + "\n")
            stream.write("\n")
    except OSError as error:
        raise InputError(
            f"cannot append the summary: {error.strerror or error}", file=path
        ) from None
    return True
