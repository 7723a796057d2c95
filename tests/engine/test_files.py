"""The engines on real files: reader -> layout plan -> partial_states -> merge -> finish.

The in-memory path (``losscli.evaluation.evaluate`` on the whole table) is the
reference; the engines must agree with it to 1e-12 relative, on chunk sizes that
split groups and slices, over globs, gzip and Parquet.
"""

from __future__ import annotations

import gzip
import logging

import numpy as np
import pytest

from losscli import engine
from losscli.evaluation import evaluate, resolve_requests
from losscli.io import expand_paths, read_header, read_table
from losscli.layout import LayoutOptions, plan_layout, resolve_roles

RELATIVE = 1e-12


def _write_csv(path, columns: dict[str, np.ndarray]) -> None:
    names = list(columns)
    rows = zip(*(columns[n] for n in names), strict=True)
    text = ",".join(names) + "\n" + "".join(",".join(map(_text, r)) + "\n" for r in rows)
    if str(path).endswith(".gz"):
        with gzip.open(path, "wt") as handle:
            handle.write(text)
    else:
        path.write_text(text)


def _text(value) -> str:
    """A CSV field: floats at full precision (repr round-trips), anything else as text."""
    return repr(float(value)) if isinstance(value, float | np.floating) else str(value)


def _regression(n: int, seed: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    y = rng.normal(size=n)
    return {"y_true": y, "y_pred": y + rng.normal(scale=0.7, size=n), "w": rng.uniform(0, 2, n)}


def _plan_and_reference(paths, losses, *, task="auto", **role_options):
    """The plan from the concatenated tables, and the in-memory evaluation."""
    import losscli.io as io

    tables = [read_table(p) for p in paths]
    whole = io.concat_tables(tables) if len(tables) > 1 else tables[0]
    roles = resolve_roles([read_header(paths[0])], [paths[0]], **role_options)
    plan = plan_layout(roles, [whole], LayoutOptions(task=task))
    requests, _ = resolve_requests(losses, plan.task)
    return plan, requests, evaluate(plan.arrays(whole), requests, by_slice=True)


def _assert_same(got, expected) -> None:
    assert got.n_samples == expected.n_samples
    for g, e in zip(got.results, expected.results, strict=True):
        assert g.label == e.label
        assert g.value == pytest.approx(e.value, rel=RELATIVE), g.label
    assert got.slice_sizes == expected.slice_sizes
    for key, results in expected.slices.items():
        for g, e in zip(got.slices[key], results, strict=True):
            assert g.value == pytest.approx(e.value, rel=RELATIVE), (key, g.label)


def test_streaming_a_csv_in_many_chunks_equals_in_memory(tmp_path):
    path = tmp_path / "reg.csv"
    data = _regression(1000, 1)
    data["slice"] = np.array(["a", "b", "c"])[np.arange(1000) % 3]
    _write_csv(path, data)
    plan, requests, expected = _plan_and_reference(
        [str(path)], ["mse", "mae", "huber:delta=0.5"], weight="w", group_by="slice"
    )
    got = engine.evaluate_files(
        [str(path)], plan, requests, chunk_rows=37, by_slice=True, show_progress=False
    )
    _assert_same(got, expected)
    # and independently of the library: the weighted MSE by its formula
    d, w = data["y_pred"] - data["y_true"], data["w"]
    assert got.values()["mse"] == pytest.approx(np.sum(w * d * d) / np.sum(w), rel=1e-12)


def test_a_glob_of_files_equals_their_concatenation(tmp_path):
    for i in range(4):
        _write_csv(tmp_path / f"part-{i}.csv", _regression(250 + 10 * i, seed=10 + i))
    paths = expand_paths(str(tmp_path / "part-*.csv"))
    assert len(paths) == 4
    plan, requests, expected = _plan_and_reference(paths, ["mse", "log_cosh"])
    assert engine.choose_engine(paths) == "streaming"
    got = engine.evaluate_files(paths, plan, requests, chunk_rows=64, show_progress=False)
    _assert_same(got, expected)


def test_gzip_and_parquet_stream_to_the_same_values(tmp_path):
    pytest.importorskip("pyarrow")
    import polars as pl

    data = _regression(700, 4)
    _write_csv(tmp_path / "d.csv.gz", data)
    pl.DataFrame(data).write_parquet(tmp_path / "d.parquet", row_group_size=100)
    plan, requests, expected = _plan_and_reference([str(tmp_path / "d.csv.gz")], ["mse"])
    for name in ("d.csv.gz", "d.parquet"):
        got = engine.evaluate_files(
            [str(tmp_path / name)], plan, requests, chunk_rows=90, show_progress=False
        )
        _assert_same(got, expected)


def test_segmentation_groups_split_across_chunks(tmp_path):
    rng = np.random.default_rng(5)
    n = 900
    image = np.repeat(np.arange(30), 30)  # 30 images of 30 pixels
    columns = {
        "image": image.astype(float),
        "y_true": rng.integers(0, 2, n).astype(float),
        "y_pred": rng.uniform(0.01, 0.99, n),
    }
    path = tmp_path / "seg.csv"
    _write_csv(path, columns)
    plan, requests, expected = _plan_and_reference(
        [str(path)], ["dice", "jaccard"], task="segmentation", group="image"
    )
    got = engine.evaluate_files([str(path)], plan, requests, chunk_rows=47, show_progress=False)
    _assert_same(got, expected)
    # Dice per image, averaged, by its formula: 1 - (2·Σpt + s) / (Σp + Σt + s), s = 1.
    assert expected.values()["dice"] == pytest.approx(
        np.mean(
            [
                1
                - (2 * np.sum(columns["y_pred"][m] * columns["y_true"][m]) + 1)
                / (np.sum(columns["y_pred"][m]) + np.sum(columns["y_true"][m]) + 1)
                for m in (image == g for g in range(30))
            ]
        ),
        rel=1e-9,
    )


def test_multiclass_text_labels_stream(tmp_path):
    rng = np.random.default_rng(6)
    n = 600
    classes = np.array(["cat", "dog", "eel"])
    probabilities = rng.dirichlet(np.ones(3), size=n)
    path = tmp_path / "mc.csv"
    lines = ["label,p_cat,p_dog,p_eel"] + [
        f"{classes[i % 3]},{_text(p[0])},{_text(p[1])},{_text(1.0 - p[0] - p[1])}"
        for i, p in enumerate(probabilities)
    ]
    path.write_text("\n".join(lines) + "\n")
    plan, requests, expected = _plan_and_reference([str(path)], ["sparse_cce", "brier"])
    assert plan.task == "multiclass"
    got = engine.evaluate_files([str(path)], plan, requests, chunk_rows=50, show_progress=False)
    _assert_same(got, expected)


def test_dask_two_workers_on_files_equals_in_memory(tmp_path):
    pytest.importorskip("distributed")
    from distributed import Client, LocalCluster

    from losscli.engine.dask_engine import dask_evaluate
    from losscli.engine.states import LossStates

    for i in range(3):
        _write_csv(tmp_path / f"part-{i}.csv", _regression(300, seed=20 + i))
    paths = expand_paths(str(tmp_path / "part-*.csv"))
    plan, requests, expected = _plan_and_reference(paths, ["mse", "pinball"])
    states = LossStates(requests)
    with (
        LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=False,
            dashboard_address=None,
            silence_logs=logging.ERROR,
        ) as cluster,
        Client(cluster) as client,
    ):
        piece = dask_evaluate(paths, plan, states, chunk_rows=128, client=client)
    _assert_same(states.finish(piece, plan), expected)


