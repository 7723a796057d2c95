"""Detection losses."""

from __future__ import annotations

from losscli.registry import LossSpec

SPECS: tuple[LossSpec, ...] = ()
