"""QA issue 3 (round 3): exact ids and group keys, nested Parquet columns, strict numbers."""

from __future__ import annotations

import json

import numpy as np
import pytest

from losscli.io import iter_tables, pair_tables, read_table
from losscli.io.table import parse_number
from tests.io.conftest import input_error

BIG_T = "id,y\n1234567890123456789,1.5\n1234567890123456790,2.5\n5,3.5\n"
BIG_P = "id,yhat\n1234567890123456790,2\n1234567890123456789,1\n5,4\n"


def _compute(runner, *args: str):
    from losscli.cli.main import app

    return runner.invoke(app, ["compute", *args, "-f", "json"])


# --------------------------------------------------------------------------- ids


@pytest.mark.usefixtures("both_readers")
def test_big_integer_ids_join_exactly(write):
    targets = read_table(write("t.csv", BIG_T), text_columns=["id"])
    predictions = read_table(write("p.csv", BIG_P), text_columns=["id"])
    assert targets.columns["id"].tolist() == ["1234567890123456789", "1234567890123456790", "5"]
    _, right = pair_tables(targets, predictions, id_column="id")
    # rows follow the targets: 1.5 with 1, 2.5 with 2, 3.5 with 4
    assert right.column("yhat").tolist() == [1.0, 2.0, 4.0]
    assert right.line_numbers().tolist() == [3, 2, 4]


def test_big_integer_ids_cli(runner, write):
    result = _compute(
        runner, write("t.csv", BIG_T), write("p.csv", BIG_P), "--id", "id", "-l", "mse"
    )
    assert result.exit_code == 0, result.output
    # (1.5-1)^2 + (2.5-2)^2 + (3.5-4)^2 = 0.75, over 3 rows
    assert json.loads(result.stdout)["losses"]["mse"]["value"] == pytest.approx(0.25)


@pytest.mark.usefixtures("both_readers")
def test_text_ids_are_compared_as_written(write):
    targets = read_table(write("t.csv", "id,y\n01,1.5\n1,2.5\n2,3.5\n"), text_columns=["id"])
    swapped = read_table(write("p.csv", "id,yhat\n1,9\n2,8\n01,7\n"), text_columns=["id"])
    _, right = pair_tables(targets, swapped, id_column="id")
    assert right.column("yhat").tolist() == [7.0, 9.0, 8.0]  # "01" and "1" are two ids
    padded = read_table(write("z.csv", "id,yhat\n001,1\n002,2\n003,4\n"), text_columns=["id"])
    error = input_error(pair_tables, targets, padded, id_column="id")
    assert "3 ids not found" in error.message and "'01'" in error.message
    assert error.hint.startswith("ids compare as written: '01' and '001' in ")


@pytest.mark.parametrize("engine", ["memory", "streaming"])
def test_group_by_keys_are_text_as_written(runner, write, engine):
    from losscli.cli.main import app

    path = write("g.csv", "g,y,yhat\n01,1,2\n1,1,1\n1.0,2,2\n")
    args = ["compute", path, "-t", "y", "-p", "yhat", "--group-by", "g", "-l", "mse", "-f", "csv"]
    result = runner.invoke(app, [*args, "--engine", engine])
    assert result.exit_code == 0, result.output
    rows = [line.split(",") for line in result.stdout.splitlines()[1:]]
    slices = {row[4]: float(row[2]) for row in rows if row[3] == "slice"}
    assert slices == {"01": 1.0, "1": 0.0, "1.0": 0.0}  # three keys, one row each


def test_parquet_integer_ids_stay_exact(tmp_path):
    pl = pytest.importorskip("polars")
    ids = [2**63 - 1, 2**63 - 2, 5]
    pl.DataFrame({"id": ids, "y": [1.5, 2.5, 3.5]}).write_parquet(tmp_path / "t.parquet")
    pl.DataFrame({"id": ids[::-1], "yhat": [4.0, 2.0, 1.0]}).write_parquet(tmp_path / "p.parquet")
    targets = read_table(tmp_path / "t.parquet", text_columns=["id"])
    predictions = read_table(tmp_path / "p.parquet", text_columns=["id"])
    assert targets.columns["id"].dtype == np.int64
    _, right = pair_tables(targets, predictions, id_column="id")
    assert right.column("yhat").tolist() == [1.0, 2.0, 4.0]


