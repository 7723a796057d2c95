"""Parquet: columns, types, nulls, chunks, corrupt files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from losscli.io import concat_tables, iter_tables, read_header, read_table
from tests.io.conftest import input_error

pl = pytest.importorskip("polars")


@pytest.fixture
def parquet(tmp_path):
    path = tmp_path / "d.parquet"
    pl.DataFrame(
        {
            "id": [1, 2, 3, 4, 5],
            "y": [0.5, 1.5, None, 3.5, 4.5],
            "flag": [True, False, True, True, False],
            "label": ["a", "b", None, "a", "c"],
        }
    ).write_parquet(path)
    return str(path)


def test_header(parquet):
    assert read_header(parquet) == ["id", "y", "flag", "label"]


def test_types_and_nulls(parquet):
    table = read_table(parquet)
    assert table.columns["id"].dtype == np.float64
    np.testing.assert_array_equal(table.columns["id"], [1, 2, 3, 4, 5])
    np.testing.assert_array_equal(table.columns["flag"], [1, 0, 1, 1, 0])
    assert table.columns["label"].tolist() == ["a", "b", "", "a", "c"]
    error = input_error(table.numeric, "y")
    assert (error.line, error.column) == (3, "y")  # for Parquet, "line" is the row number
    assert "empty value" in error.message


def test_only_requested_columns(parquet):
    table = read_table(parquet, columns=["label", "id"])
    assert table.names == ["label", "id"]


def test_pq_suffix(tmp_path):
    path = tmp_path / "d.pq"
    pl.DataFrame({"a": [1.0]}).write_parquet(path)
    assert read_table(str(path)).numeric("a").tolist() == [1.0]


def test_chunks(parquet):
    chunks = list(iter_tables(parquet, columns=["id", "label"], chunk_rows=2))
    assert [chunk.n_rows for chunk in chunks] == [2, 2, 1]
    assert [chunk.first_line for chunk in chunks] == [1, 3, 5]
    joined = concat_tables(chunks)
    np.testing.assert_array_equal(joined.columns["id"], [1, 2, 3, 4, 5])


def test_unknown_column(parquet):
    error = input_error(read_table, parquet, columns=["nope"])
    assert "available columns: 'id', 'y', 'flag', 'label'" in error.message


def test_corrupt_parquet(write):
    path = write("d.parquet", b"PAR1 this is not really parquet PAR1")
    error = input_error(read_table, path)
    assert error.file == path and "not a readable Parquet file" in error.message


def test_truncated_parquet(parquet, write):
    data = Path(parquet).read_bytes()
    path = write("cut.parquet", data[: len(data) // 2])
    error = input_error(read_table, path)
    assert "not a readable Parquet file" in error.message
    error = input_error(iter_tables, path, columns=["id"])
    assert "not a readable Parquet file" in error.message


def test_zero_rows(tmp_path):
    path = tmp_path / "e.parquet"
    pl.DataFrame({"a": pl.Series([], dtype=pl.Float64)}).write_parquet(path)
    error = input_error(read_table, str(path))
    assert "no data rows" in error.message
