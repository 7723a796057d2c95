"""Every sample-data layout: --engine streaming in tiny chunks == --engine memory (1e-12).

The sample files (``sample_data/``) cover every task: regression with slices, binary
with text labels, multiclass by column name, multilabel per output, segmentation per
image and pooled, detection boxes in xywh, and padded, shuffled token sequences with
``--order``. Chunks of 7 rows split every image, sequence and slice.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli.compute_helpers import compute

SAMPLES = Path(__file__).resolve().parents[2] / "sample_data"

CASES = {
    "regression": [
        "house_prices.csv",
        "--all",
        "--group-by",
        "neighbourhood",
        "--weight",
        "bedrooms",
    ],
    "binary": ["spam.csv", "--positive", "spam", "--all"],
    "multiclass": ["digits.csv", "--all"],
    "multilabel": ["movie_genres.csv", "--all"],
    "segmentation": [
        "segmentation_masks.csv",
        "--task",
        "segmentation",
        "-t",
        "mask",
        "-p",
        "prob",
        "--group",
        "image",
        "--all",
    ],
    "segmentation-global": [
        "segmentation_masks.csv",
        "--task",
        "segmentation",
        "-t",
        "mask",
        "-p",
        "prob",
        "--group",
        "image",
        "--global",
        "-l",
        "dice",
    ],
    "detection": ["boxes.csv", "--box-format", "xywh", "--all", "--group-by", "image_id"],
    "sequence": [
        "token_sequences.csv",
        "--task",
        "sequence",
        "-t",
        "token",
        "-p",
        "p_*",
        "--group",
        "seq_id",
        "--order",
        "position",
        "--weight",
        "mask",
        "--all",
    ],
}


def _values(report: dict) -> dict[str, float]:
    """Every loss value of a compute report: overall and per ``--group-by`` slice."""
    values = {f"loss {k}": v["value"] for k, v in report["losses"].items()}
    slices = (report.get("group_by") or {}).get("slices", {})
    for name, part in slices.items():
        values[f"slice {name} rows"] = part["n_samples"]
        for label, entry in part["losses"].items():
            values[f"slice {name} {label}"] = entry["value"]
    return values


@pytest.mark.parametrize("case", list(CASES))
def test_streaming_in_tiny_chunks_equals_memory(case):
    file, *options = CASES[case]
    path = SAMPLES / file
    memory = compute("runner", path, *options, "--engine", "memory", "--format", "json")
    streamed = compute(
        "runner",
        path,
        *options,
        "--engine",
        "streaming",
        "--chunk-rows",
        "7",
        "--format",
        "json",
    )
    assert memory.code == 0, memory.stderr
    assert streamed.code == 0, streamed.stderr
    expected, got = _values(memory.json()), _values(streamed.json())
    assert got.keys() == expected.keys()
    assert len(expected) >= (5 if "--group-by" in options else 1)
    for key, value in expected.items():
        assert got[key] == pytest.approx(value, rel=1e-12, abs=1e-15), key
    assert streamed.json()["n_samples"] == memory.json()["n_samples"]
    assert streamed.json()["task"] == memory.json()["task"]
