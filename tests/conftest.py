"""Shared fixtures: the peer conformance vectors and a CLI runner."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

DATA = Path(__file__).parent / "data"


def peer_vectors(*losses: str) -> list[dict]:
    """The cases of ``tests/data/peer_vectors.json`` (copied from ../shared/conformance)
    whose ``loss`` field is one of ``losses``."""
    cases = json.loads((DATA / "peer_vectors.json").read_text())
    return [case for case in cases if not losses or case["loss"] in losses]


def peer_close(got, case: dict) -> bool:
    """The case's own tolerance: |got - expected| <= atol + rtol * |expected|, elementwise."""
    import numpy as np

    got = np.asarray(got, dtype=float)
    expected = np.asarray(case["expected"], dtype=float)
    return bool(
        got.shape == expected.shape
        and np.all(np.abs(got - expected) <= case["atol"] + case["rtol"] * np.abs(expected))
    )


@pytest.fixture
def runner():
    from typer.testing import CliRunner

    return CliRunner()
