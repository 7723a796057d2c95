"""The Dask engine on an in-process two-worker cluster equals the single-machine path."""

from __future__ import annotations

import builtins
import logging

import numpy as np
import pytest

from losscli import api, registry
from losscli.engine import dask_engine
from losscli.engine.streaming import stream_evaluate
from tests.engine.helpers import ApiStates, ArrayPlan, ArrayReader, inputs_for, split_rows

pytest.importorskip("distributed")

# One loss per family, the grouped ones included (per-group states merge per group).
LOSSES = [
    ("huber", "regression"),
    ("bce", "binary"),
    ("sparse_cce", "multiclass"),
    ("dice", "segmentation"),
    ("giou", "detection"),
    ("sequence_ce", "sequence"),
    ("ctc", "sequence"),
]


@pytest.fixture(scope="module")
def client():
    from distributed import Client, LocalCluster

    with (
        LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=False,
            dashboard_address=None,
            silence_logs=logging.ERROR,
        ) as cluster,
        Client(cluster) as dask_client,
    ):
        yield dask_client


@pytest.mark.parametrize(("name", "task"), LOSSES)
def test_dask_equals_single_machine(client, name, task):
    data = inputs_for(registry.get(name).for_task(task).target, task, seed=11, loss=name)
    # group-aligned file cuts, as a partitioned dataset would be (CTC needs whole sequences)
    groups = data["groups"]
    cuts = [60, 130, 200]
    if groups is not None:
        cuts = [int(np.searchsorted(groups, groups[c])) for c in cuts]
    paths = ["p0", "p1", "p2", "p3"]
    reader = ArrayReader(dict(zip(paths, split_rows(data, cuts), strict=True)))
    states = ApiStates([name], task)
    piece = dask_engine.dask_evaluate(
        paths, ArrayPlan(data), states, chunk_rows=16, client=client, reader=reader
    )
    got = states.finish(piece.state)[name]
    in_memory = api.loss(
        name,
        data["y_true"],
        data["y_pred"],
        sample_weight=data["weights"],
        groups=data["groups"],
        task=task,
    )
    streamed = states.finish(
        stream_evaluate(
            paths, ArrayPlan(data), states, chunk_rows=16, reader=reader, show_progress=False
        ).state
    )[name]
    assert piece.rows == len(data["y_true"])
    assert piece.chunks >= 4
    assert got == pytest.approx(in_memory, rel=1e-12)
    assert got == pytest.approx(streamed, rel=1e-12)


def test_the_merge_is_a_tree(client):
    data = inputs_for("values", "regression", seed=2)
    cuts = list(range(10, 240, 10))  # 24 files: three levels of fan-in 8
    paths = [f"f{i}" for i in range(len(cuts) + 1)]
    reader = ArrayReader(dict(zip(paths, split_rows(data, cuts), strict=True)))
    states = ApiStates(["mse"])
    graph = dask_engine.build_graph(paths, ArrayPlan(data), states, reader=reader)
    keys = set(graph.dask.keys())
    assert sum(str(k).startswith("losscli-merge-1-") for k in keys) == 3
    assert sum(str(k).startswith("losscli-merge-2-") for k in keys) == 1
    piece = client.compute(graph).result()
    w, d = data["weights"], data["y_pred"] - data["y_true"]
    assert states.finish(piece.state)["mse"] == pytest.approx(
        np.sum(w * d * d) / np.sum(w), rel=1e-12
    )


def test_dask_not_installed_says_how_to_install(monkeypatch):
    real_import = builtins.__import__

    def no_dask(name, *args, **kwargs):
        if name == "distributed" or name.startswith(("dask", "distributed.")):
            raise ImportError(f"No module named {name!r}", name=name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_dask)
    with pytest.raises(dask_engine.DaskMissing) as caught:
        dask_engine.dask_evaluate(["x.csv"], ArrayPlan(), ApiStates(["mse"]))
    error = caught.value
    assert error.exit_code == 2
    assert "pip install 'losscli[dask]'" in error.one_line()
    assert "--engine dask" in error.one_line()


def test_unreachable_scheduler_is_a_usage_error():
    from losscli.errors import InputError

    with (
        pytest.raises(InputError, match="cannot reach the Dask scheduler"),
        dask_engine._client("tcp://127.0.0.1:1", timeout=1),
    ):
        pass
