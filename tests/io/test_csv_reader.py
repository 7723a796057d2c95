"""CSV reading: formats and options, and every malformed input with its file/line/column."""

from __future__ import annotations

import bz2
import gzip
import lzma
import os
import sys

import numpy as np
import pytest

from losscli.io import read_header, read_table
from tests.io.conftest import input_error

pytestmark = pytest.mark.usefixtures("both_readers")

SIMPLE = "y,yhat,label\n1,1.5,cat\n2,2.5,dog\n3,2,cat\n"


def assert_simple(table):
    np.testing.assert_array_equal(table.numeric("y"), [1.0, 2.0, 3.0])
    np.testing.assert_array_equal(table.numeric("yhat"), [1.5, 2.5, 2.0])
    assert table.columns["label"].tolist() == ["cat", "dog", "cat"]
    assert table.columns["label"].dtype == object
    assert table.first_line == 2


# ----------------------------------------------------------------------------- formats


def test_plain_csv(write):
    path = write("d.csv", SIMPLE)
    table = read_table(path)
    assert table.name == path
    assert table.names == ["y", "yhat", "label"]
    assert_simple(table)


def test_only_requested_columns_in_requested_order(write):
    table = read_table(write("d.csv", SIMPLE), columns=["yhat", "y"])
    assert table.names == ["yhat", "y"]
    np.testing.assert_array_equal(table.columns["yhat"], [1.5, 2.5, 2.0])


def test_tsv_means_tab(write):
    assert_simple(read_table(write("d.tsv", SIMPLE.replace(",", "\t"))))


def test_delimiter_option(write):
    path = write("d.txt", SIMPLE.replace(",", ";"))
    assert_simple(read_table(path, delimiter=";"))
    assert read_header(path, delimiter=";") == ["y", "yhat", "label"]


@pytest.mark.parametrize(
    ("suffix", "compress"),
    [(".csv.gz", gzip.compress), (".csv.bz2", bz2.compress), (".csv.xz", lzma.compress)],
)
def test_compressed(write, suffix, compress):
    path = write("d" + suffix, compress(SIMPLE.encode()))
    assert read_header(path) == ["y", "yhat", "label"]
    assert_simple(read_table(path))


def test_gzip_tsv(write):
    assert_simple(read_table(write("d.tsv.gz", gzip.compress(SIMPLE.replace(",", "\t").encode()))))


def test_no_header_names_columns_by_position(write):
    path = write("d.csv", "1,0.5\n0,0.25\n")
    assert read_header(path, has_header=False) == ["0", "1"]
    table = read_table(path, has_header=False)
    assert table.names == ["0", "1"]
    assert table.first_line == 1
    np.testing.assert_array_equal(table.numeric("1"), [0.5, 0.25])


def test_encoding_latin1(write):
    path = write("d.csv", "name,y\ncafé,1\nnaïve,2\n".encode("latin-1"))
    table = read_table(path, encoding="latin-1")
    assert table.columns["name"].tolist() == ["café", "naïve"]


def test_encoding_utf16(write):
    path = write("d.csv", "ä,y\nö,1\n".encode("utf-16"))
    table = read_table(path, encoding="utf-16")
    assert table.names == ["ä", "y"] and table.columns["ä"].tolist() == ["ö"]


def test_utf8_bom_is_dropped(write):
    path = write("d.csv", b"\xef\xbb\xbfy,yhat\n1,2\n")
    assert read_header(path) == ["y", "yhat"]
    assert read_table(path).numeric("y").tolist() == [1.0]


def test_crlf_line_endings(write):
    table = read_table(write("d.csv", SIMPLE.replace("\n", "\r\n")))
    assert_simple(table)


def test_quoted_fields_and_literal_names(write):
    path = write("d.csv", 'y,"a,b","[bold]x"\n1,"x, y","[red]z\x1b[0m"\n')
    table = read_table(path)
    assert table.names == ["y", "a,b", "[bold]x"]
    assert table.columns["a,b"].tolist() == ["x, y"]
    assert table.columns["[bold]x"].tolist() == ["[red]z\x1b[0m"]


def test_integer_like_text_column_becomes_float(write):
    # the first rows decide the fast path's types; a later float must still parse
    rows = "\n".join(str(i) for i in range(1500)) + "\n2.5\n"
    table = read_table(write("d.csv", "y\n" + rows))
    assert table.columns["y"].dtype == np.float64
    assert table.columns["y"][-1] == 2.5


def test_text_after_numeric_sample_becomes_text_and_errors_at_its_line(write):
    rows = "".join(f"{i}\n" for i in range(1500)) + "oops\n"
    table = read_table(write("d.csv", "y\n" + rows))
    assert table.columns["y"].dtype == object
    error = input_error(table.numeric, "y")
    assert (error.line, error.column) == (1502, "y")
    assert "'oops'" in error.message


def test_blank_lines_are_skipped_and_lines_kept(write):
    table = read_table(write("d.csv", "y,x\n1,a\n\n2,bad\n\n"))
    assert table.columns["y"].tolist() == [1.0, 2.0]
    assert table.line_of(1) == 4
    error = input_error(table.numeric, "x")
    assert error.line == 2


