"""pair_tables: by row order and joined on an id column."""

from __future__ import annotations

import numpy as np

from losscli.io import Table, pair_tables, read_table
from tests.io.conftest import input_error


def table(name, **columns):
    return Table(name, {k: np.asarray(v) for k, v in columns.items()}, first_line=2)


def test_by_order():
    targets = table("t.csv", y=[1.0, 2.0])
    predictions = table("p.csv", yhat=[1.5, 2.5])
    assert pair_tables(targets, predictions) == (targets, predictions)


def test_row_count_mismatch():
    error = input_error(pair_tables, table("t.csv", y=[1.0, 2.0]), table("p.csv", yhat=[1.0]))
    assert "2 target rows but 1 prediction rows in p.csv" in error.message
    assert "--id" in error.hint


def test_join_on_id_follows_target_order(write):
    targets = read_table(write("t.csv", "id,y\n3,30\n1,10\n2,20\n"))
    predictions = read_table(write("p.csv", "id,yhat\n1,11\n2,22\n3,33\n"))
    left, right = pair_tables(targets, predictions, id_column="id")
    np.testing.assert_array_equal(left.numeric("y"), [30, 10, 20])
    np.testing.assert_array_equal(right.numeric("yhat"), [33, 11, 22])
    assert [right.line_of(i) for i in range(3)] == [4, 2, 3]


def test_join_numeric_and_text_ids():
    targets = table("t.csv", id=np.array(["7", "8"], dtype=object), y=[1.0, 2.0])
    predictions = table("p.csv", id=[8.0, 7.0], yhat=[0.8, 0.7])
    _, right = pair_tables(targets, predictions, id_column="id")
    np.testing.assert_array_equal(right.columns["yhat"], [0.7, 0.8])


def test_string_ids():
    targets = table("t.csv", id=np.array(["b", "a"], dtype=object), y=[1.0, 2.0])
    predictions = table("p.csv", id=np.array(["a", "b"], dtype=object), yhat=[0.1, 0.2])
    _, right = pair_tables(targets, predictions, id_column="id")
    np.testing.assert_array_equal(right.columns["yhat"], [0.2, 0.1])


def test_missing_ids_named():
    targets = table("t.csv", id=[1.0, 2.0, 3.0], y=[1.0, 2.0, 3.0])
    predictions = table("p.csv", id=[1.0, 3.0], yhat=[1.0, 3.0])
    error = input_error(pair_tables, targets, predictions, id_column="id")
    assert (error.file, error.line, error.column) == ("t.csv", 3, "id")
    assert "1 id not found in p.csv: '2'" in error.message


def test_extra_ids_in_predictions_named():
    targets = table("t.csv", id=[1.0, 2.0], y=[1.0, 2.0])
    predictions = table("p.csv", id=[2.0, 1.0, 9.0, 10.0], yhat=[1.0, 2.0, 3.0, 4.0])
    error = input_error(pair_tables, targets, predictions, id_column="id")
    assert error.file == "p.csv" and error.line == 4
    assert "2 ids not found in t.csv: '9', '10'" in error.message


def test_duplicated_ids_named():
    targets = table("t.csv", id=[1.0, 2.0, 1.0], y=[1.0, 2.0, 3.0])
    predictions = table("p.csv", id=[1.0, 2.0, 3.0], yhat=[1.0, 2.0, 3.0])
    error = input_error(pair_tables, targets, predictions, id_column="id")
    assert (error.file, error.line, error.column) == ("t.csv", 4, "id")
    assert "duplicated ids '1'" in error.message


def test_id_column_missing():
    error = input_error(
        pair_tables, table("t.csv", id=[1.0]), table("p.csv", key=[1.0]), id_column="id"
    )
    assert error.file == "p.csv" and "available columns: 'key'" in error.message
