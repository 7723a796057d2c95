"""``compute`` output: every format, exit codes 0/1, --exit-zero, --summary, --annotate,
--group-by, --per-sample, conventions, every input format, and text from the data that
must never inject markup or terminal escapes. In-process and as a real process."""

from __future__ import annotations

import bz2
import csv
import gzip
import io
import json
import lzma

import numpy as np
import pytest

from tests.cli.compute_helpers import MODES, compute, write_csv

rng = np.random.default_rng(11)
N = 30
Y = np.round(rng.normal(5, 2, N), 3)
P = np.round(Y + rng.normal(0, 1, N), 3)
REGION = np.array(["north", "south", "east"])[rng.integers(0, 3, N)]
MSE = float(np.mean((P - Y) ** 2))
MAE = float(np.mean(np.abs(P - Y)))


@pytest.fixture(params=MODES)
def mode(request):
    return request.param


@pytest.fixture
def data(tmp_path):
    return write_csv(
        tmp_path / "data.csv",
        ["id", "region", "y", "yhat"],
        [f"r{i}" for i in range(N)],
        REGION,
        Y,
        P,
    )


def approx(value):
    return pytest.approx(value, rel=1e-12)


# --------------------------------------------------------------------------- formats


def test_json_is_the_default_off_a_terminal(mode, data):
    out = compute(mode, data, "-l", "mse", "-l", "huber:delta=2.5")
    assert out.code == 0
    report = json.loads(out.stdout)
    assert report["schema"] == "losscli/compute/1"
    assert set(report) >= {
        "schema",
        "task",
        "n_samples",
        "columns",
        "losses",
        "checks",
        "warnings",
        "task_reason",
    }
    assert report["losses"]["mse"] == {"value": approx(MSE), "name": "mse", "params": {}}
    assert list(report["losses"]) == ["mse", "huber:delta=2.5"]
    assert "\x1b" not in out.stdout


def test_json_floats_are_full_precision(mode, data):
    out = compute(mode, data, "-l", "mse", "-f", "json")
    assert json.loads(out.stdout)["losses"]["mse"]["value"] == MSE  # bit for bit


def test_csv_format(mode, data):
    out = compute(mode, data, "-l", "mse", "-l", "mae", "-f", "csv", "--group-by", "region")
    rows = list(csv.DictReader(io.StringIO(out.stdout)))
    assert list(rows[0]) == [
        "loss",
        "name",
        "value",
        "scope",
        "slice",
        "output",
        "n_samples",
        "params",
    ]
    assert (
        float(rows[0]["value"]) == MSE and rows[0]["slice"] == "" and rows[0]["n_samples"] == "30"
    )
    assert float(rows[1]["value"]) == approx(MAE)
    east = next(r for r in rows if r["slice"] == "east" and r["loss"] == "mse")
    mask = REGION == "east"
    assert float(east["value"]) == approx(np.mean((P[mask] - Y[mask]) ** 2))
    assert int(east["n_samples"]) == mask.sum()
    assert json.loads(rows[0]["params"]) == {}


def test_markdown_format(mode, data):
    out = compute(mode, data, "-l", "mse", "-l", "huber:delta=2.5", "-f", "markdown")
    lines = out.stdout.splitlines()
    assert lines[0] == f"### losscli compute: regression, {N} rows"
    assert "| loss | value | parameters |" in lines
    assert f"| `mse` | {MSE:.6g} |  |" in lines
    assert any(line.startswith("| `huber:delta=2.5` |") and "delta=2.5" in line for line in lines)


def test_table_format(mode, data):
    out = compute(
        mode,
        data,
        "-l",
        "mse",
        "-l",
        "mae",
        "-f",
        "table",
        "--group-by",
        "region",
        "--fail-if",
        "mae>100",
    )
    assert out.code == 0
    assert f"losscli compute · regression · {N} rows · convention losscli" in out.stdout
    assert f"{MSE:.6g}" in out.stdout and f"{MAE:.6g}" in out.stdout
    assert "by region" in out.stdout and "north" in out.stdout
    assert "mae>100" in out.stdout and " ok " in out.stdout
    assert "target y · prediction yhat · group-by region" in out.stdout
    assert "\x1b" not in out.stdout  # NO_COLOR and not a terminal


def test_diagnostics_go_to_stderr(mode, data):
    out = compute(mode, data, "-l", "mse", "-f", "json")
    assert out.stderr.splitlines()[0].startswith("task: regression because target 'y'")
    json.loads(out.stdout)  # nothing but the document on stdout


# --------------------------------------------------------------------------- exit codes


