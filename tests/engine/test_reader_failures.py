"""A bad value in the middle of a streamed file: always a located error, never a wrong sum.

QA found that polars 2.1, failing on a value it cannot parse, may first yield batches from
beyond the failing part of the file, so the rows counted before the careful reader took
over were not the file's first rows: a word in a number column could be skipped and the
loss computed on lost or repeated rows (2 runs in 5). And a chunk that straddles the end
of the streamed head, with a word after it, made the head's numbers text (exit 70).
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from losscli.cli.main import app
from losscli.engine import inputs


def _write(path, rows: int, *, cell=None, label=None, seed: int = 5) -> None:
    """label,p_0..p_3,w,g rows (a weight and a text column last, as QA's file had);
    ``cell=(row, column, text)`` replaces one probability's text, ``label=(row, text)``
    one label."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 4, rows).tolist()
    probabilities = rng.dirichlet(np.ones(4), rows).tolist()
    lines = ["label,p_0,p_1,p_2,p_3,w,g"]
    for i in range(rows):
        cells = [repr(v) for v in probabilities[i]]
        if cell is not None and i == cell[0]:
            cells[cell[1]] = cell[2].format(cells[cell[1]])
        first = label[1] if label is not None and i == label[0] else str(labels[i])
        lines.append(first + "," + ",".join(cells) + ",1.0,a")
    path.write_text("\n".join(lines) + "\n")


ENGINES = [
    ["--engine", "memory"],
    ["--engine", "streaming"],
    ["--engine", "streaming", "--chunk-rows", "64"],
]


@pytest.mark.parametrize("engine", ENGINES, ids=["memory", "streaming", "chunks-64"])
def test_a_word_in_a_number_column_is_named_on_every_engine(runner, tmp_path, engine):
    path = tmp_path / "mc.csv"
    _write(path, 200_000, cell=(99_999, 2, "abc"))
    for _ in range(3):  # the failure depended on thread timing
        result = runner.invoke(app, ["compute", str(path), "-l", "sparse_cce", *engine])
        assert result.exit_code == 2, result.output
        assert "line 100001: column 'p_2': cannot parse 'abc' as a number" in result.stderr


def test_a_number_polars_rejects_mid_file_is_never_a_wrong_sum(runner, tmp_path):
    """'0.25 ' (a trailing space) is a number to losscli, not to polars' scan. Streamed, the
    result is the in-memory one or an error that names the value, never another number."""
    path = tmp_path / "mc.csv"
    _write(path, 200_000, cell=(99_999, 2, "{} "))
    memory = runner.invoke(
        app, ["compute", str(path), "-l", "sparse_cce", "-f", "json", *ENGINES[0]]
    )
    assert memory.exit_code == 0, memory.output
    want = json.loads(memory.stdout)["losses"]["sparse_cce"]["value"]
    for engine in ENGINES[1:] * 2:
        result = runner.invoke(
            app, ["compute", str(path), "-l", "sparse_cce", "-f", "json", *engine]
        )
        if result.exit_code == 0:
            got = json.loads(result.stdout)["losses"]["sparse_cce"]["value"]
            assert got == pytest.approx(want, rel=1e-12)
        else:
            assert result.exit_code == 2, result.output
            assert "line 100001: column 'p_2': value" in result.stderr
            assert "cannot be streamed" in result.stderr


def test_a_word_after_the_head_in_a_chunk_that_straddles_it(runner, tmp_path, monkeypatch):
    """Chunks of 256 rows, a head of 300: the second chunk holds the head's last rows and a
    word at row 400, which makes that chunk's label column text. The head must still be
    the numbers the first 300 rows hold, and the word an error at its line."""
    monkeypatch.setattr(inputs, "HEAD_ROWS", 300)
    path = tmp_path / "mc.csv"
    _write(path, 5_000, label=(400, "cat"))
    result = runner.invoke(
        app, ["compute", str(path), "--engine", "streaming", "--chunk-rows", "256"]
    )
    assert result.exit_code == 2, result.output
    assert "line 402: column 'label': label 'cat' has no prediction column" in result.stderr
    assert "internal error" not in result.output


def test_the_head_is_read_again_only_when_a_value_column_is_text(tmp_path, monkeypatch):
    """Numbers only: the head comes from the stream's own chunks (no second read)."""
    import losscli.io

    calls = []
    real = losscli.io.iter_tables

    def counting(path, **options):
        calls.append(options["chunk_rows"])
        yield from real(path, **options)

    monkeypatch.setattr(losscli.io, "iter_tables", counting)
    from losscli.layout import LayoutOptions

    path = tmp_path / "mc.csv"
    for label, reads in ((None, [256]), ((400, "cat"), [256, 300])):
        _write(path, 5_000, label=label)
        calls.clear()
        inputs._plan_and_first_file(
            [str(path)],
            roles={},
            layout_options=LayoutOptions(),
            read_options={},
            head_rows=300,
            chunk_rows=256,
        )
        assert calls == reads  # with a word: the stream, then the head on its own


def test_all_leaves_out_losses_whose_domain_a_later_chunk_leaves(runner, tmp_path, monkeypatch):
    """A row summing to 1.05 after the head: memory and streaming leave out the same
    probability losses (QA: streaming failed with the row-sum error)."""
    monkeypatch.setattr(inputs, "HEAD_ROWS", 300)
    rng = np.random.default_rng(1)
    n, k = 5_000, 4
    labels = rng.integers(0, k, n)
    p = rng.dirichlet(np.ones(k) * 4, n)
    row = int(np.argmax(p.max(axis=1) < 0.8) + 4_000)
    p[row] *= 1.05  # every value stays below 1; the row sums to 1.05
    lines = ["label," + ",".join(f"p_{j}" for j in range(k))]
    lines += [f"{y}," + ",".join(map(repr, q.tolist())) for y, q in zip(labels, p, strict=True)]
    path = tmp_path / "mc.csv"
    path.write_text("\n".join(lines) + "\n")
    reports = {}
    for engine in (["--engine", "memory"], ["--engine", "streaming", "--chunk-rows", "256"]):
        result = runner.invoke(app, ["compute", str(path), "--all", "--format", "json", *engine])
        assert result.exit_code == 0, result.output
        reports[engine[1]] = json.loads(result.stdout)
    memory, streaming = reports["memory"], reports["streaming"]
    assert sorted(streaming["losses"]) == sorted(memory["losses"])
    assert "sparse_cce" not in streaming["losses"]
    left_out = [w for w in streaming["warnings"] if w.startswith("--all leaves out")]
    assert left_out and all(f"line {row + 2}" in w for w in left_out)
    for name, loss in memory["losses"].items():
        assert streaming["losses"][name]["value"] == pytest.approx(loss["value"], rel=1e-12)
