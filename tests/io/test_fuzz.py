"""Property: whatever the bytes, reading either succeeds or raises InputError (never a
polars/codec exception), and streamed chunks always equal the whole read."""

from __future__ import annotations

import contextlib

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from losscli.errors import InputError
from losscli.io import concat_tables, iter_tables, read_table

FIELD = st.one_of(
    st.sampled_from(["1", "2.5", "-3e2", "", "nan", "inf", "x", '"q,uoted"', '"a\nb"', " 4 "]),
    st.text(alphabet='0123456789.,;"\n\r\t ab\xe9', max_size=4),
)
ROW = st.lists(FIELD, min_size=1, max_size=4).map(",".join)
CSV = st.lists(ROW, min_size=0, max_size=12).map(lambda rows: "\n".join(rows) + "\n")


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(text=CSV, chunk_rows=st.integers(min_value=1, max_value=5), no_header=st.booleans())
def test_read_never_escapes_and_streams_equal(tmp_path, text, chunk_rows, no_header):
    path = tmp_path / "f.csv"
    path.write_bytes(text.encode("utf-8"))
    try:
        whole = read_table(str(path), has_header=not no_header)
    except InputError:
        whole = None
    # the whole read goes through the small-file reader, the chunks through polars
    import losscli.io.csv_reader as csv_reader

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(csv_reader, "SMALL_FILE_ROWS", 0)
        try:
            chunks = list(
                iter_tables(
                    str(path), columns=None, chunk_rows=chunk_rows, has_header=not no_header
                )
            )
        except InputError:
            chunks = None
    assert (whole is None) == (chunks is None), "read_table and iter_tables disagree"
    if whole is None:
        return
    joined = concat_tables(chunks)
    assert joined.names == whole.names
    np.testing.assert_array_equal(joined.line_numbers(), whole.line_numbers())
    for name in whole.names:
        left, right = joined.columns[name], whole.columns[name]
        if left.dtype == object or right.dtype == object:
            # per-chunk typing: compare as text of the numbers
            left = [_text(v) for v in left]
            right = [_text(v) for v in right]
            assert left == right
        else:
            np.testing.assert_array_equal(left, right)
        for reader in (whole, joined):
            try:
                reader.numeric(name)
            except InputError as error:
                assert error.line is not None and error.column == name


def _text(value) -> str:
    if isinstance(value, float):
        return "" if np.isnan(value) else repr(float(value))
    try:
        number = float(value)
    except ValueError:
        return value
    return "" if np.isnan(number) else repr(number)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    data=st.binary(max_size=200), suffix=st.sampled_from([".csv", ".csv.gz", ".parquet", ".csv.xz"])
)
def test_garbage_bytes_only_raise_input_error(tmp_path, data, suffix):
    path = tmp_path / ("g" + suffix)
    path.write_bytes(data)
    with contextlib.suppress(InputError):
        read_table(str(path))
    with contextlib.suppress(InputError):
        list(iter_tables(str(path), columns=None, chunk_rows=2))


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=CSV, chunk_rows=st.integers(min_value=1, max_value=5), block=st.integers(8, 64))
def test_gzip_block_reader_equals_whole_read(tmp_path, monkeypatch, text, chunk_rows, block):
    import gzip

    import losscli.io.csv_reader as csv_reader
    import losscli.io.csv_stream as csv_stream

    monkeypatch.setattr(csv_reader, "SMALL_FILE_ROWS", 0)
    monkeypatch.setattr(csv_stream, "MIN_BLOCK_BYTES", block)
    monkeypatch.setattr(csv_stream, "MAX_BLOCK_BYTES", block)
    plain = tmp_path / "f.csv"
    plain.write_bytes(text.encode("utf-8"))
    packed = tmp_path / "f.csv.gz"
    packed.write_bytes(gzip.compress(text.encode("utf-8")))
    try:
        whole = read_table(str(plain))
    except InputError as error:
        with pytest.raises(InputError) as caught:
            list(iter_tables(str(packed), columns=None, chunk_rows=chunk_rows))
        if '"' not in text:
            # with malformed quoting, where the first error shows depends on the blocks
            assert (caught.value.line, caught.value.column) == (error.line, error.column)
        return
    joined = concat_tables(list(iter_tables(str(packed), columns=None, chunk_rows=chunk_rows)))
    np.testing.assert_array_equal(joined.line_numbers(), whole.line_numbers())
    for name in whole.names:
        assert [_text(v) for v in joined.columns[name]] == [_text(v) for v in whole.columns[name]]