# --------------------------------------------------------------------------- nested Parquet


@pytest.mark.parametrize(
    ("values", "type_name"), [([[1, 2], [3, 4]], "list[i64]"), ([{"a": 1}, {"a": 2}], "struct[1]")]
)
def test_nested_parquet_column_is_an_input_error(tmp_path, runner, values, type_name):
    pl = pytest.importorskip("polars")
    path = tmp_path / "nested.parquet"
    pl.DataFrame({"y": [1.5, 2.5], "yhat": values}).write_parquet(path)
    error = input_error(read_table, path, columns=["y", "yhat"])
    assert error.column == "yhat" and f"type {type_name}" in error.message
    assert "--no-header" not in (error.hint or "")
    error = input_error(iter_tables, path, columns=["yhat"], chunk_rows=1)
    assert f"type {type_name}" in error.message
    for extra in ([], ["--engine", "streaming"]):
        result = _compute(runner, str(path), "-t", "y", "-p", "yhat", "-l", "mse", *extra)
        assert result.exit_code == 2, result.output
        assert f"column 'yhat': type {type_name}: not a number" in result.output


# --------------------------------------------------------------------------- numbers


@pytest.mark.usefixtures("both_readers")
@pytest.mark.parametrize("bad", ["1_000", "\uff11\uff12"])
def test_numbers_are_parsed_strictly(write, bad):
    table = read_table(write("u.csv", f"y,yhat\n1.5,2\n2.5,3\n3.5,{bad}\n"))
    error = input_error(table.numeric, "yhat")
    assert error.line == 4 and error.column == "yhat"
    assert error.message == f"cannot parse {bad!r} as a number"


def test_parse_number_accepts_what_polars_accepts():
    pl = pytest.importorskip("polars")
    spellings = [
        "1", "-1.5", "+1.5", ".5", "5.", "1e5", "1E+5", "1.e-5", "inf", "-Infinity", "NaN",
        "-nan", "iNf", "00012", "1_000", "\uff11\uff12", "0x10", "1d5", "e5", "1e", ".", "--1",
        "\u221e", "1,5", ".e5", "1.5.",
    ]  # fmt: skip
    polars = pl.Series(spellings).cast(pl.Float64, strict=False).to_list()
    for text, expected in zip(spellings, polars, strict=True):
        got = parse_number(text)
        if expected is None:
            assert got is None, text
        else:
            assert got is not None and (got == expected or (np.isnan(got) and np.isnan(expected)))


def test_hidden_pandas_index(tmp_path):
    pd = pytest.importorskip("pandas")
    pd.DataFrame({"y": [1.5], "yhat": [1.0]}, index=[7]).to_parquet(tmp_path / "i.parquet")
    from losscli.io import read_header, select_columns

    names = read_header(tmp_path / "i.parquet")
    assert "__index_level_0__" in names
    error = input_error(select_columns, names, "nope", file="i.parquet")
    assert error.message.endswith("available columns: 'y', 'yhat'")


@pytest.mark.usefixtures("both_readers")
def test_overflow_is_named_as_written(write):
    path = write("o.csv", 'y,yhat\n1.5,2\n3.5,"-1e400"\n2.5,inf\n')
    chunk = list(iter_tables(path, columns=["yhat"], chunk_rows=1))[1]
    for table in (read_table(path), chunk):
        error = input_error(table.numeric, "yhat")
        assert error.line == 3 and error.message == "value -1e400 is not a finite number"
    # a literal inf keeps the parsed spelling (as before)
    error = input_error(read_table(path).take(np.array([2])).numeric, "yhat")
    assert error.line == 4 and error.message == "value inf is not a finite number"