def test_plan_and_states_pickle_for_worker_processes(tmp_path):
    import cloudpickle

    from losscli.engine.states import LossStates

    path = tmp_path / "reg.csv"
    _write_csv(path, _regression(50, 7))
    plan, requests, _ = _plan_and_reference([str(path)], ["mse", "rmse"])
    states = LossStates(requests)
    plan2, states2 = cloudpickle.loads(cloudpickle.dumps((plan, states)))
    table = read_table(path)
    assert states2(plan2.arrays(table)) == states(plan.arrays(table))


def test_memory_only_options_refuse_streaming_and_dask():
    from losscli.errors import ParameterError

    with pytest.raises(ParameterError, match="--per-sample needs every row in memory, on a single"):
        engine.choose_engine(["a.csv"], "dask", memory_only=["--per-sample"])
    assert engine.choose_engine(["a.csv", "b.csv"], "auto", memory_only=["--ci"]) == "memory"


def test_auto_streams_large_files_only(tmp_path, monkeypatch):
    small = tmp_path / "small.csv"
    _write_csv(small, _regression(20, 1))
    assert engine.choose_engine([str(small)]) == "memory"
    monkeypatch.setattr(engine, "STREAMING_THRESHOLD_BYTES", 100)
    assert engine.choose_engine([str(small)]) == "streaming"
    assert engine.choose_engine(["-"]) == "streaming"  # unknown size


