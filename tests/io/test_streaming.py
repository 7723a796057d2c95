"""iter_tables: chunks concatenated equal read_table; lines per chunk; gzip streamed."""

from __future__ import annotations

import gzip

import numpy as np
import pytest

from losscli.io import concat_tables, iter_tables, read_table
from tests.io.conftest import input_error

pytestmark = pytest.mark.usefixtures("both_readers")


def rows_text(n: int) -> str:
    return "".join(f"{i},{i * 0.5},{'ab'[i % 2]}\n" for i in range(n))


def assert_same(chunks, whole):
    joined = concat_tables(chunks)
    assert joined.names == whole.names
    for name in whole.names:
        np.testing.assert_array_equal(joined.columns[name], whole.columns[name])
    np.testing.assert_array_equal(joined.line_numbers(), whole.line_numbers())


@pytest.mark.parametrize("chunk_rows", [1, 3, 7, 100, 10_000])
def test_chunks_concatenate_to_read_table(write, chunk_rows):
    path = write("d.csv", "i,x,label\n" + rows_text(250))
    chunks = list(iter_tables(path, columns=["x", "label"], chunk_rows=chunk_rows))
    assert all(chunk.n_rows == chunk_rows for chunk in chunks[:-1])
    assert 0 < chunks[-1].n_rows <= chunk_rows
    assert_same(chunks, read_table(path, columns=["x", "label"]))


def test_first_line_per_chunk(write):
    path = write("d.csv", "i,x,label\n" + rows_text(10))
    chunks = list(iter_tables(path, columns=["i"], chunk_rows=4))
    assert [chunk.first_line for chunk in chunks] == [2, 6, 10]
    assert [chunk.n_rows for chunk in chunks] == [4, 4, 2]
    np.testing.assert_array_equal(chunks[1].numeric("i"), [4.0, 5.0, 6.0, 7.0])


def test_many_small_blocks(write, monkeypatch):
    # force many blocks so records are cut at block boundaries, quoted newlines included
    import losscli.io.csv_stream as csv_stream

    monkeypatch.setattr(csv_stream, "MIN_BLOCK_BYTES", 64)
    monkeypatch.setattr(csv_stream, "MAX_BLOCK_BYTES", 64)
    body = "".join(f'{i},"note\n{i}, with ""quotes""",{i % 3}\n' for i in range(60))
    path = write("d.csv", "i,note,y\n" + body)
    chunks = list(iter_tables(path, columns=["i", "note", "y"], chunk_rows=5))
    whole = read_table(path)
    assert_same(chunks, whole)
    assert whole.columns["note"][7] == 'note\n7, with "quotes"'
    assert whole.line_of(7) == 2 + 2 * 7


def test_gzip_is_streamed(write, monkeypatch):
    import losscli.io.csv_reader as csv_reader
    import losscli.io.csv_stream as csv_stream

    monkeypatch.setattr(csv_reader, "SMALL_FILE_ROWS", 0)  # a small file, read as a big one
    monkeypatch.setattr(csv_stream, "MIN_BLOCK_BYTES", 256)
    monkeypatch.setattr(csv_stream, "MAX_BLOCK_BYTES", 256)
    text = "i,x,label\n" + rows_text(500)
    path = write("d.csv.gz", gzip.compress(text.encode()))
    reads: list[int] = []
    original = csv_stream._parse_block

    def spy(source, block, *args):
        reads.append(len(block))
        return original(source, block, *args)

    monkeypatch.setattr(csv_stream, "_parse_block", spy)
    chunks = list(iter_tables(path, columns=["i", "x"], chunk_rows=50))
    assert max(reads) <= 512 < len(text)  # never the whole inflated file at once
    assert len(reads) > 10
    whole = read_table(write("plain.csv", text), columns=["i", "x"])
    for name in ("i", "x"):
        np.testing.assert_array_equal(concat_tables(chunks).columns[name], whole.columns[name])


