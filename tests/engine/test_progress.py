"""The progress bar: stderr only, terminal only, and only after about a second."""

from __future__ import annotations

import io

from losscli.engine import progress as progress_module
from losscli.engine.progress import PROGRESS_DELAY_SECONDS, ChunkProgress


def test_the_delay_is_about_a_second():
    assert PROGRESS_DELAY_SECONDS == 1.0


def test_not_a_terminal_means_no_bar(monkeypatch):
    monkeypatch.setattr(progress_module.sys, "stderr", io.StringIO())
    with ChunkProgress(total_files=2, delay=0.0) as bar:
        bar.start_file("a.csv")
        bar.advance(10)
        assert not bar.enabled
        assert not bar.shown
    assert bar.rows == 10


def test_a_quick_run_draws_nothing_even_on_a_terminal():
    with ChunkProgress(total_files=1, enabled=True, delay=60.0) as bar:
        bar.advance(5)
        bar.next_file()
        assert not bar.shown


def test_a_slow_run_draws_a_transient_bar_on_stderr(monkeypatch):
    from losscli.render import console

    stream = io.StringIO()
    stream.isatty = lambda: True  # a terminal
    monkeypatch.setattr(console.sys, "stderr", stream)
    console.stderr_console.cache_clear()
    try:
        with ChunkProgress(total_files=3, enabled=True, delay=0.0) as bar:
            bar.start_file("/data/[bold]x.csv")  # base names, shown literally
            bar.advance(1234)
            assert bar.shown
            assert bar._bar.console.file is stream
            task = bar._bar.tasks[0]
            assert task.total == 3
            assert task.description == "[bold]x.csv · 1,234 rows"
        assert not bar.shown  # stopped (and, being transient, erased)
    finally:
        console.stderr_console.cache_clear()


def test_the_bar_counts_time_from_the_start_of_the_work_not_from_its_appearance(monkeypatch):
    from losscli.render import console

    stream = io.StringIO()
    stream.isatty = lambda: True
    monkeypatch.setattr(console.sys, "stderr", stream)
    console.stderr_console.cache_clear()
    try:
        with ChunkProgress(total_files=1, enabled=True, delay=1.0) as bar:
            bar.advance(10)
            assert not bar.shown  # under a second: nothing drawn
            bar._start -= 75.0  # the work began 75 s ago
            bar.advance(10)
            assert bar.shown
            assert bar._bar.tasks[0].fields["elapsed"] == "0:01:15"
    finally:
        console.stderr_console.cache_clear()