def test_plan_from_head_equals_the_whole_file_plan(tmp_path):
    from losscli.engine.inputs import input_paths, plan_from_head

    for i in range(2):
        _write_csv(tmp_path / f"p{i}.csv", _regression(300, seed=30 + i))
    paths = input_paths([str(tmp_path / "p*.csv")])
    plan, requests, expected = _plan_and_reference(paths, ["mae"], weight="w")
    head_plan, head_layout = plan_from_head(
        paths,
        roles={"weight": "w"},
        layout_options=LayoutOptions(),
        read_options={},
        head_rows=50,
    )
    assert head_plan.task == plan.task == "regression"
    assert head_layout.n_samples == 50
    # The head settles it (fractional values): its reason says so, with no head counts.
    assert "the first 50 rows" in head_plan.reason
    assert "distinct" not in head_plan.reason
    got = engine.evaluate_files(paths, head_plan, requests, chunk_rows=64, show_progress=False)
    _assert_same(got, expected)


def test_a_later_file_missing_a_column_names_it(tmp_path):
    from losscli.errors import InputError

    _write_csv(tmp_path / "p0.csv", _regression(30, seed=1))
    (tmp_path / "p1.csv").write_text("y_true,other\n1.0,2.0\n")
    paths = expand_paths(str(tmp_path / "p*.csv"))
    plan, requests, _ = _plan_and_reference(paths[:1], ["mse"])
    with pytest.raises(InputError, match=r"p1\.csv.*y_pred"):
        engine.evaluate_files(paths, plan, requests, show_progress=False)


def test_ctc_with_order_streams_whole_sorted_sequences(tmp_path):
    # 12 sequences of 9-15 frames, rows shuffled within each sequence (`pos` restores
    # the order), 4 classes with the blank 0; every third frame carries a label token.
    rng = np.random.default_rng(8)
    lines = ["seq,pos,token,p_0,p_1,p_2,p_3"]
    for s in range(12):
        length = int(rng.integers(9, 16))
        probabilities = rng.dirichlet(np.ones(4), size=length)
        tokens = np.where(np.arange(length) % 3 == 0, rng.integers(1, 4, length), 0)
        for t in rng.permutation(length):
            p = probabilities[t]
            lines.append(
                f"s{s:02d},{t},{tokens[t]},{_text(p[0])},{_text(p[1])},{_text(p[2])},"
                f"{_text(1.0 - p[0] - p[1] - p[2])}"
            )
    path = tmp_path / "seq.csv"
    path.write_text("\n".join(lines) + "\n")
    plan, requests, expected = _plan_and_reference(
        [str(path)],
        ["ctc", "sequence_ce"],
        task="sequence",
        group="seq",
        order="pos",
        target="token",
        prediction="p_*",
    )
    # chunks of 5 rows cut every sequence; a wrong frame order would change the CTC value
    got = engine.evaluate_files([str(path)], plan, requests, chunk_rows=5, show_progress=False)
    _assert_same(got, expected)
