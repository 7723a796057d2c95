"""QA fixes in the CLI: closed pipes, non-finite values, task from the losses, aliases,
the scope of CSV rows, early option checks and reported parameters."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np

LOSSCLI = [sys.executable, "-m", "losscli"]


def _closed_pipe(args: list[str], tmp_path: Path) -> subprocess.CompletedProcess:
    """Run losscli with a reader that reads one line and goes away (``| head -1``)."""
    shell = " ".join(f"'{a}'" for a in LOSSCLI + args)
    return subprocess.run(
        ["bash", "-c", f"{shell} | head -1 >/dev/null; echo ${{PIPESTATUS[0]}} >&2"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
    )


def test_closed_pipe_per_sample_exits_quietly_141(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    y = np.sort(rng.integers(0, 2, 30_000))
    p = rng.random(30_000)
    lines = ["y,prob", *(f"{a},{b:.6f}" for a, b in zip(y, p, strict=True))]
    (tmp_path / "sorted.csv").write_text("\n".join(lines) + "\n")
    done = _closed_pipe(["compute", "sorted.csv", "-l", "bce", "--per-sample", "-"], tmp_path)
    assert done.stderr.strip() == "141", done.stderr


def test_closed_pipe_rich_table_exits_quietly_141(tmp_path: Path) -> None:
    # Rich's own broken-pipe handler exits 1; losscli's gives 141 and no message.
    done = subprocess.run(
        [
            "bash",
            "-c",
            " ".join(LOSSCLI) + " explain huber -f table | true; echo ${PIPESTATUS[0]} >&2",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.stderr.strip() == "141", done.stderr


def test_closed_pipe_at_final_flush_exits_quietly_141(tmp_path: Path) -> None:
    # list -f csv fits in the stdout buffer: the pipe breaks at the flush on exit.
    done = subprocess.run(
        ["bash", "-c", " ".join(LOSSCLI) + " list -f csv | true; echo ${PIPESTATUS[0]} >&2"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.stderr.strip() == "141", done.stderr
