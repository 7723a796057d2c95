"""The head read starts the first file's chunk stream and the main pass finishes it.

``compute`` plans a streamed input from the first rows of the first file; those rows are
the first chunks of the stream the engine then sums, so the first file is parsed once.
These tests count the reader's calls and compare every value with the in-memory engine.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

import losscli.io
from losscli.cli.main import app
from losscli.engine import inputs


def _write(path, rows: int, seed: int, *, classes: int = 0) -> None:
    rng = np.random.default_rng(seed)
    if classes:
        labels = rng.integers(0, classes, rows)
        probs = rng.dirichlet(np.ones(classes), rows)
        header = "label," + ",".join(f"p_{k}" for k in range(classes))
        lines = [
            f"{y}," + ",".join(repr(float(p)) for p in row)
            for y, row in zip(labels, probs, strict=True)
        ]
    else:
        t = rng.normal(size=rows)
        p = t + rng.standard_t(3, size=rows)
        header = "y_true,y_pred"
        lines = [f"{a!r},{b!r}" for a, b in zip(t.tolist(), p.tolist(), strict=True)]
    path.write_text(header + "\n" + "\n".join(lines) + "\n")


@pytest.fixture
def reads(monkeypatch):
    """Every ``losscli.io.iter_tables`` call, as (file name, chunks it yielded)."""
    calls: list[list] = []
    real = losscli.io.iter_tables

    def counting(path, **options):
        call = [str(path), 0]
        calls.append(call)
        for table in real(path, **options):
            call[1] += 1
            yield table

    monkeypatch.setattr(losscli.io, "iter_tables", counting)
    return calls


def _compute(runner, path, *args):
    result = runner.invoke(app, ["compute", str(path), *args, "--format", "json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


@pytest.mark.parametrize(
    ("rows", "head_rows", "chunk_rows", "losses", "classes"),
    [
        (500, 100_000, 64, ["mse", "mae", "huber"], 0),  # the head is the whole file
        (2_000, 300, 64, ["mse", "mae", "huber"], 0),  # head of 5 chunks, cut at 300
        (2_000, 256, 64, ["mse", "log_cosh"], 0),  # head on a chunk boundary
        (1_500, 200, 97, ["sparse_cce"], 4),  # label + 4 probability columns
    ],
)
def test_first_file_is_read_once_and_values_equal_memory(
    runner, tmp_path, reads, monkeypatch, rows, head_rows, chunk_rows, losses, classes
):
    monkeypatch.setattr(inputs, "HEAD_ROWS", head_rows)
    path = tmp_path / "data.csv"
    _write(path, rows, seed=rows + head_rows, classes=classes)
    flags = [arg for name in losses for arg in ("-l", name)]
    memory = _compute(runner, path, *flags, "--engine", "memory")
    calls_before = len(reads)
    streamed = _compute(
        runner, path, *flags, "--engine", "streaming", "--chunk-rows", str(chunk_rows)
    )
    streamed_reads = reads[calls_before:]
    assert [name for name, _ in streamed_reads] == [str(path)]  # one stream, not two
    assert streamed_reads[0][1] == -(-rows // chunk_rows)  # every chunk once
    assert streamed["n_samples"] == memory["n_samples"] == rows
    assert streamed["task"] == memory["task"]
    for name in losses:
        want = memory["losses"][name]["value"]
        assert streamed["losses"][name]["value"] == pytest.approx(want, rel=1e-12)


def test_head_is_the_first_head_rows_rows(tmp_path, monkeypatch):
    """The head the plan sees is exactly the first HEAD_ROWS rows, however the chunks fall,
    and the stream then yields every row once, in order."""
    from losscli.layout import LayoutOptions

    path = tmp_path / "data.csv"
    _write(path, 1_000, seed=7)
    _, head, first = inputs._plan_and_first_file(
        [str(path)],
        roles={},
        layout_options=LayoutOptions(),
        read_options={},
        head_rows=250,
        chunk_rows=60,
    )
    whole = losscli.io.read_table(str(path))
    np.testing.assert_array_equal(head.y_true, whole.columns["y_true"][:250])
    chunks = list(first.tables())
    assert [table.first_line for table in chunks] == list(range(2, 1_002, 60))
    np.testing.assert_array_equal(
        np.concatenate([table.columns["y_pred"] for table in chunks]), whole.columns["y_pred"]
    )
    assert list(first.tables()) == []  # a stream: read once


def test_a_stream_read_with_other_columns_or_chunks_is_not_used(tmp_path, reads):
    """The engine reads the file again rather than use chunks of another shape."""
    from losscli.engine.streaming import stream_evaluate
    from losscli.layout import LayoutOptions

    path = tmp_path / "data.csv"
    _write(path, 300, seed=3)
    plan, _, first = inputs._plan_and_first_file(
        [str(path)], roles={}, layout_options=LayoutOptions(), read_options={}, chunk_rows=50
    )
    total = stream_evaluate(
        [str(path)],
        plan,
        lambda arrays: {"n": len(arrays.y_true)},
        chunk_rows=70,
        first_file=first,
        show_progress=False,
    )
    assert total.rows == 300 and total.state == {"n": 300}
    assert len(reads) == 2  # the head's stream (closed unused) and the engine's own


@pytest.mark.parametrize("value", ["0", "-5"])
def test_chunk_rows_must_be_positive_before_anything_is_read(runner, tmp_path, reads, value):
    path = tmp_path / "data.csv"
    _write(path, 50, seed=1)
    result = runner.invoke(
        app, ["compute", str(path), "-l", "mse", "--engine", "streaming", "--chunk-rows", value]
    )
    assert result.exit_code == 2
    assert f"--chunk-rows must be a positive number of rows, got {value}" in result.output
    assert reads == []