def test_blank_lines_in_stream(write):
    path = write("d.csv", "y\n1\n\n2\n3\n\n\n4\n")
    chunks = list(iter_tables(path, columns=["y"], chunk_rows=2))
    assert [chunk.numeric("y").tolist() for chunk in chunks] == [[1.0, 2.0], [3.0, 4.0]]
    assert chunks[0].line_of(1) == 4 and chunks[1].line_of(1) == 8


def test_error_in_a_later_chunk_names_its_line(write):
    path = write("d.csv", "i,x,label\n" + rows_text(40) + "40,20\n")
    error = input_error(iter_tables, path, columns=["x"], chunk_rows=7)
    assert (error.line, error.column) == (42, "label")
    assert "ragged row" in error.message


def test_non_numeric_value_in_chunk(write):
    path = write("d.csv", "x\n" + "".join(f"{i}\n" for i in range(20)) + "bad\n")
    chunks = list(iter_tables(path, columns=["x"], chunk_rows=8))
    error = input_error(chunks[-1].numeric, "x")
    assert error.line == 22


def test_no_header_streams(write):
    path = write("d.csv", "1,2\n3,4\n5,6\n")
    chunks = list(iter_tables(path, columns=["1"], chunk_rows=2, has_header=False))
    assert [chunk.first_line for chunk in chunks] == [1, 3]
    assert concat_tables(chunks).numeric("1").tolist() == [2.0, 4.0, 6.0]


def test_latin1_streams(write):
    path = write("d.csv", "n,y\né,1\nü,2\n".encode("latin-1"))
    chunks = list(iter_tables(path, columns=["n"], chunk_rows=1, encoding="latin-1"))
    assert [chunk.columns["n"].tolist() for chunk in chunks] == [["é"], ["ü"]]


def test_header_only_stream_is_an_error(write):
    error = input_error(iter_tables, write("d.csv", "a,b\n"), columns=["a"])
    assert "no data rows" in error.message


def test_corrupt_gzip_stream(write):
    data = gzip.compress(("i,x,label\n" + rows_text(3000)).encode())
    path = write("d.csv.gz", data[: len(data) // 2])
    error = input_error(iter_tables, path, columns=["x"], chunk_rows=100)
    assert "corrupt or truncated gzip data" in error.message


def test_blank_line_in_a_later_polars_batch(write):
    # the first batches are clean; the blank line makes a later one fall back to the block
    # reader, which must skip exactly the rows already yielded
    path = write("d.csv", "y\n1\n2\n3\n4\n5\n\n6\n7\n")
    chunks = list(iter_tables(path, columns=["y"], chunk_rows=2))
    assert [chunk.numeric("y").tolist() for chunk in chunks] == [[1, 2], [3, 4], [5, 6], [7]]
    assert [chunk.first_line for chunk in chunks] == [2, 4, 6, 9]
    assert chunks[2].line_of(1) == 8


def test_long_row_in_a_later_batch(write):
    path = write("d.csv", "a,b\n" + "1,2\n" * 30 + "1,2,3\n" + "1,2\n" * 5)
    error = input_error(iter_tables, path, columns=["a"], chunk_rows=4)
    assert error.line == 32 and "3 fields, the header has 2" in error.message


@pytest.mark.parametrize("name", ["d.csv", "d.csv.gz"])
def test_stopping_early_releases_the_reader(write, monkeypatch, name):
    import threading

    import losscli.io.csv_stream as csv_stream

    monkeypatch.setattr(csv_stream, "MIN_BLOCK_BYTES", 128)
    monkeypatch.setattr(csv_stream, "MAX_BLOCK_BYTES", 128)
    data = ("i,x,label\n" + rows_text(2000)).encode()
    path = write(name, gzip.compress(data) if name.endswith(".gz") else data)
    before = threading.active_count()
    chunks = iter_tables(path, columns=["i"], chunk_rows=10)
    first = next(chunks)
    assert first.numeric("i").tolist() == list(range(10))
    chunks.close()  # what a `break` out of a for loop does
    assert threading.active_count() == before
