"""A progress bar on stderr that appears only on a terminal, and only for slow inputs.

SPEC §6: progress bars go to stderr, only on a terminal. Issue 6: only for inputs
that take more than about a second, so that quick commands never flash a bar.
The bar is created lazily: nothing from Rich's progress module is imported, and
nothing is drawn, until :data:`PROGRESS_DELAY_SECONDS` have passed.
"""

from __future__ import annotations

import os
import sys
import time
from types import TracebackType
from typing import Any

#: Show the bar once the work has taken this long (issue 6: "more than about a second").
PROGRESS_DELAY_SECONDS = 1.0


class ChunkProgress:
    """Counts rows and files as chunks arrive; draws a transient Rich bar when slow.

    Used as a context manager around the chunk loop::

        with ChunkProgress(total_files=3) as progress:
            for chunk in chunks:
                ...
                progress.advance(rows=len(chunk))
            progress.next_file()
    """

    def __init__(
        self,
        *,
        total_files: int,
        enabled: bool | None = None,
        delay: float = PROGRESS_DELAY_SECONDS,
    ) -> None:
        self.total_files = total_files
        self.enabled = sys.stderr.isatty() if enabled is None else enabled
        self.delay = delay
        self.rows = 0
        self.files_done = 0
        self._start = time.monotonic()
        self._bar: Any = None
        self._task: Any = None
        self._name = ""

    def __enter__(self) -> ChunkProgress:
        self._start = time.monotonic()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._bar is not None:
            self._bar.stop()
            self._bar = None

    @property
    def shown(self) -> bool:
        """Whether the bar has been drawn."""
        return self._bar is not None

    def start_file(self, name: str) -> None:
        """The next file, shown in the bar by its base name (as literal text)."""
        self._name = os.path.basename(name) or name
        self._refresh()

    def advance(self, rows: int) -> None:
        """``rows`` more rows are done."""
        self.rows += rows
        self._refresh()

    def next_file(self) -> None:
        """One more file is done."""
        self.files_done += 1
        self._refresh()

    def _refresh(self) -> None:
        if not self.enabled:
            return
        if self._bar is None:
            if time.monotonic() - self._start < self.delay:
                return
            self._create()
        from losscli.render.console import clean

        elapsed = int(time.monotonic() - self._start)
        self._bar.update(
            self._task,
            completed=self.files_done,
            description=f"{clean(self._name)} · {self.rows:,} rows",
            # The time since the work began, not since the (delayed) bar appeared.
            elapsed=f"{elapsed // 3600}:{elapsed // 60 % 60:02d}:{elapsed % 60:02d}",
        )

    def _create(self) -> None:
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            SpinnerColumn,
            TextColumn,
        )

        from losscli.render.console import stderr_console

        self._bar = Progress(
            SpinnerColumn(),
            # markup=False: file names are shown literally, never as Rich markup.
            TextColumn("{task.description}", markup=False),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("files"),
            TextColumn("{task.fields[elapsed]}", style="progress.elapsed"),
            console=stderr_console(),
            transient=True,
        )
        self._task = self._bar.add_task("", total=self.total_files, elapsed="")
        self._bar.start()
