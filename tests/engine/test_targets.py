"""The streaming/Dask plan is decided from evidence over the whole input (QA defects:
a file sorted by its label, a glob whose first file holds one class or integer targets)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from losscli.engine import targets as evidence
from losscli.engine.inputs import input_paths, plan_from_head
from losscli.errors import InputError
from losscli.layout import LayoutOptions
from tests.cli.compute_helpers import compute


def _plan(paths, *, head_rows=50, **options):
    return plan_from_head(
        [str(p) for p in paths],
        roles={},
        layout_options=LayoutOptions(**options),
        read_options={},
        head_rows=head_rows,
    )[0]


def _write(path, header, rows):
    def text(value):
        return value if isinstance(value, str) else repr(value)

    path.write_text(header + "\n" + "".join(",".join(map(text, r)) + "\n" for r in rows))


def _sorted_binary(path, n=300, seed=0):
    rng = np.random.default_rng(seed)
    y = np.sort(rng.integers(0, 2, size=n)).astype(int)  # every 0 first: a 0-only head
    p = rng.uniform(0.02, 0.98, size=n)
    _write(path, "label,prob", zip(y.tolist(), p.tolist(), strict=True))
    return y, p


def _bce(y, p):
    return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))


def test_a_file_sorted_by_label_is_binary_from_the_whole_file(tmp_path):
    _sorted_binary(tmp_path / "s.csv")
    plan = _plan([tmp_path / "s.csv"])
    assert plan.task == "binary"
    assert (plan.negative, plan.positive) == ("0", "1")
    forced = _plan([tmp_path / "s.csv"], task="binary", positive="1")
    assert (forced.negative, forced.positive) == ("0", "1")


def test_a_sorted_multiclass_file_keeps_every_class(tmp_path):
    rng = np.random.default_rng(1)
    y = np.sort(rng.integers(0, 3, size=240))
    p = rng.dirichlet(np.ones(3), size=240)
    _write(
        tmp_path / "m.csv",
        "label,p_0,p_1,p_2",
        [(a, *b) for a, b in zip(y.tolist(), p.tolist(), strict=True)],
    )
    for task in ("auto", "multiclass"):
        plan = _plan([tmp_path / "m.csv"], task=task)
        assert plan.task == "multiclass"
        assert plan.classes == ("0", "1", "2")


@pytest.mark.parametrize("extra", [[], ["--task", "binary"]])
def test_a_glob_whose_first_file_holds_one_class(tmp_path, extra):
    rng = np.random.default_rng(2)
    parts = []
    for i in range(2):
        y = np.full(40, i)
        p = rng.uniform(0.05, 0.95, size=40)
        _write(tmp_path / f"bs-{i}.csv", "label,prob", zip(y.tolist(), p.tolist(), strict=True))
        parts.append((y, p))
    out = compute("runner", tmp_path / "bs-*.csv", "-l", "bce", "-f", "json", *extra)
    assert out.code == 0, out.stderr
    y = np.concatenate([a for a, _ in parts])
    p = np.concatenate([b for _, b in parts])
    assert out.losses()["bce"] == pytest.approx(_bce(y, p), rel=1e-12)
    assert out.json()["task"] == "binary"


def test_a_glob_whose_first_file_has_integer_targets_is_regression(tmp_path):
    rng = np.random.default_rng(3)
    y0 = rng.integers(0, 3, size=50).astype(float)  # integer-valued: classes, alone
    y1 = rng.normal(size=60)
    p0, p1 = rng.normal(size=50), rng.normal(size=60)
    _write(tmp_path / "rg-0.csv", "y_true,y_pred", zip(y0.tolist(), p0.tolist(), strict=True))
    _write(tmp_path / "rg-1.csv", "y_true,y_pred", zip(y1.tolist(), p1.tolist(), strict=True))
    out = compute("runner", tmp_path / "rg-*.csv", "-l", "mse", "-f", "json")
    assert out.code == 0, out.stderr
    report = out.json()
    assert report["task"] == "regression"
    # The reason counts the whole input (110 rows, 60 of them fractional), not the head.
    assert "54.5% of 110 rows" in report["task_reason"]
    y, p = np.concatenate([y0, y1]), np.concatenate([p0, p1])
    assert out.losses()["mse"] == pytest.approx(float(np.mean((y - p) ** 2)), rel=1e-12)


def test_a_regression_head_skips_the_pre_pass(tmp_path, monkeypatch):
    rng = np.random.default_rng(4)
    _write(tmp_path / "r.csv", "y_true,y_pred", rng.normal(size=(300, 2)).tolist())

    def refuse(*args, **kwargs):
        raise AssertionError("the pre-pass ran")

    monkeypatch.setattr(evidence, "summarise_targets", refuse)
    plan = _plan([tmp_path / "r.csv"])
    assert plan.task == "regression"
    assert "first 50 rows" in plan.reason and "distinct" not in plan.reason
    # --task regression needs no classes either (integer targets, not settled by the head)
    _write(tmp_path / "i.csv", "y_true,y_pred", [(i % 3, 0.5) for i in range(300)])
    assert _plan([tmp_path / "i.csv"], task="regression").task == "regression"


def test_rows_that_are_not_one_hot_after_the_head_make_it_multilabel(tmp_path):
    rows = [(1, 0, 0.7, 0.3)] * 60 + [(1, 1, 0.6, 0.8)] * 20
    _write(tmp_path / "ml.csv", "true_a,true_b,p_a,p_b", rows)
    plan = _plan([tmp_path / "ml.csv"])
    assert plan.task == "multilabel"
    assert "25.0% of 80 rows" in plan.reason


def test_a_third_label_in_a_later_file_is_named_there(tmp_path):
    _write(tmp_path / "t-0.csv", "label,prob", [(0, 0.2)] * 10)  # one class: a pre-pass
    _write(tmp_path / "t-1.csv", "label,prob", [(1, 0.4)] * 5 + [(2, 0.5)] + [(0, 0.1)])
    with pytest.raises(InputError) as caught:
        _plan(input_paths([str(tmp_path / "t-*.csv")]), task="binary")
    # the '2' is a witness row of the representative head: re-pointed at its real place
    assert caught.value.file == str(tmp_path / "t-1.csv")
    assert caught.value.line == 7  # header + 5 rows, then the '2'
    assert "3 distinct labels" in caught.value.message


def test_a_third_label_after_a_two_label_head_fails_while_streaming(tmp_path):
    _write(tmp_path / "t-0.csv", "label,prob", [(0, 0.2), (1, 0.7)] * 10)
    _write(tmp_path / "t-1.csv", "label,prob", [(1, 0.4)] * 5 + [(2, 0.5)] + [(0, 0.1)])
    out = compute("runner", tmp_path / "t-*.csv", "-l", "bce", "--task", "binary")
    assert out.code == 2
    assert "t-1.csv: line 7: column 'label'" in out.stderr
    assert "third label" in out.stderr


def test_summary_merges_files_and_caps_distinct_values(tmp_path):
    _write(tmp_path / "a.csv", "y", [(i,) for i in range(700)])
    _write(tmp_path / "b.csv", "y", [(i,) for i in range(600, 1500)] + [("cat",)])
    summary = evidence.summarise_targets(
        [str(tmp_path / "a.csv"), str(tmp_path / "b.csv")], ["y"], {}
    )
    column = summary.columns["y"]
    assert summary.rows == 1601 and column.n == 1601
    assert column.overflow and column.distinct == evidence.DISTINCT_CAP
    assert column.text == 1 and column.text_example == ("cat", str(tmp_path / "b.csv"))
    assert column.nonintegral == 0


def test_the_representative_head_has_the_rows_the_unique_ratio_rule_needs(tmp_path):
    from losscli.inference import infer_task
    from losscli.io import read_table

    # 60 integer values among 1000 rows: k/n = 0.06 <= 0.10, classes (AutoGluon's rule);
    # the first file alone (20 rows of 0/1) plus one row per missing value would be 78
    # rows, k/n = 0.77: counts. Padding the head to the input's row count keeps the rule.
    _write(tmp_path / "c-0.csv", "y", [(i % 2,) for i in range(20)])
    _write(tmp_path / "c-1.csv", "y", [(i % 60,) for i in range(980)])
    paths = [str(tmp_path / "c-0.csv"), str(tmp_path / "c-1.csv")]
    head = read_table(paths[0])
    summary = evidence.summarise_targets(paths, ["y"], {})
    table, witnesses = evidence.representative_head(
        head, summary, evidence.summarise_table(head, ["y"])
    )
    assert len(witnesses) == 58 and table.n_rows == 1000
    whole = np.concatenate([read_table(p).numeric("y") for p in paths])
    assert infer_task({"y": table.numeric("y")}).task == infer_task({"y": whole}).task
    assert infer_task({"y": whole}).task == "multiclass"


@pytest.mark.parametrize("form", ["no-header", "semicolon", "gzip"])
def test_the_pre_pass_reads_every_csv_form(tmp_path, form):
    import gzip

    rng = np.random.default_rng(5)
    parts = []
    for i in range(2):
        y, p = np.full(30, i), rng.uniform(0.05, 0.95, size=30)
        parts.append((y, p))
        sep = ";" if form != "no-header" else ","
        text = ("" if form == "no-header" else f"label{sep}prob\n") + "".join(
            f"{a}{sep}{b!r}\n" for a, b in zip(y.tolist(), p.tolist(), strict=True)
        )
        if form == "gzip":
            with gzip.open(tmp_path / f"f-{i}.csv.gz", "wt") as handle:
                handle.write(text)
        else:
            (tmp_path / f"f-{i}.csv").write_text(text)
    options = {
        "no-header": ["--no-header", "-t", "0", "-p", "1"],
        "semicolon": ["--delimiter", ";"],
        "gzip": ["--delimiter", ";"],
    }[form]
    pattern = tmp_path / ("f-*.csv.gz" if form == "gzip" else "f-*.csv")
    out = compute("runner", pattern, "-l", "bce", "-f", "json", *options)
    assert out.code == 0, out.stderr
    y = np.concatenate([a for a, _ in parts])
    p = np.concatenate([b for _, b in parts])
    assert out.losses()["bce"] == pytest.approx(_bce(y, p), rel=1e-12)


# --- the head's summary: NumPy on float64 columns, the same row as polars' expressions ---

_cells = st.one_of(
    st.sampled_from([0.0, 1.0, -0.0, 2.0, 0.5, -3.0, 1e300, float("nan"), float("inf")]),
    st.floats(allow_nan=True, allow_infinity=True, width=64),
    st.integers(-5, 5).map(float),
)


def _polars_row(table, targets):
    """The row polars' summary expressions give, empty cells as nulls (as the pre-pass
    over a file reads them)."""
    import polars as pl

    frame = pl.DataFrame(
        {
            name: pl.Series(table.columns[name]).set(
                pl.Series(table.missing.get(name, np.zeros(table.n_rows, dtype=bool))), None
            )
            for name in targets
        }
    )
    return evidence._collect(frame.lazy(), targets, True)


def _same(a, b) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return (a == b and str(a)[0] == str(b)[0]) or (a != a and b != b)  # sign of 0, NaN
    return a == b


@settings(max_examples=200, deadline=None, derandomize=True)
@given(
    data=st.data(),
    columns=st.integers(1, 3),
    rows=st.integers(1, 60),
)
def test_float_summary_row_equals_the_polars_expressions(data, columns, rows):
    from losscli.io import Table

    targets = [f"t{j}" for j in range(columns)]
    values = {
        name: np.array(data.draw(st.lists(_cells, min_size=rows, max_size=rows)))
        for name in targets
    }
    missing = {
        name: np.array(data.draw(st.lists(st.booleans(), min_size=rows, max_size=rows)))
        for name in targets
        if data.draw(st.booleans())
    }
    for name, mask in missing.items():
        values[name][mask] = np.nan
    table = Table(name="f.csv", columns=values, first_line=2, missing=missing)
    got = evidence._float_row(table, targets)
    want = _polars_row(table, targets)
    assert got.keys() == want.keys()
    for key in want:
        if key.startswith("values"):
            assert len(got[key]) == len(want[key]), key
            assert all(_same(a, b) for a, b in zip(got[key], want[key], strict=True)), key
        else:
            assert _same(got[key], want[key]), (key, got[key], want[key])


def test_float_summary_keeps_the_first_distinct_values_in_order():
    from losscli.io import Table

    cap = evidence.DISTINCT_CAP
    column = np.concatenate([np.arange(cap + 50, 0, -1, dtype=float), [7.0, 3.0]])
    row = evidence._float_row(Table("f.csv", {"y": column}, 2), ["y"])
    assert row["values0"] == column[:cap].tolist()
    assert row["n0"] == len(column) and row["fractional0"] == 0
