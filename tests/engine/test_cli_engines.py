"""``losscli compute --engine auto|memory|streaming|dask``, ``--chunk-rows``, ``--scheduler``."""

from __future__ import annotations

import builtins

import numpy as np
import pytest

from tests.cli.compute_helpers import compute


def _write(path, n: int, seed: int, *, header: bool = True) -> np.ndarray:
    rng = np.random.default_rng(seed)
    y = rng.normal(size=n)
    p = y + rng.normal(scale=0.5, size=n)
    w = rng.uniform(0.1, 2.0, size=n)
    rows = "".join(
        f"{a!r},{b!r},{c!r}\n" for a, b, c in zip(y.tolist(), p.tolist(), w.tolist(), strict=True)
    )
    path.write_text(("y_true,y_pred,w\n" if header else "") + rows)
    return np.column_stack([y, p, w])


def _expected(data: np.ndarray) -> dict[str, float]:
    y, p, w = data.T
    d = p - y
    a = np.abs(d)
    return {
        "mse": float(np.sum(w * d * d) / np.sum(w)),
        "mae": float(np.sum(w * a) / np.sum(w)),
        "huber": float(np.sum(w * np.where(a <= 1, 0.5 * d * d, a - 0.5)) / np.sum(w)),
    }


LOSSES = ["-l", "mse", "-l", "mae", "-l", "huber", "--weight", "w", "--format", "json"]


@pytest.mark.parametrize("engine", ["memory", "streaming", "auto"])
def test_every_engine_gives_the_formula_values(tmp_path, engine):
    data = _write(tmp_path / "d.csv", 500, 1)
    out = compute("runner", tmp_path / "d.csv", *LOSSES, "--engine", engine, "--chunk-rows", "33")
    assert out.code == 0, out.stderr
    expected = _expected(data)
    for label, value in out.losses().items():
        assert value == pytest.approx(expected[label], rel=1e-12)
    assert out.json()["n_samples"] == 500


def test_a_glob_streams_every_file(tmp_path):
    parts = [_write(tmp_path / f"part-{i}.csv", 100 + i, 10 + i) for i in range(3)]
    out = compute("process", str(tmp_path / "part-*.csv"), *LOSSES, "--chunk-rows", "16")
    assert out.code == 0, out.stderr
    expected = _expected(np.vstack(parts))
    for label, value in out.losses().items():
        assert value == pytest.approx(expected[label], rel=1e-12)
    assert out.json()["n_samples"] == 303


def test_dask_engine_on_a_local_cluster(tmp_path):
    pytest.importorskip("distributed")
    parts = [_write(tmp_path / f"part-{i}.csv", 80, 20 + i) for i in range(2)]
    out = compute("process", str(tmp_path / "part-*.csv"), *LOSSES, "--engine", "dask")
    assert out.code == 0, out.stderr
    expected = _expected(np.vstack(parts))
    for label, value in out.losses().items():
        assert value == pytest.approx(expected[label], rel=1e-12)


@pytest.mark.parametrize("engine", ["streaming", "dask"])
def test_per_sample_is_single_machine_only(tmp_path, engine):
    _write(tmp_path / "d.csv", 20, 1)
    out = compute(
        "runner",
        tmp_path / "d.csv",
        "-l",
        "mse",
        "--engine",
        engine,
        "--per-sample",
        tmp_path / "per.csv",
    )
    assert out.code == 2
    assert (
        f"losscli: error: --per-sample needs every row in memory, on a single machine; it "
        f"cannot be used with --engine {engine}" in out.stderr
    )
    assert not (tmp_path / "per.csv").exists()


def test_ci_is_single_machine_only(tmp_path):
    _write(tmp_path / "d.csv", 20, 1)
    out = compute("runner", tmp_path / "d.csv", "-l", "mse", "--engine", "streaming", "--ci", "0.9")
    assert out.code == 2
    assert "--ci needs every row in memory" in out.stderr


def test_two_files_are_in_memory_only(tmp_path):
    _write(tmp_path / "a.csv", 10, 1)
    _write(tmp_path / "b.csv", 10, 2)
    out = compute("runner", tmp_path / "a.csv", tmp_path / "b.csv", "--engine", "streaming")
    assert out.code == 2
    assert "a targets file with a predictions file needs every row in memory" in out.stderr


def test_memory_engine_refuses_a_glob_of_several_files(tmp_path):
    for i in range(2):
        _write(tmp_path / f"p{i}.csv", 10, i)
    out = compute("runner", str(tmp_path / "p*.csv"), "-l", "mse", "--engine", "memory")
    assert out.code == 2
    assert "reads one file into memory" in out.stderr and "matches 2 files" in out.stderr


def test_scheduler_needs_the_dask_engine(tmp_path):
    _write(tmp_path / "d.csv", 10, 1)
    out = compute("runner", tmp_path / "d.csv", "--scheduler", "tcp://127.0.0.1:8786")
    assert out.code == 2
    assert "--scheduler is for --engine dask" in out.stderr


def test_bad_chunk_rows_is_a_usage_error(tmp_path):
    _write(tmp_path / "d.csv", 10, 1)
    out = compute("runner", tmp_path / "d.csv", "--engine", "streaming", "--chunk-rows", "0")
    assert out.code == 2
    assert "--chunk-rows must be a positive number of rows, got 0" in out.stderr


def test_dask_missing_says_how_to_install(tmp_path, monkeypatch):
    _write(tmp_path / "d.csv", 10, 1)
    real_import = builtins.__import__

    def no_dask(name, *args, **kwargs):
        if name.split(".")[0] in ("dask", "distributed"):
            raise ImportError(f"No module named {name!r}", name=name.split(".")[0])
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_dask)
    out = compute("runner", tmp_path / "d.csv", "-l", "mse", "--engine", "dask")
    assert out.code == 2
    assert out.stderr.strip() == (
        "losscli: error: --engine dask needs the optional Dask dependencies (dask is not "
        "installed) (hint: install them with: pip install 'losscli[dask]')"
    )


def test_a_bad_value_in_a_later_chunk_names_file_line_and_column(tmp_path):
    _write(tmp_path / "d.csv", 50, 1)
    with (tmp_path / "d.csv").open("a") as handle:
        handle.write("1.0,oops,1.0\n")
    out = compute(
        "runner", tmp_path / "d.csv", "-l", "mse", "--engine", "streaming", "--chunk-rows", "8"
    )
    assert out.code == 2
    assert "d.csv: line 52: column 'y_pred'" in out.stderr


def test_dask_cannot_read_standard_input(tmp_path):
    out = compute("runner", "-", "-l", "mse", "--engine", "dask", input="y_true,y_pred\n1,2\n")
    assert out.code == 2
    assert "standard input ('-') cannot be one" in out.stderr


def test_standard_input_streams(tmp_path):
    data = _write(tmp_path / "d.csv", 40, 3)
    text = (tmp_path / "d.csv").read_text()
    out = compute("runner", "-", *LOSSES, "--engine", "streaming", "--chunk-rows", "9", input=text)
    assert out.code == 0, out.stderr
    assert out.losses()["mse"] == pytest.approx(_expected(data)["mse"], rel=1e-12)
