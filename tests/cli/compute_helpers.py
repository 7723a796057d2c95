"""Running ``losscli compute`` two ways, in-process (CliRunner) and as a real process,
with one result type, so that every CLI test can run in both modes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

MODES = ("runner", "process")
REPO = Path(__file__).resolve().parents[2]


@dataclass
class Outcome:
    code: int
    stdout: str
    stderr: str

    def json(self) -> dict[str, Any]:
        assert self.code in (0, 1), self.stderr
        return json.loads(self.stdout)

    def losses(self) -> dict[str, float]:
        return {label: entry["value"] for label, entry in self.json()["losses"].items()}


def _environment(env: dict[str, str] | None) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if k != "GITHUB_STEP_SUMMARY"}
    base.update({"COLUMNS": "200", "NO_COLOR": "1"})
    base.update(env or {})
    return base


def compute(
    mode: str,
    *args: Any,
    input: str | bytes | None = None,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
) -> Outcome:
    """``losscli compute ARGS`` in ``mode`` ("runner" or "process")."""
    argv = ["compute", *(str(a) for a in args)]
    if mode == "runner":
        from typer.testing import CliRunner

        from losscli.cli.main import app

        previous = Path.cwd()
        if cwd is not None:
            os.chdir(cwd)
        try:
            result = CliRunner().invoke(app, argv, input=input, env=_environment(env))
        finally:
            os.chdir(previous)
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            raise result.exception
        return Outcome(result.exit_code, result.stdout, result.stderr)
    data = input.encode() if isinstance(input, str) else input
    completed = subprocess.run(
        [sys.executable, "-m", "losscli", *argv],
        input=data,
        capture_output=True,
        env=_environment(env),
        cwd=cwd or REPO,
        timeout=120,
        check=False,
    )
    return Outcome(
        completed.returncode,
        completed.stdout.decode("utf-8"),
        completed.stderr.decode("utf-8"),
    )


def write_csv(path: Path, header: list[str], *columns: Any) -> Path:
    """A CSV with ``header`` and the given columns (floats written with repr)."""
    rows = zip(*columns, strict=True)
    lines = [",".join(header)]
    for row in rows:
        lines.append(",".join(repr(float(v)) if _is_float(v) else str(v) for v in row))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _is_float(value: Any) -> bool:
    return isinstance(value, float) or type(value).__name__ in ("float64", "float32")
