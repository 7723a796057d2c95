"""Data for the engine tests: inputs for every target kind, and a reader over arrays.

The engine tests check that chunked evaluation equals ``losscli.api.loss`` on all
rows, so the data only has to be valid for each loss; it is seeded and small.
"""

from __future__ import annotations

import itertools
from types import SimpleNamespace

import numpy as np

from losscli import api
from losscli.io import Table

N_ROWS = 240
N_CLASSES = 4


def _groups(rng: np.random.Generator, n: int) -> np.ndarray:
    """Contiguous group ids (images, sequences) of 5 to 30 rows each."""
    lengths = rng.integers(5, 31, size=n)
    ids = np.repeat(np.arange(lengths.size), lengths)[:n]
    return ids.astype(np.int64)


def _distribution(rng: np.random.Generator, n: int, k: int) -> np.ndarray:
    return rng.dirichlet(np.ones(k), size=n)


def inputs_for(
    target: str, task: str, seed: int = 0, loss: str = ""
) -> dict[str, np.ndarray | None]:
    """``y_true``, ``y_pred``, ``weights`` and ``groups`` valid for a loss's target kind.

    CTC reads its label from the non-blank (non-0) tokens and takes the weights as a
    0/1 frame mask, so two rows in three are blank and its weights all 1.
    """
    rng = np.random.default_rng(seed)
    n, k = N_ROWS, N_CLASSES
    groups = None
    if target == "values":
        y = rng.uniform(0.5, 3.0, size=n)
        p = rng.uniform(0.5, 3.0, size=n)
    elif target == "binary" and task == "multiclass":
        y = rng.integers(0, k, size=n).astype(np.float64)
        p = _distribution(rng, n, k)
    elif target == "binary":
        shape = (n, 3) if task == "multilabel" else (n,)
        y = rng.integers(0, 2, size=shape).astype(np.float64)
        p = rng.uniform(0.05, 0.95, size=shape)
    elif target == "labels":
        y = rng.integers(0, k, size=n).astype(np.float64)
        p = _distribution(rng, n, k)
    elif target == "distribution":
        y = np.eye(k)[rng.integers(0, k, size=n)]
        p = _distribution(rng, n, k)
    elif target == "mask":
        y = rng.integers(0, 2, size=n).astype(np.float64)
        p = rng.uniform(0.05, 0.95, size=n)
        groups = _groups(rng, n)
    elif target == "boxes":
        corner = rng.uniform(0, 50, size=(n, 2))
        size = rng.uniform(5, 20, size=(n, 2))
        y = np.hstack([corner, corner + size])
        jitter = rng.normal(0, 3, size=(n, 2))
        p = np.hstack([corner + jitter, corner + jitter + size * rng.uniform(0.7, 1.3, (n, 2))])
    elif target == "tokens":
        y = rng.integers(1, k, size=n).astype(np.float64)
        if loss == "ctc":  # a label at most a third of its frames: every other row blank
            y[np.arange(n) % 3 != 0] = 0.0
        p = _distribution(rng, n, k)
        groups = _groups(rng, n)
    else:  # pragma: no cover - a new target kind needs data here
        raise AssertionError(f"no test data for target kind {target!r}")
    weights = np.ones(n) if loss == "ctc" else rng.uniform(0.2, 2.0, size=n)
    return {"y_true": y, "y_pred": p, "weights": weights, "groups": groups}


class ArrayPlan:
    """A layout plan over :class:`ArrayReader` tables: the columns are the arrays."""

    columns = ("y_true", "y_pred", "weights", "groups")

    def __init__(self, data: dict | None = None) -> None:
        # like a real plan's ``--group``: set when the data has group ids
        grouped = data is not None and data.get("groups") is not None
        self.group_column = "groups" if grouped else None

    def arrays(self, table: Table) -> SimpleNamespace:
        return SimpleNamespace(**{name: table.columns.get(name) for name in self.columns})


class ArrayReader:
    """``reader(path, columns=, chunk_rows=)`` over in-memory "files" of arrays, yielding
    ``losscli.io.Table`` chunks (``y_pred`` may be a 2-D column: tables only slice it)."""

    def __init__(self, files: dict[str, dict[str, np.ndarray | None]]) -> None:
        self.files = files
        self.chunk_sizes: list[int] = []

    def __call__(self, path: str, *, columns, chunk_rows: int, **options):
        data = {k: v for k, v in self.files[path].items() if v is not None}
        n = len(data["y_true"])
        for start in range(0, n, chunk_rows):
            cut = {name: value[start : start + chunk_rows] for name, value in data.items()}
            self.chunk_sizes.append(len(cut["y_true"]))
            yield Table(name=path, columns=cut, first_line=2 + start)


def split_rows(data: dict[str, np.ndarray | None], cuts: list[int]) -> list[dict]:
    """``data`` cut into several "files" at the row indices ``cuts``."""
    bounds = [0, *cuts, len(data["y_true"])]
    return [
        {k: (None if v is None else v[a:b]) for k, v in data.items()}
        for a, b in itertools.pairwise(bounds)
    ]


class ApiStates:
    """A chunk-state function over generic arrays: ``losscli.api.partial`` per loss.

    (``compute`` uses :class:`losscli.engine.states.LossStates` over real layouts; these
    tests drive the engines' chunking and merging with every loss of the registry.)
    """

    def __init__(self, names: list[str], task: str | None = None, **params) -> None:
        self.names = names
        self.task = task
        self.params = params

    def __call__(self, arrays: SimpleNamespace) -> dict:
        return {
            name: api.partial(
                name,
                arrays.y_true,
                arrays.y_pred,
                sample_weight=arrays.weights,
                groups=arrays.groups,
                task=self.task,
                **self.params.get(name, {}),
            )
            for name in self.names
        }

    def finish(self, state: dict) -> dict[str, float]:
        return {
            name: api.finish(name, state[name], task=self.task, **self.params.get(name, {}))
            for name in self.names
        }
