"""The example commands of docs/recommend.md run and succeed."""

from __future__ import annotations

import json
import os
import shlex
from pathlib import Path

import pytest

from losscli.cli.main import app

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "recommend.md"


def _examples() -> list[str]:
    lines = [line.split("#")[0].strip() for line in DOC.read_text().splitlines()]
    return [line for line in lines if line.startswith("losscli recommend ")]


def test_the_doc_has_examples():
    assert len(_examples()) >= 5


@pytest.mark.parametrize("command", _examples())
def test_doc_example_runs(runner, command, monkeypatch):
    monkeypatch.chdir(ROOT)
    args = shlex.split(command)[1:]
    if "--format" not in args:
        args += ["--format", "json"]
    result = runner.invoke(app, args, env={**os.environ, "NO_COLOR": "1"})
    assert result.exit_code == 0, result.output
    if args[args.index("--format") + 1] == "json":
        assert json.loads(result.stdout)["schema"] == "losscli/recommend/1"
