"""select_columns: names, comma lists, globs, order, errors."""

from __future__ import annotations

import pytest

from losscli.io import select_columns
from tests.io.conftest import input_error

NAMES = ["id", "y", "p_cat", "p_dog", "pred_x", "a,b", "W"]


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("y", ["y"]),
        ("y,id", ["y", "id"]),
        ("p_*", ["p_cat", "p_dog"]),
        (["p_dog", "p_*"], ["p_dog", "p_cat"]),
        ("p_*,y", ["p_cat", "p_dog", "y"]),
        ("a,b", ["a,b"]),  # an exact name wins over comma splitting
        ("pred_?", ["pred_x"]),
        (" y , id ", ["y", "id"]),
        ("p_[cd]*", ["p_cat", "p_dog"]),
    ],
)
def test_selection(spec, expected):
    assert select_columns(NAMES, spec, file="f.csv") == expected


def test_unknown_name_lists_available():
    error = input_error(select_columns, NAMES, "yhat", file="f.csv")
    assert error.file == "f.csv"
    assert "no column named 'yhat'" in error.message
    assert "available columns: 'id', 'y', 'p_cat'" in error.message


def test_unmatched_glob():
    error = input_error(select_columns, NAMES, "q_*", file="f.csv")
    assert "no column matches the pattern 'q_*'" in error.message


def test_case_hint():
    error = input_error(select_columns, NAMES, "w", file="f.csv")
    assert "'W'" in error.hint


def test_long_list_is_cut():
    names = [f"c{i}" for i in range(100)]
    error = input_error(select_columns, names, "zz", file="f.csv")
    assert "(100 in all)" in error.message and "'c99'" not in error.message


def test_delimiter_hint_for_unsplit_header():
    error = input_error(select_columns, ["y\tyhat"], "y", file="f.csv")
    assert "--delimiter '\\t'" in error.hint