def test_quoted_newline_keeps_line_numbers(write):
    table = read_table(write("d.csv", 'note,y\n"two\nlines",1\nok,x\n'))
    assert table.columns["note"].tolist() == ["two\nlines", "ok"]
    error = input_error(table.numeric, "y")
    assert (error.line, error.column) == (4, "y")


def test_nan_and_inf_read_but_rejected_by_numeric(write):
    table = read_table(write("d.csv", "y\n1\nnan\ninf\n"))
    assert np.isnan(table.columns["y"][1])
    error = input_error(table.numeric, "y")
    assert (error.line, error.column) == (3, "y")
    assert "NaN" in error.message


def test_inf_reported_with_its_line(write):
    table = read_table(write("d.csv", "a,y\nq,1\nr,-inf\n"))
    error = input_error(table.numeric, "y")
    assert (error.line, error.column) == (3, "y")


def test_empty_value_in_numeric_column(write):
    table = read_table(write("d.csv", "y,z\n1,2\n,3\n"))
    error = input_error(table.numeric, "y")
    assert (error.line, error.column) == (3, "y")
    assert "empty value" in error.message


def test_stdin(monkeypatch, tmp_path):
    import io

    import losscli.io.sources as sources

    monkeypatch.setattr(sources, "_stdin_copy", None)
    fake = io.TextIOWrapper(io.BytesIO(gzip.compress(SIMPLE.encode())))
    monkeypatch.setattr(sys, "stdin", fake)
    assert read_header("-") == ["y", "yhat", "label"]
    table = read_table("-")
    assert table.name == "<stdin>"
    assert_simple(table)
    sources._remove_stdin_copy()


# ----------------------------------------------------------------------------- errors


def test_missing_file(tmp_path):
    error = input_error(read_table, str(tmp_path / "nope.csv"))
    assert error.file == str(tmp_path / "nope.csv") and "no such file" in error.message


def test_directory(tmp_path):
    error = input_error(read_table, str(tmp_path))
    assert "directory" in error.message


@pytest.mark.skipif(os.geteuid() == 0 if hasattr(os, "geteuid") else True, reason="root reads all")
def test_unreadable(write):
    path = write("d.csv", SIMPLE)
    os.chmod(path, 0)
    error = input_error(read_table, path)
    assert "permission denied" in error.message


def test_unreadable_via_open_error(write, monkeypatch):
    # root can read anything, so simulate the access check failing
    path = write("d.csv", SIMPLE)
    monkeypatch.setattr(os, "access", lambda *a, **k: False)
    error = input_error(read_table, path)
    assert error.file == path and "permission denied" in error.message


def test_empty_file(write):
    error = input_error(read_table, write("d.csv", ""))
    assert "empty" in error.message


def test_empty_gzip(write):
    error = input_error(read_table, write("d.csv.gz", gzip.compress(b"")))
    assert "empty" in error.message


def test_header_without_rows(write):
    error = input_error(read_table, write("d.csv", "y,yhat\n"))
    assert "no data rows" in error.message
    assert "--no-header" in error.hint


def test_ragged_short_row(write):
    path = write("d.csv", "y,yhat,w\n1,2,3\n4,5,6\n7,8\n")
    error = input_error(read_table, path, columns=["y", "yhat"])
    assert (error.file, error.line, error.column) == (path, 4, "w")
    assert "ragged row: 2 fields, the header has 3" in error.message


def test_ragged_long_row(write):
    path = write("d.csv", "y,yhat\n1,2\n4,5,6\n")
    error = input_error(read_table, path)
    assert (error.line, error.column) == (3, None)
    assert "3 fields, the header has 2" in error.message


def test_unparsable_number_named_at_line(write):
    path = write("d.csv", "y,yhat\n1,2\n3,4\n5,1.2.3\n")
    table = read_table(path)
    error = input_error(table.numeric, "yhat")
    assert (error.file, error.line, error.column) == (path, 4, "yhat")
    assert "'1.2.3'" in error.message


def test_undecodable_bytes(write):
    path = write("d.csv", b"name,y\nok,1\ncaf\xe9,2\n")
    error = input_error(read_table, path)
    assert (error.file, error.line, error.column) == (path, 3, "name")
    assert "--encoding" in error.hint


def test_undecodable_bytes_in_gzip(write):
    path = write("d.csv.gz", gzip.compress(b"y,name\n1,ok\n2,ok\n3,\xff\xfe\n"))
    error = input_error(read_table, path)
    assert (error.line, error.column) == (4, "name")


def test_undecodable_with_given_encoding(write):
    path = write("d.csv", "y,name\n1,ok\n2,é\n".encode())
    error = input_error(read_table, path, encoding="ascii")
    assert (error.line, error.column) == (3, "name")
    assert "cannot be decoded as ascii" in error.message


