"""The `recommend` command (being built)."""

from __future__ import annotations

from losscli.cli.common import handles_errors


@handles_errors
def recommend() -> None:
    """Not built yet."""
    raise NotImplementedError("recommend is not built yet")