def test_checks_pass_fail_and_exit_zero(mode, data):
    out = compute(mode, data, "--fail-if", f"mse>{MSE + 1}", "-f", "json")
    assert out.code == 0
    assert out.json()["checks"] == [
        {
            "check": f"mse>{MSE + 1}",
            "loss": "mse",
            "op": ">",
            "threshold": MSE + 1,
            "value": MSE,
            "failed": False,
        }
    ]
    out = compute(
        mode, data, "-l", "mae", "--fail-if", "l2>0.1", "--fail-if", "mae<0", "-f", "json"
    )
    assert out.code == 1
    report = json.loads(out.stdout)
    assert set(report["losses"]) == {"mae", "mse"}  # the checked loss is computed too
    assert [c["failed"] for c in report["checks"]] == [True, False]
    assert out.stderr.splitlines()[-1] == f"losscli: check failed: mse > 0.1 (mse = {MSE:.6g})"
    out = compute(mode, data, "--fail-if", "mse>0.1", "--exit-zero", "-f", "json")
    assert out.code == 0 and json.loads(out.stdout)["checks"][0]["failed"] is True
    assert "losscli: check failed: mse > 0.1" in out.stderr


def test_annotate_prints_escaped_workflow_commands(mode, data):
    out = compute(mode, data, "--fail-if", "mse>0.1", "--annotate", "-f", "json")
    assert out.code == 1
    assert out.stderr.splitlines()[-1] == (
        f"::error title=losscli check::check failed: mse > 0.1 (mse = {MSE:.6g})"
    )


def test_summary_appends_markdown(mode, data, tmp_path):
    summary = tmp_path / "summary.md"
    summary.write_text("# earlier step\n")
    env = {"GITHUB_STEP_SUMMARY": str(summary)}
    for _ in range(2):
        out = compute(
            mode, data, "--summary", "--fail-if", "mse>0.1", "--exit-zero", "-f", "json", env=env
        )
        assert out.code == 0
    text = summary.read_text()
    assert text.startswith("# earlier step\n")
    assert text.count(f"### losscli compute: regression, {N} rows") == 2
    assert "| mse\\>0.1 |" in text and "**FAILED**" in text


def test_summary_without_the_variable_warns(mode, data):
    out = compute(mode, data, "--summary", "-f", "json")
    assert out.code == 0
    assert "warning: --summary: GITHUB_STEP_SUMMARY is not set" in out.stderr


# --------------------------------------------------------------------------- slices, per sample


def test_group_by_json(mode, data):
    out = compute(mode, data, "-l", "mse", "--group-by", "region", "-f", "json")
    group_by = out.json()["group_by"]
    assert group_by["column"] == "region"
    for key in ("north", "south", "east"):
        mask = key == REGION
        assert group_by["slices"][key] == {
            "n_samples": int(mask.sum()),
            "losses": {"mse": {"value": approx(np.mean((P[mask] - Y[mask]) ** 2))}},
        }


def test_per_sample_file(mode, data, tmp_path):
    target = tmp_path / "terms.csv"
    target.write_text("old content\n")
    out = compute(
        mode, data, "-l", "mse", "-l", "mae", "--id", "id", "--per-sample", target, "-f", "json"
    )
    assert out.code == 0
    rows = list(csv.DictReader(target.open()))
    assert list(rows[0]) == ["loss", "row", "line", "id", "group", "value"]
    assert [int(r["line"]) for r in rows[:3]] == [2, 3, 4]
    assert len(rows) == 2 * N
    mse = [r for r in rows if r["loss"] == "mse"]
    assert [r["id"] for r in mse] == [f"r{i}" for i in range(N)]
    assert [int(r["row"]) for r in mse] == list(range(N))
    np.testing.assert_allclose([float(r["value"]) for r in mse], (P - Y) ** 2, rtol=1e-15)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".terms")]  # no temp left


# --------------------------------------------------------------------------- conventions


def test_conventions_change_the_small_print(mode, tmp_path):
    y = np.array([1.0, 2.0, 4.0, 8.0])
    p = np.array([1.5, 2.0, 3.0, 8.5])
    path = write_csv(tmp_path / "m.csv", ["y", "yhat"], y, p)
    mape = np.mean(np.abs(p - y) / np.abs(y))
    out = compute(mode, path, "-l", "mape", "-f", "json")
    assert out.losses() == {"mape": approx(mape)}
    out = compute(mode, path, "-l", "mape", "--convention", "keras", "-f", "json")
    assert out.losses() == {"mape": approx(100 * mape)}
    assert out.json()["convention"] == "keras"


# --------------------------------------------------------------------------- input formats


def _rows_text(delimiter=",", header=True):
    lines = ([f"y{delimiter}yhat"] if header else []) + [
        f"{float(a)!r}{delimiter}{float(b)!r}" for a, b in zip(Y, P, strict=True)
    ]
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize(
    ("name", "encode", "extra"),
    [
        ("d.tsv", lambda: _rows_text("\t").encode(), []),
        ("d.csv.gz", lambda: gzip.compress(_rows_text().encode()), []),
        ("d.csv.bz2", lambda: bz2.compress(_rows_text().encode()), []),
        ("d.csv.xz", lambda: lzma.compress(_rows_text().encode()), []),
        ("d.txt", lambda: _rows_text(";").encode(), ["--delimiter", ";"]),
        ("d.csv", lambda: _rows_text(header=False).encode(), ["--no-header", "-t", "0", "-p", "1"]),
    ],
    ids=["tsv", "gzip", "bz2", "xz", "delimiter", "no-header"],
)
def test_input_formats(mode, tmp_path, name, encode, extra):
    path = tmp_path / name
    path.write_bytes(encode())
    out = compute(mode, path, "-l", "mse", *extra, "-f", "json")
    assert out.losses() == {"mse": approx(MSE)}


