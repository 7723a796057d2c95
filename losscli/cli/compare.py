"""The `compare` command (being built)."""

from __future__ import annotations

from losscli.cli.common import handles_errors


@handles_errors
def compare() -> None:
    """Not built yet."""
    raise NotImplementedError("compare is not built yet")
