"""The pictures and the machine formats of ``recommend``."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
from rich.console import Console

from losscli.recommend import recommend
from losscli.render.recommend import (
    bar,
    histogram_rows,
    json_report,
    markdown_report,
    print_table,
)


def test_bar_is_drawn_to_an_eighth():
    assert bar(1.0, 4) == "████"
    assert bar(0.5, 4) == "██"
    assert bar(0.5 + 1 / 32, 4) == "██▏"  # 2.125 characters: two full and one eighth
    assert bar(0.0, 4) == ""
    assert bar(2.0, 3) == "███"  # clipped


def test_histogram_counts_every_value_and_marks_the_fences():
    values = np.concatenate([np.linspace(-1.0, 1.0, 101), [30.0, 40.0]])
    q1, q3 = np.percentile(values, [25, 75])
    iqr = q3 - q1
    inner = (q1 - 1.5 * iqr, q3 + 1.5 * iqr)
    outer = (q1 - 3 * iqr, q3 + 3 * iqr)
    rows = histogram_rows(values, inner, outer, bins=10)
    assert sum(count for _, count, _ in rows) == values.size
    # the two extreme points sit in the overflow row beyond the 3×IQR fence
    assert rows[-1][0].startswith(">")
    assert rows[-1][1] == 2
    assert rows[-1][2] == "beyond the 3×IQR fence"
    assert any("1.5×IQR fence" in mark for _, _, mark in rows)


def test_json_report_is_strict_json_without_nan():
    # an infinite statistic (here forced into the evidence) -> null in JSON
    a = np.array([1.0, 0.0] * 10)
    b = np.array([1.0, 1.0, 0.0, 0.0] * 5)
    result = recommend({"a": a, "b": b})
    result = dataclasses.replace(
        result, evidence=dataclasses.replace(result.evidence, imbalance_ratio=float("inf"))
    )
    text = json_report(result)
    document = json.loads(text)  # would fail on Infinity/NaN with strict parsers
    assert "Infinity" not in text and "NaN" not in text
    assert document["evidence"]["imbalance_ratio"] is None


def test_markdown_escapes_column_names():
    y = np.array(["a|b", "c", "a|b", "c", "d"], dtype=object)
    text = markdown_report(recommend({"col|<x>": y}))
    assert "a\\|b" in text
    assert "<x>" not in text


def test_table_renders_at_narrow_width_with_counts_visible():
    y = np.concatenate([np.linspace(0, 1, 200), [9.0, 12.0]])
    console = Console(width=80, record=True, force_terminal=False, no_color=True)
    print_table(recommend({"y": y}), console)
    text = console.export_text()
    assert "Histogram of targets" in text
    assert "count" in text  # the column survives at 80 columns
    assert "Alternatives" in text
