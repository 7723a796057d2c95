"""The examples of docs/compute.md, docs/json-schema.md and sample_data/README.md run:
every ``$ losscli compute …`` line exits as documented (0, or ``# exit N`` on the next
line), and a JSON block right after its console block is contained in the output."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

import pytest

from tests.cli.compute_helpers import REPO, compute

DOCS = [
    REPO / "docs" / "compute.md",
    REPO / "docs" / "json-schema.md",
    REPO / "sample_data" / "README.md",
]
_BLOCK = re.compile(r"```(\w+)\n(.*?)```", re.DOTALL)


def _examples(path: Path) -> list[tuple[str, int, dict | None]]:
    """(command line, expected exit code, expected JSON subset or None) of a document."""
    blocks = [(m.group(1), m.group(2)) for m in _BLOCK.finditer(path.read_text())]
    examples = []
    for index, (kind, body) in enumerate(blocks):
        if kind != "console":
            continue
        lines = body.splitlines()
        for number, line in enumerate(lines):
            if not line.startswith("$ losscli compute "):
                continue
            code = 0
            if number + 1 < len(lines) and lines[number + 1].startswith("# exit "):
                code = int(lines[number + 1].split()[-1])
            expected = None
            if index + 1 < len(blocks) and blocks[index + 1][0] == "json":
                expected = json.loads(blocks[index + 1][1])
            examples.append((line[len("$ losscli compute ") :], code, expected))
    return examples


EXAMPLES = [
    pytest.param(command, code, expected, id=f"{path.name}:{command[:60]}")
    for path in DOCS
    if path.exists()
    for command, code, expected in _examples(path)
]


def _contained(expected, actual, where="") -> None:
    if isinstance(expected, dict):
        assert isinstance(actual, dict), where
        for key, value in expected.items():
            assert key in actual, f"{where}.{key} missing"
            _contained(value, actual[key], f"{where}.{key}")
    elif isinstance(expected, list):
        assert isinstance(actual, list) and len(actual) == len(expected), where
        for i, (e, a) in enumerate(zip(expected, actual, strict=True)):
            _contained(e, a, f"{where}[{i}]")
    elif isinstance(expected, float):
        assert actual == pytest.approx(expected, rel=1e-9), where
    else:
        assert actual == expected, where


def test_the_documents_have_examples():
    assert len(EXAMPLES) >= 12


@pytest.mark.parametrize(("command", "code", "expected"), EXAMPLES)
def test_documented_example(command, code, expected):
    args = shlex.split(command)
    if expected is not None and "--format" not in args:
        args += ["--format", "json"]
    out = compute("runner", *args, cwd=REPO)
    assert out.code == code, out.stderr
    if expected is not None:
        _contained(expected, json.loads(out.stdout))
