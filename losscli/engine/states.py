"""Pieces: the merged state of some chunks, and what an engine computes per chunk.

An engine turns each chunk (a slice of rows of one file, or one Dask partition)
into a mergeable state with a *chunk-state function*, and adds the states up with
``losscli.api.merge`` (sums add, per-group and per-slice tables merge key by key).
The merge is associative and commutative, so the order in which chunks, files or
partitions arrive does not change the result beyond the rounding of the sums
(torchmetrics' ``_update``/``_compute`` split).

The chunk-state function of the ``compute`` command is :class:`LossStates`, which
calls :func:`losscli.evaluation.partial_states` (the same function the in-memory
path runs on its one chunk); its merged state is finished with
:func:`losscli.evaluation.finish_states`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from losscli import api
from losscli.losses.base import State


@dataclass
class Piece:
    """The merged state of some chunks.

    Attributes:
        state: the merged chunk states (for :class:`LossStates`, ``{"n": rows, "losses":
            {label: state}, ...}``); empty before the first chunk.
        rows: the number of rows the state covers.
        chunks: how many chunk states were merged into it.
    """

    state: State = field(default_factory=dict)
    rows: int = 0
    chunks: int = 0


def merge_pieces(*pieces: Piece) -> Piece:
    """The piece of all the rows of ``pieces`` (``losscli.api.merge`` of their states)."""
    pieces = tuple(p for p in pieces if p.chunks)
    if not pieces:
        return Piece()
    return Piece(
        state=api.merge(*(p.state for p in pieces)),
        rows=sum(p.rows for p in pieces),
        chunks=sum(p.chunks for p in pieces),
    )


class LossStates:
    """The chunk-state function of ``compute``: ``partial_states`` of every request.

    A plain class (not a closure) so that Dask can ship it to worker processes; the
    convention travels by name.
    """

    def __init__(
        self,
        requests: Sequence[Any],
        *,
        convention: Any = "losscli",
        per_output: bool = False,
        by_slice: bool = False,
    ) -> None:
        self.requests = list(requests)
        self.convention = getattr(convention, "name", convention)
        self.per_output = per_output
        self.by_slice = by_slice

    def __call__(self, layout: Any) -> State:
        from losscli.evaluation import partial_states

        return partial_states(
            layout,
            self.requests,
            convention=self.convention,
            per_output=self.per_output,
            by_slice=self.by_slice,
        )

    def finish(self, piece: Piece, plan: Any) -> Any:
        """The :class:`losscli.evaluation.Evaluation` of a merged piece."""
        from losscli.evaluation import finish_states

        return finish_states(
            piece.state,
            self.requests,
            convention=self.convention,
            task=plan.task,
            output_names=getattr(plan, "target_columns", ()),
        )
