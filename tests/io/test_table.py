"""Table: line numbers, numeric conversion and its errors, take, concat."""

from __future__ import annotations

import numpy as np
import pytest

from losscli.errors import InputError
from losscli.io import Table, concat_tables


def make(**columns) -> Table:
    return Table(name="f.csv", columns={k: np.asarray(v) for k, v in columns.items()}, first_line=2)


def test_shape_and_names():
    table = make(a=[1.0, 2.0, 3.0], b=np.array(["x", "y", "z"], dtype=object))
    assert table.n_rows == 3
    assert table.names == ["a", "b"]
    assert table.line_of(0) == 2 and table.line_of(2) == 4


def test_numeric_returns_float64():
    table = make(a=[1.0, 2.5])
    assert table.numeric("a").dtype == np.float64
    np.testing.assert_array_equal(table.numeric("a"), [1.0, 2.5])


def test_numeric_parses_text_numbers():
    table = make(a=np.array(["1", " 2.5", "1e3"], dtype=object))
    np.testing.assert_array_equal(table.numeric("a"), [1.0, 2.5, 1000.0])


def test_numeric_text_error_names_line_and_column():
    table = make(a=np.array(["1", "2", "abc", "x"], dtype=object))
    with pytest.raises(InputError) as caught:
        table.numeric("a")
    error = caught.value
    assert (error.file, error.line, error.column) == ("f.csv", 4, "a")
    assert "'abc'" in error.message
    assert error.one_line().startswith("f.csv: line 4: column 'a': cannot parse 'abc'")


@pytest.mark.parametrize(("value", "text"), [(np.nan, "NaN"), (np.inf, "inf"), (-np.inf, "-inf")])
def test_numeric_non_finite_is_an_error(value, text):
    table = make(a=[0.0, 1.0, value])
    with pytest.raises(InputError) as caught:
        table.numeric("a")
    assert (caught.value.line, caught.value.column) == (4, "a")
    assert f"value {text} is not a finite number" in caught.value.message


def test_numeric_text_nan_is_an_error():
    table = make(a=np.array(["1", "nan", "x"], dtype=object))
    with pytest.raises(InputError) as caught:
        table.numeric("a")
    assert caught.value.line == 3
    assert "'nan' is not a finite number" in caught.value.message


def test_numeric_empty_value_reports_empty():
    table = Table(
        name="f.csv",
        columns={"a": np.array([1.0, np.nan])},
        first_line=2,
        missing={"a": np.array([False, True])},
    )
    with pytest.raises(InputError) as caught:
        table.numeric("a")
    assert caught.value.line == 3
    assert "empty value" in caught.value.message


def test_unknown_column_lists_available():
    table = make(a=[1.0], b=[2.0])
    with pytest.raises(InputError) as caught:
        table.numeric("c")
    assert "available columns: 'a', 'b'" in caught.value.message


def test_take_keeps_lines():
    table = make(a=[10.0, 11.0, 12.0, 13.0])
    taken = table.take(np.array([3, 1]))
    np.testing.assert_array_equal(taken.columns["a"], [13.0, 11.0])
    assert taken.line_of(0) == 5 and taken.line_of(1) == 3
    masked = table.take(np.array([False, True, False, True]))
    assert masked.line_of(1) == 5
    taken_bad = make(a=np.array(["1", "2", "x", "4"], dtype=object)).take(np.array([3, 2]))
    with pytest.raises(InputError) as caught:
        taken_bad.numeric("a")
    assert caught.value.line == 4


def test_concat_tables_lines():
    first = Table("f", {"a": np.array([1.0, 2.0])}, first_line=2)
    second = Table("f", {"a": np.array([3.0])}, first_line=4)
    joined = concat_tables([first, second])
    np.testing.assert_array_equal(joined.columns["a"], [1.0, 2.0, 3.0])
    assert joined.lines is None and joined.first_line == 2
    gap = concat_tables([first, Table("f", {"a": np.array([3.0])}, first_line=7)])
    assert gap.line_of(2) == 7