def test_parquet(mode, tmp_path):
    pyarrow = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    pq.write_table(pyarrow.table({"y": Y, "yhat": P}), tmp_path / "d.parquet")
    out = compute(mode, tmp_path / "d.parquet", "-l", "mse", "-f", "json")
    assert out.losses() == {"mse": approx(MSE)}


def test_encoding(mode, tmp_path):
    path = tmp_path / "latin.csv"
    text = "label,p_café\n" + "".join(
        f"{'café' if i % 2 else 'thé'},{0.2 + 0.02 * i!r}\n" for i in range(10)
    )
    path.write_bytes(text.encode("latin-1"))
    out = compute(mode, path, "--encoding", "latin-1", "--positive", "café", "-f", "json")
    y = np.arange(10) % 2
    p = 0.2 + 0.02 * np.arange(10)
    assert out.losses() == {"bce": approx(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))}
    assert out.json()["columns"]["prediction"] == ["p_café"]


# --------------------------------------------------------------------------- injection


EVIL_COLUMN = "[bold red]x[/bold red]\x1b[31m"
EVIL_LABEL = "[link=http://e.vil]a[/link]"


@pytest.fixture
def evil(tmp_path):
    path = tmp_path / "evil.csv"
    rows = [
        f"{EVIL_LABEL if i % 2 else 'b'},{0.1 + 0.08 * i!r},g\x1b]0;t\x07{i % 2}" for i in range(10)
    ]
    path.write_text(f"label,{EVIL_COLUMN},grp\n" + "\n".join(rows) + "\n")
    return path


@pytest.mark.parametrize("output_format", ["table", "markdown", "csv", "json"])
def test_text_from_the_data_cannot_inject(mode, evil, output_format):
    out = compute(
        mode,
        evil,
        "-t",
        "label",
        "-p",
        EVIL_COLUMN,
        "--positive",
        EVIL_LABEL,
        "--group-by",
        "grp",
        "-l",
        "bce",
        "-f",
        output_format,
        "--fail-if",
        "bce>9",
    )
    assert out.code == 0, out.stderr
    for stream in (out.stdout, out.stderr):
        assert "\x1b" not in stream and "\x07" not in stream
    if output_format == "table":
        assert "[bold red]x[/bold red]\\x1b[31m" in out.stdout  # shown literally
        assert "g\\x1b]0;t\\x070" in out.stdout
    if output_format == "json":
        report = json.loads(out.stdout)
        assert report["columns"]["prediction"] == [EVIL_COLUMN]  # exact, JSON-escaped
        assert report["layout"]["positive_label"] == EVIL_LABEL
    if output_format == "markdown":
        assert "\\[bold red\\]x\\[/bold red\\]" in out.stdout
    assert "positive label" not in out.stderr or EVIL_LABEL in out.stderr


def test_per_sample_of_a_grouped_loss_has_one_row_per_image(mode, tmp_path):
    image = np.repeat(["im,1", "im2"], 4)  # a comma: the field must be quoted
    mask = np.array([1, 0, 1, 1, 0, 0, 1, 1])
    prob = np.array([0.9, 0.2, 0.6, 0.7, 0.1, 0.3, 0.8, 0.4])
    path = tmp_path / "seg.csv"
    path.write_text(
        "pixel,image,mask,prob\n"
        + "".join(f'{i},"{image[i]}",{mask[i]},{float(prob[i])!r}\n' for i in range(8))
    )
    target = tmp_path / "terms.csv"
    out = compute(
        mode,
        path,
        "--task",
        "segmentation",
        "-t",
        "mask",
        "-p",
        "prob",
        "--group",
        "image",
        "--id",
        "pixel",
        "-l",
        "dice",
        "-l",
        "bce",
        "--per-sample",
        target,
        "-f",
        "json",
    )
    assert out.code == 0, out.stderr
    rows = list(csv.DictReader(target.open()))
    dice = [r for r in rows if r["loss"] == "dice"]
    assert [(r["row"], r["id"], r["group"]) for r in dice] == [("", "", "im,1"), ("", "", "im2")]

    def soft_dice(t, p):
        return 1 - (2 * np.sum(t * p) + 1) / (np.sum(t) + np.sum(p) + 1)

    np.testing.assert_allclose(
        [float(r["value"]) for r in dice],
        [soft_dice(mask[:4], prob[:4]), soft_dice(mask[4:], prob[4:])],
        rtol=1e-14,
    )
    bce = [r for r in rows if r["loss"] == "bce"]
    assert [r["id"] for r in bce] == [str(i) for i in range(8)]
    np.testing.assert_allclose(
        [float(r["value"]) for r in bce],
        -(mask * np.log(prob) + (1 - mask) * np.log(1 - prob)),
        rtol=1e-14,
    )