def test_unknown_encoding(write):
    error = input_error(read_table, write("d.csv", SIMPLE), encoding="klingon")
    assert "unknown encoding" in error.message


def test_wrong_delimiter_suggests_the_right_one(write):
    from losscli.io import select_columns

    path = write("d.csv", "y;yhat\n1;2\n")
    names = read_header(path)
    assert names == ["y;yhat"]
    error = input_error(select_columns, names, "y", file=path)
    assert "--delimiter ';'" in error.hint


def test_ragged_row_from_wrong_delimiter_suggests_it(write):
    path = write("d.csv", "y,yhat\n1,2\n3;4\n")
    error = input_error(read_table, path)
    assert error.line == 3 and "--delimiter ';'" in error.hint


def test_duplicate_column_names(write):
    path = write("d.csv", "y,p,y\n1,2,3\n")
    error = input_error(read_header, path)
    assert (error.line, error.column) == (1, "y")
    assert "duplicate column name 'y' (columns 1 and 3)" in error.message
    error = input_error(read_table, path)
    assert "duplicate" in error.message


@pytest.mark.parametrize(
    ("suffix", "kind", "compress"),
    [
        (".csv.gz", "gzip", gzip.compress),
        (".csv.bz2", "bz2", bz2.compress),
        (".csv.xz", "xz", lzma.compress),
    ],
)
def test_truncated_compressed_file(write, suffix, kind, compress):
    body = SIMPLE * 200
    data = compress(body.encode())
    path = write("d" + suffix, data[: len(data) // 2])
    error = input_error(read_table, path)
    assert error.file == path
    assert f"corrupt or truncated {kind} data" in error.message


def test_gzip_name_but_not_gzip(write):
    path = write("d.csv.gz", b"\x1f\x8bthis is not gzip at all")
    error = input_error(read_table, path)
    assert "corrupt or truncated gzip" in error.message


def test_unknown_column_lists_available(write):
    error = input_error(read_table, write("d.csv", SIMPLE), columns=["nope"])
    assert "no column named 'nope'; available columns: 'y', 'yhat', 'label'" in error.message


def test_bad_delimiter_option(write):
    error = input_error(read_table, write("d.csv", SIMPLE), delimiter=";;")
    assert "--delimiter" in error.message


def test_tab_delimiter_alias(write):
    assert_simple(read_table(write("d.txt", SIMPLE.replace(",", "\t")), delimiter="\\t"))


def test_no_polars_exception_escapes_on_garbage(write):
    path = write("d.csv", b'y,x\n1,"unterminated\n2,3\n')
    with pytest.raises(Exception) as caught:
        read_table(path)
    from losscli.errors import InputError

    assert isinstance(caught.value, InputError)


def test_stdin_copy_follows_a_new_stdin(monkeypatch):
    import io

    import losscli.io.sources as sources

    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"a\n1\n")))
    assert read_table("-").numeric("a").tolist() == [1.0]
    monkeypatch.setattr(sys, "stdin", io.StringIO("b\n2\n"))  # text-only stream
    assert read_table("-").numeric("b").tolist() == [2.0]
    sources._remove_stdin_copy()


def test_no_header_on_a_file_with_header_hints(write):
    table = read_table(write("d.csv", "y,p\n1,2\n"), has_header=False)
    error = input_error(table.numeric, "0")
    assert error.line == 1 and "leave out --no-header" in error.hint


def test_unterminated_quote(write):
    path = write("d.csv", 'y,x\n1,2\n3,"open\n')
    error = input_error(read_table, path)
    assert error.line == 3 and "malformed CSV: unexpected end of data" in error.message


def test_lone_quote_in_unquoted_field(write):
    path = write("d.csv", 'y,x\n1,2\n3,ab"c\n4,5\n')
    error = input_error(read_table, path)
    assert error.line == 3 and "unbalanced quote" in error.message


def test_text_after_closing_quote(write):
    path = write("d.csv", 'y,x\n1,2\n"3"4,5\n')
    error = input_error(read_table, path)
    assert error.line == 3 and "malformed CSV" in error.message


def test_whitespace_only_counts_as_empty(write):
    table = read_table(write("d.csv", "y,x\n1,a\n  ,b\n3,c\n"))
    assert table.columns["y"].dtype == np.float64
    error = input_error(table.numeric, "y")
    assert error.line == 3 and "empty value" in error.message


def test_blank_lines_before_data(write):
    table = read_table(write("d.csv", "\ny,x\n\n\n1,2\n3,4\n"))
    assert table.first_line == 5 and table.line_of(1) == 6
    assert table.numeric("y").tolist() == [1.0, 3.0]


def test_first_row_wider_than_header(write):
    path = write("d.csv", "y,x\n1,2,3\n1,2,3\n")
    error = input_error(read_table, path, columns=["y"])
    assert error.line == 2 and "3 fields, the header has 2" in error.message


def test_utf8_bom_without_header(write):
    path = write("d.csv", b"\xef\xbb\xbf1,2\n3,4\n")
    assert read_table(path, has_header=False).numeric("0").tolist() == [1.0, 3.0]
