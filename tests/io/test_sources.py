"""expand_paths and file_size."""

from __future__ import annotations

import gzip

from losscli.io import expand_paths, file_size
from tests.io.conftest import input_error


def test_expand_sorted(write, tmp_path):
    for name in ("b.csv", "a.csv", "c.txt"):
        write(name, "y\n1\n")
    (tmp_path / "dir.csv").mkdir()
    assert expand_paths(str(tmp_path / "*.csv")) == [
        str(tmp_path / "a.csv"),
        str(tmp_path / "b.csv"),
    ]


def test_expand_plain_path_and_stdin(tmp_path):
    assert expand_paths("-") == ["-"]
    assert expand_paths(str(tmp_path / "x.csv")) == [str(tmp_path / "x.csv")]


def test_expand_no_match(tmp_path):
    error = input_error(expand_paths, str(tmp_path / "*.parquet"))
    assert "no file matches" in error.message


def test_file_size(write):
    assert file_size(write("d.csv", "y\n1\n")) == 4
    assert file_size("-") is None
    assert file_size("/nonexistent/x.csv") is None
    body = b"y\n" + b"1\n" * 100_000
    compressed = gzip.compress(body)
    assert file_size(write("d.csv.gz", compressed)) == max(len(body), 4 * len(compressed))
