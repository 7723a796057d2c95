"""Globs of files: every file in the report, errors named in the file they are in, and
Dask workers reading paths that do not depend on their working directory (QA defects)."""

from __future__ import annotations

import numpy as np
import pytest

from tests.cli.compute_helpers import compute


def _write(path, y, p):
    path.write_text(
        "y_true,y_pred\n" + "".join(f"{a!r},{b!r}\n" for a, b in zip(y, p, strict=True))
    )


def _parts(tmp_path, count=3, n=40):
    rng = np.random.default_rng(7)
    data = []
    for i in range(count):
        y, p = rng.normal(size=n), rng.normal(size=n)
        _write(tmp_path / f"part-{i}.csv", y.tolist(), p.tolist())
        data.append((y, p))
    return data


def test_the_report_lists_every_file_of_a_glob(tmp_path):
    _parts(tmp_path)
    out = compute("runner", tmp_path / "part-*.csv", "-l", "mse", "-f", "json")
    assert out.code == 0, out.stderr
    assert out.json()["files"] == [str(tmp_path / f"part-{i}.csv") for i in range(3)]


def test_a_bad_probability_in_a_later_file_names_that_file(tmp_path):
    (tmp_path / "a-0.csv").write_text("label,prob\n0,0.2\n1,0.7\n")
    (tmp_path / "a-1.csv").write_text("label,prob\n0,0.2\n1,1.5\n")
    out = compute("runner", tmp_path / "a-*.csv", "-l", "bce")
    assert out.code == 2
    assert f"{tmp_path / 'a-1.csv'}: line 3: column 'prob'" in out.stderr


def test_dask_tasks_read_absolute_paths_but_name_the_file_as_given(tmp_path, monkeypatch):
    pytest.importorskip("distributed")
    from losscli.engine import dask_engine
    from losscli.engine.inputs import plan_from_head
    from losscli.engine.states import LossStates
    from losscli.evaluation import resolve_requests
    from losscli.layout import LayoutOptions

    data = _parts(tmp_path, count=2)
    monkeypatch.chdir(tmp_path)
    paths = ["part-0.csv", "part-1.csv"]
    plan, _ = plan_from_head(paths, roles={}, layout_options=LayoutOptions(), read_options={})
    requests, _ = resolve_requests(["mse"], plan.task)
    graph = dask_engine.build_graph(paths, plan, LossStates(requests))
    monkeypatch.chdir("/")  # a worker elsewhere: relative paths would be "no such file"
    piece = graph.compute(scheduler="synchronous")
    y = np.concatenate([a for a, _ in data])
    p = np.concatenate([b for _, b in data])
    got = LossStates(requests).finish(piece, plan).results[0].value
    assert got == pytest.approx(float(np.mean((y - p) ** 2)), rel=1e-12)
    # an error on a worker names the file as the user gave it
    (tmp_path / "part-1.csv").write_text("y_true,y_pred\n1.5,oops\n")
    monkeypatch.chdir(tmp_path)
    graph = dask_engine.build_graph(paths, plan, LossStates(requests))
    monkeypatch.chdir("/")
    with pytest.raises(Exception) as caught:
        graph.compute(scheduler="synchronous")
    assert "part-1.csv: line 2: column 'y_pred'" in str(caught.value)
    assert str(tmp_path) not in str(caught.value)


def test_a_large_parquet_file_is_split_into_row_ranges_for_dask(tmp_path, monkeypatch):
    pytest.importorskip("distributed")
    import polars as pl

    from losscli.engine import dask_engine
    from losscli.engine.inputs import plan_from_head
    from losscli.engine.states import LossStates
    from losscli.evaluation import resolve_requests
    from losscli.layout import LayoutOptions

    rng = np.random.default_rng(9)
    y, p = rng.normal(size=2500), rng.normal(size=2500)
    pl.DataFrame({"y_true": y, "y_pred": p}).write_parquet(
        tmp_path / "big.parquet", row_group_size=700
    )
    path = str(tmp_path / "big.parquet")
    monkeypatch.setattr(dask_engine, "PARTITION_ROWS", 1000)
    plan, _ = plan_from_head([path], roles={}, layout_options=LayoutOptions(), read_options={})
    assert dask_engine.row_ranges(path, plan) == [(0, 1000), (1000, 2000), (2000, 2500)]
    requests, _ = resolve_requests(["mse", "mae"], plan.task)
    graph = dask_engine.build_graph([path], plan, LossStates(requests), chunk_rows=300)
    tasks = [key for key in graph.__dask_graph__() if "losscli-file" in str(key)]
    assert len(tasks) == 3
    piece = graph.compute(scheduler="synchronous")
    assert piece.rows == 2500
    values = {r.label: r.value for r in LossStates(requests).finish(piece, plan).results}
    assert values["mse"] == pytest.approx(float(np.mean((y - p) ** 2)), rel=1e-12)
    assert values["mae"] == pytest.approx(float(np.mean(np.abs(y - p))), rel=1e-12)
