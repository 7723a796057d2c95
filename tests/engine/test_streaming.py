"""Streaming evaluation equals in-memory evaluation, for every loss of the registry."""

from __future__ import annotations

import numpy as np
import pytest

from losscli import api, registry
from losscli.engine.streaming import default_chunk_rows, stream_evaluate, whole_groups
from losscli.errors import LossCliError
from losscli.io import Table
from tests.engine.helpers import ApiStates, ArrayPlan, ArrayReader, inputs_for, split_rows

RELATIVE = 1e-12


def _cases() -> list[tuple[str, str]]:
    return [(spec.name, task) for spec in registry.all_specs() for task in spec.tasks]


def _expected(name: str, task: str, data: dict) -> float:
    try:
        return api.loss(
            name,
            data["y_true"],
            data["y_pred"],
            sample_weight=data["weights"],
            groups=data["groups"],
            task=task,
        )
    except LossCliError as error:  # the generated layout does not fit this loss form
        pytest.skip(f"{name}/{task}: no generated layout fits ({error})")


def _close(got: float, expected: float) -> bool:
    return abs(got - expected) <= RELATIVE * max(abs(expected), 1e-300) or got == expected


@pytest.mark.parametrize(("name", "task"), _cases())
@pytest.mark.parametrize("chunk_rows", [7, 64])
def test_streaming_equals_in_memory_for_every_loss(name, task, chunk_rows):
    spec = registry.get(name).for_task(task)
    data = inputs_for(spec.target, task, loss=name)
    expected = _expected(name, task, data)
    reader = ArrayReader({"data": data})
    states = ApiStates([name], task)
    piece = stream_evaluate(
        ["data"], ArrayPlan(data), states, chunk_rows=chunk_rows, reader=reader, show_progress=False
    )
    got = states.finish(piece.state)[name]
    assert len(reader.chunk_sizes) > 1  # really chunked
    assert piece.rows == len(data["y_true"])
    assert _close(got, expected), (got, expected)


@pytest.mark.parametrize(("name", "task"), _cases())
def test_glob_of_files_equals_concatenation(name, task):
    spec = registry.get(name).for_task(task)
    data = inputs_for(spec.target, task, seed=3, loss=name)
    expected = _expected(name, task, data)
    # cuts that fall inside groups too (groups are 5..30 rows long)
    files = dict(zip(["a", "b", "c"], split_rows(data, [53, 170]), strict=True))
    states = ApiStates([name], task)
    piece = stream_evaluate(
        ["a", "b", "c"],
        ArrayPlan(data),
        states,
        chunk_rows=40,
        reader=ArrayReader(files),
        show_progress=False,
    )
    got = states.finish(piece.state)[name]
    assert _close(got, expected), (got, expected)


def test_several_losses_with_parameters_in_one_pass():
    data = inputs_for("values", "regression", seed=5)
    states = ApiStates(["mse", "huber"], huber={"delta": 0.5})
    piece = stream_evaluate(
        ["d"],
        ArrayPlan(data),
        states,
        chunk_rows=11,
        reader=ArrayReader({"d": data}),
        show_progress=False,
    )
    values = states.finish(piece.state)
    # Independent: the textbook formulas on all rows at once.
    w, d = data["weights"], data["y_pred"] - data["y_true"]
    mse = np.sum(w * d**2) / np.sum(w)
    a = np.abs(d)
    huber = np.sum(w * np.where(a <= 0.5, 0.5 * d**2, 0.5 * (a - 0.25))) / np.sum(w)
    assert values["mse"] == pytest.approx(mse, rel=1e-12)
    assert values["huber"] == pytest.approx(huber, rel=1e-12)
    assert piece.chunks == 22


def _tables(columns: dict[str, np.ndarray], bounds: list[tuple[int, int]]) -> list[Table]:
    return [
        Table(name="t", columns={k: v[a:b] for k, v in columns.items()}, first_line=2 + a)
        for a, b in bounds
    ]


def test_whole_groups_never_splits_a_group():
    groups = np.array([0, 0, 0, 1, 1, 2, 2, 2, 2, 2, 2, 3])
    chunks = _tables({"v": np.arange(12.0), "g": groups}, [(0, 2), (2, 4), (4, 6), (6, 8), (8, 12)])
    out = list(whole_groups(iter(chunks), "g", max_carry_rows=100))
    assert [list(t.column("g")) for t in out] == [[0, 0, 0], [1, 1], [2, 2, 2, 2, 2, 2], [3]]
    assert np.array_equal(np.concatenate([t.column("v") for t in out]), np.arange(12.0))
    # the file lines follow the rows (for error messages)
    assert [t.line_of(0) for t in out] == [2, 5, 7, 13]


def test_whole_groups_passes_a_group_longer_than_the_cap_split():
    chunks = _tables({"v": np.zeros(12), "g": np.zeros(12, int)}, [(0, 3), (3, 6), (6, 9), (9, 12)])
    out = list(whole_groups(iter(chunks), "g", max_carry_rows=5))
    assert sum(t.n_rows for t in out) == 12
    assert max(t.n_rows for t in out) <= 6


def test_whole_groups_joins_text_and_number_ids():
    a = Table(name="t", columns={"g": np.array(["x", "y"], dtype=object)})
    b = Table(name="t", columns={"g": np.array([3.0, 3.0, 4.0])}, first_line=4)
    c = Table(name="t", columns={"g": np.array(["z"], dtype=object)}, first_line=7)
    out = list(whole_groups(iter([a, b, c]), "g", max_carry_rows=10))
    # a chunk may hold several groups; only the trailing one is carried over
    assert [list(t.column("g")) for t in out] == [["x"], ["y", 3.0, 3.0], [4.0], ["z"]]


def test_no_rows_is_an_error():
    empty = {"y_true": np.zeros(0), "y_pred": np.zeros(0), "weights": None, "groups": None}
    with pytest.raises(LossCliError, match="no data rows"):
        stream_evaluate(
            ["e"],
            ArrayPlan(empty),
            ApiStates(["mse"]),
            chunk_rows=5,
            reader=ArrayReader({"e": empty}),
            show_progress=False,
        )


def test_default_chunk_rows_scale_with_columns():
    assert default_chunk_rows(2) == 1 << 18
    assert default_chunk_rows(1000) == 8 * 1024  # the floor
