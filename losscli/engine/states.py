"""Chunk states: what every engine computes per chunk, and how the pieces combine.

An engine's work on one chunk (a slice of rows of one file, or one Dask partition)
is :func:`chunk_states`: for each requested loss, ``losscli.api.partial`` on the
chunk's arrays. Pieces combine with :func:`merge_pieces` (``losscli.api.merge`` per
loss, the sample counts added), which is associative and commutative, so the order
in which chunks, files or partitions arrive does not change the result beyond
floating-point rounding of the sums (torchmetrics' ``_update``/``_compute`` split).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from losscli import api
from losscli.losses.base import State


@dataclass
class Piece:
    """The merged states of some rows: one state per loss label, and the row count.

    Attributes:
        states: loss label (``"huber:delta=2.5"``) -> the mergeable state of that loss.
        n_samples: the number of rows the states cover.
        chunks: how many chunks were merged into this piece (reported by the engines).
    """

    states: dict[str, State] = field(default_factory=dict)
    n_samples: int = 0
    chunks: int = 0


def request_fields(request: Any) -> tuple[str, str, dict[str, Any]]:
    """``(label, loss name, params)`` of a loss request.

    Accepts helper objects with ``label``/``name``/``params`` attributes (the
    ``compute`` command's ``LossRequest``) and plain ``(label, name, params)`` tuples,
    which is what the tests and the Python API use.
    """
    if isinstance(request, tuple):
        label, name, params = request
        return label, name, dict(params)
    name = getattr(request, "name", None) or request.spec.name
    return request.label, name, dict(getattr(request, "params", {}) or {})


def chunk_states(
    arrays: Any,
    requests: Iterable[Any],
    *,
    convention: Any = "losscli",
    task: str | None = None,
) -> Piece:
    """The partial state of every requested loss on one chunk's arrays.

    Args:
        arrays: an object with ``y_true``, ``y_pred`` and optional ``weights`` and
            ``groups`` attributes (the layout's per-chunk arrays), or a mapping with
            those keys.
        requests: the losses to evaluate (see :func:`request_fields`).
        convention: a convention name or object, passed to ``api.partial``.
        task: the task whose form of a loss to use (``focal``).
    """
    get = arrays.get if isinstance(arrays, Mapping) else (lambda key: getattr(arrays, key, None))
    y_true, y_pred = get("y_true"), get("y_pred")
    weights, groups = get("weights"), get("groups")
    states: dict[str, State] = {}
    for request in requests:
        label, name, params = request_fields(request)
        states[label] = api.partial(
            name,
            y_true,
            y_pred,
            sample_weight=weights,
            groups=groups,
            convention=convention,
            task=task,
            **params,
        )
    n = len(y_true)
    return Piece(states=states, n_samples=n, chunks=1)


def merge_pieces(*pieces: Piece) -> Piece:
    """The piece of all the rows of ``pieces`` (states merged loss by loss)."""
    pieces = tuple(p for p in pieces if p.chunks)
    if not pieces:
        return Piece()
    labels = list(pieces[0].states)
    return Piece(
        states={label: api.merge(*(p.states[label] for p in pieces)) for label in labels},
        n_samples=sum(p.n_samples for p in pieces),
        chunks=sum(p.chunks for p in pieces),
    )


def finish_piece(
    piece: Piece,
    requests: Iterable[Any],
    *,
    convention: Any = "losscli",
    task: str | None = None,
    reduction: str = "mean",
) -> dict[str, float]:
    """The loss values of a merged piece, keyed by label."""
    values = {}
    for request in requests:
        label, name, params = request_fields(request)
        values[label] = api.finish(
            name,
            piece.states[label],
            reduction=reduction,
            convention=convention,
            task=task,
            **params,
        )
    return values
