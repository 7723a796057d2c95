"""The `compute` command (being built)."""

from __future__ import annotations

from losscli.cli.common import handles_errors


@handles_errors
def compute() -> None:
    """Not built yet."""
    raise NotImplementedError("compute is not built yet")
