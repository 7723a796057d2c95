"""The CSV readers' numeric guess on the header sample: the joined-regex fast path must
give the answers of the cell-by-cell check it replaces, whatever the cells hold."""

from __future__ import annotations

import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from losscli.io.csv_reader import _NUMBER_CELLS, _all_numbers, _is_number, _numeric_guess


def _outcome(function, *args):
    """What ``function(*args)`` returns, or the type of what it raises: the fast path must
    also keep the old exceptions (``parse_number`` fails on "ınf", which NUMBER_PATTERN's
    Unicode case folding takes for "inf")."""
    try:
        return function(*args)
    except Exception as error:  # compared, not handled
        return type(error)


def _cell_by_cell_guess(names, wanted, sample, text_columns=()):
    """_numeric_guess as written before the joined regex: one _is_number call per cell."""
    index = {name: i for i, name in enumerate(names)}
    return {
        name: name not in text_columns
        and all(_is_number(row[index[name]]) for row in sample if index[name] < len(row))
        for name in wanted
    }


EDGE_CELLS = [
    "",
    " ",
    "\t",
    " \t ",
    "\xa0",  # blank to str.strip, not to the regex
    "\r",
    "\n",
    " 1\n",
    "1\n2",
    "\n1",
    "0",
    "7",
    "-3",
    "+4",
    "0.09484515240877205",
    " 1 ",
    "\t-2.5e-3\t",
    "1e5",
    "1E+05",
    "1e",
    "e5",
    ".",
    ".5",
    "5.",
    "1.2.3",
    "--1",
    "+-1",
    "1 2",
    "0x10",
    "1e400",
    "1_000",  # float() takes it, polars does not
    "１２",  # non-ASCII digits: likewise
    "inf",
    "-Inf",
    "INFINITY",
    "infinity",
    "+infinity",
    "infin",
    "nan",
    "NaN",
    "-nan",
    "ınf",  # dotless i
    "İnf",  # dotted capital I
    "∞",
    "abc",
    "cat",
    "True",
]


@pytest.mark.parametrize("cell", EDGE_CELLS)
def test_all_numbers_matches_the_cell_check_on_edge_cells(cell):
    for cells in ([cell], ["1", cell], [cell, "2.5", cell], [" ", cell, ""]):
        expected = _outcome(lambda cs: all(_is_number(c) for c in cs), cells)
        assert _outcome(_all_numbers, cells) == expected, cells


def test_all_numbers_of_no_cells():
    assert _all_numbers([]) is True


def test_plain_columns_take_the_joined_regex():
    # The fast path answers for number columns with blanks, so the per-cell loop
    # (the old cost) only runs for columns it rejects.
    cells = ["7", "0.0948", " 1e-3 ", "", "\t", "-inf", "NaN", "infinity", "+.5", "5."]
    assert _NUMBER_CELLS.fullmatch("\n".join(cells))
    for bad in ("cat", "1_000", "\xa0", "1e", "ınf"):
        assert not _NUMBER_CELLS.fullmatch("\n".join([*cells, bad]))


@pytest.mark.parametrize("cell", ["123", "  ", "1.5e3", "infinity", "12 "])
def test_a_failing_column_costs_linear_time(cell):
    # Cells that a backtracking regex could split in several ways, then a word: without
    # atomic cells this takes exponential time.
    cells = [cell] * 20_000 + ["abc"]
    start = time.perf_counter()
    assert _all_numbers(cells) is False
    assert time.perf_counter() - start < 2.0


def test_numeric_guess_on_ragged_rows_and_text_columns():
    names = ["label", "p", "q", "extra"]
    sample = [["cat", "0.5", "1"], ["dog", "0.25"], ["cat", "x", "2", "3"], ["7", "1e3", ""]]
    for text_columns in ((), ("p",), ("label", "q")):
        assert _numeric_guess(names, names, sample, text_columns) == _cell_by_cell_guess(
            names, names, sample, text_columns
        )
    assert _numeric_guess(names, names, sample) == {
        "label": False,
        "p": False,
        "q": True,
        "extra": True,
    }
    assert _numeric_guess(names, ["q"], []) == {"q": True}


CELL = st.one_of(
    st.sampled_from(EDGE_CELLS),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.integers(-(10**20), 10**20).map(str),
    st.text(alphabet=" \t\n\r\xa00123456789.eE+-_infatyINFATYx", max_size=8),
)


@settings(max_examples=300, deadline=None, derandomize=True)
@given(
    width=st.integers(1, 4),
    rows=st.lists(st.lists(CELL, min_size=0, max_size=5), min_size=0, max_size=12),
    text=st.sets(st.integers(0, 3)),
    numeric_rows=st.integers(0, 30),
)
def test_numeric_guess_matches_the_cell_by_cell_check(width, rows, text, numeric_rows):
    names = [f"c{i}" for i in range(width)]
    # Mostly-number columns (the fast path's case) with the drawn rows mixed in.
    sample = [[repr(i * 0.25 - 2.0)] * width for i in range(numeric_rows)] + rows
    text_columns = {names[i] for i in text if i < width}
    got = _outcome(_numeric_guess, names, names, sample, text_columns)
    assert got == _outcome(_cell_by_cell_guess, names, names, sample, text_columns)
