"""The shared writers (losscli.render.formats) and the GitHub output (losscli.render.github)."""

from __future__ import annotations

import csv
import io
import json
import math
import os

import numpy as np
import pytest

from losscli.checks import evaluate_checks, parse_check
from losscli.errors import InputError
from losscli.render.formats import (
    Markdown,
    csv_column,
    csv_text,
    json_text,
    jsonable,
    markdown_escape,
    markdown_table,
    short_float,
    write_atomic,
)
from losscli.render.github import (
    annotation,
    annotation_lines,
    append_summary,
    escape_data,
    escape_property,
)


def test_jsonable_and_full_precision():
    document = {
        "a": np.float64(0.1) + np.float64(0.2),
        "b": (1, np.int64(2)),
        "c": float("nan"),
        "d": np.array([1.5, math.inf]),
        "e": True,
    }
    assert jsonable(document) == {
        "a": 0.30000000000000004,
        "b": [1, 2],
        "c": None,
        "d": [1.5, None],
        "e": True,
    }
    text = json_text(document)
    assert text.endswith("\n") and json.loads(text)["a"] == 0.1 + 0.2
    assert json.loads(json_text({"s": "é\x1b"})) == {"s": "é\x1b"}
    assert "\x1b" not in json_text({"s": "\x1b"})  # control characters are \u escapes


def test_csv_text_and_column_quoting():
    text = csv_text(["a", "b"], [["x,y", 0.1 + 0.2], ['q"r', None]])
    assert list(csv.reader(io.StringIO(text))) == [
        ["a", "b"],
        ["x,y", "0.30000000000000004"],
        ['q"r', ""],
    ]
    fields = csv_column(np.array(["plain", "a,b", 'say "hi"', "two\nlines"], dtype=object))
    assert fields.tolist() == ["plain", '"a,b"', '"say ""hi"""', '"two\nlines"']
    assert list(csv.reader(io.StringIO(",".join(fields[:3]) + "\n"))) == [
        ["plain", "a,b", 'say "hi"']
    ]


def test_markdown_escapes_data_but_not_markdown():
    assert markdown_escape("a|b [x](y) *z* <b>\n") == "a\\|b \\[x\\]\\(y\\) \\*z\\* \\<b\\> "
    table = markdown_table(["col|1", "v"], [[Markdown("**ok**"), 0.123456789], ["_x_", None]])
    assert table == ("| col\\|1 | v |\n|---|---|\n| **ok** | 0.123457 |\n| \\_x\\_ | — |\n")
    assert short_float(12345678.9) == "1.23457e+07"


def test_write_atomic_replaces_whole_or_not_at_all(tmp_path):
    target = tmp_path / "out.csv"
    write_atomic(target, "first\n")
    assert target.read_text() == "first\n"

    def broken():
        yield "partial\n"
        raise RuntimeError("disk on fire")

    with pytest.raises(RuntimeError):
        write_atomic(target, broken())
    assert target.read_text() == "first\n"  # the old file is untouched
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.csv"]  # no temp file left
    write_atomic(target, iter(["a", "b\n"]))
    assert target.read_text() == "ab\n"
    mode = os.stat(target).st_mode & 0o777
    assert mode == 0o666 & ~_umask()
    with pytest.raises(InputError, match="cannot write the file"):
        write_atomic(tmp_path / "missing" / "x.csv", "x")


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


def test_github_escapes():
    assert escape_data("50%\r\nnext::error::x") == "50%25%0D%0Anext::error::x"
    assert escape_property("a:b,c%\n") == "a%3Ab%2Cc%25%0A"
    assert annotation("error", "line1\nline2", title="t:1") == "::error title=t%3A1::line1%0Aline2"
    with pytest.raises(ValueError):
        annotation("fatal", "x")


def test_annotation_lines_for_failed_checks():
    results = evaluate_checks([(parse_check("mse>0.1"), "mse")], {"mse": 0.25})
    assert annotation_lines(results) == [
        "::error title=losscli check::check failed: mse > 0.1 (mse = 0.25)"
    ]


def test_append_summary(tmp_path):
    path = tmp_path / "summary.md"
    assert append_summary("# a", {}) is False
    assert append_summary("# a", {"GITHUB_STEP_SUMMARY": str(path)}) is True
    assert append_summary("# b\n", {"GITHUB_STEP_SUMMARY": str(path)}) is True
    assert path.read_text() == "# a\n\n# b\n\n"
    with pytest.raises(InputError, match="cannot append the summary"):
        append_summary("x", {"GITHUB_STEP_SUMMARY": str(tmp_path / "no" / "file.md")})
