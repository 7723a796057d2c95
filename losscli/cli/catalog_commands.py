"""The ``list`` and ``explain`` commands (being built)."""

from __future__ import annotations

from losscli.cli.common import handles_errors


@handles_errors
def list_losses() -> None:
    """Not built yet."""
    raise NotImplementedError("list is not built yet")


@handles_errors
def explain() -> None:
    """Not built yet."""
    raise NotImplementedError("explain is not built yet")
