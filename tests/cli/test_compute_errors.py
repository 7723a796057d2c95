"""Every bad input of issue 3: exit code 2, exactly one line on stderr naming the file,
line and column where there is one, nothing on stdout, never a traceback; and exit 70
for an internal error. Each case runs in-process and as a real process."""

from __future__ import annotations

import bz2
import gzip
import subprocess
import sys

import pytest

from tests.cli.compute_helpers import MODES, REPO, compute


@pytest.fixture(params=MODES)
def mode(request):
    return request.param


FILES: dict[str, bytes] = {
    "ok.csv": b"y,yhat\n0,0.2\n1,0.9\n1,0.4\n",
    "reg.csv": b"y,yhat\n0.5,0.2\n1.5,0.9\n1.25,0.4\n",
    "header.csv": b"y,yhat\n",
    "empty.csv": b"",
    "ragged.csv": b"y,yhat\n0,0.2\n1,0.3,4\n1,0.4\n",
    "unparsable.csv": b"y,yhat\n0.5,0.2\n1.5,abc\n1,0.4\n",
    "inf.csv": b"y,yhat\n0.5,0.2\n1.5,inf\n1,0.4\n",
    "nan.csv": b"y,yhat\n0.5,0.2\n1.5,nan\n1,0.4\n",
    "outside.csv": b"y,yhat\n0,0.2\n1,1.9\n1,0.4\n",
    "rowsum.csv": b"label,p_0,p_1,p_2\n0,0.2,0.3,0.5\n1,0.2,0.3,0.4\n2,0.1,0.1,0.8\n",
    "range.csv": b"label,p_0,p_1,p_2\n0,0.2,0.3,0.5\n1,0.2,0.3,0.5\n7,0.1,0.1,0.8\n",
    "three.csv": b"y,yhat\n0,0.2\n1,0.9\n2,0.4\n1,0.5\n",
    "latin.csv": b"y,yhat\ncaf\xe9,0.2\nb,0.9\n",
    "fake.csv.gz": b"not gzip at all",
    "t_dup.csv": b"id,y\n1,0.5\n2,1.5\n2,1\n",
    "p_ids.csv": b"id,yhat\n1,0.2\n2,0.9\n3,0.3\n",
    "t_miss.csv": b"id,y\n1,0.5\n2,1.5\n4,1\n",
    "t2.csv": b"y\n0.5\n1.5\n",
    "p3.csv": b"yhat\n0.1\n0.2\n0.3\n",
}

CASES = [
    (
        "missing file",
        ["missing.csv"],
        "missing.csv: no such file (hint: check the path and the current directory)",
    ),
    ("directory", ["adir"], "adir: is a directory, not a file (hint: name a CSV or Parquet file)"),
    (
        "empty file",
        ["empty.csv"],
        "empty.csv: the file is empty (hint: expected a header and data rows)",
    ),
    (
        "header only",
        ["header.csv"],
        "header.csv: no data rows (the file has only a header) "
        "(hint: if the first line is data, use --no-header)",
    ),
    (
        "ragged row",
        ["ragged.csv"],
        "ragged.csv: line 3: ragged row: 3 fields, the header has 2 "
        "(hint: quote fields that contain the delimiter, or check --delimiter and --no-header)",
    ),
    (
        "unparsable number",
        ["unparsable.csv"],
        "unparsable.csv: line 3: column 'yhat': cannot parse 'abc' as a number "
        "(hint: is the right column selected, or does the file have no header (--no-header)?)",
    ),
    (
        "inf",
        ["inf.csv"],
        "inf.csv: line 3: column 'yhat': value inf is not a finite number "
        "(hint: remove or fill missing and non-finite values)",
    ),
    (
        "nan",
        ["nan.csv"],
        "nan.csv: line 3: column 'yhat': value NaN is not a finite number "
        "(hint: remove or fill missing and non-finite values)",
    ),
    (
        "unknown column",
        ["ok.csv", "-t", "nope"],
        "ok.csv: no column named 'nope'; available columns: 'y', 'yhat'",
    ),
    (
        "unknown glob",
        ["ok.csv", "-p", "p_*"],
        "ok.csv: no column matches the pattern 'p_*'; available columns: 'y', 'yhat'",
    ),
    (
        "unknown loss",
        ["ok.csv", "-l", "msee"],
        "unknown loss 'msee'; did you mean mse, msle, rmse? (see 'losscli list')",
    ),
    (
        "bad parameter value",
        ["ok.csv", "-l", "focal:gamma=-1"],
        "focal: parameter 'gamma' must be >= 0, got -1.0",
    ),
    (
        "unknown parameter",
        ["ok.csv", "-l", "bce:nope=1"],
        "bce: unknown parameter 'nope' (parameters: from_logits, label_smoothing, epsilon, "
        "pos_weight)",
    ),
    (
        "losses of two tasks",
        ["ok.csv", "-l", "mse", "-l", "bce"],
        "ok.csv: loss 'mse' does not apply to a binary task (it is for regression); "
        "losses for binary: bce, focal, hinge, squared_hinge, brier "
        "(hint: if the data is a regression task, say so with --task regression)",
    ),
    (
        "row-count mismatch",
        ["t2.csv", "p3.csv"],
        "t2.csv: 2 target rows but 3 prediction rows in p3.csv; rows pair by order "
        "(hint: give --id COLUMN to join the files on an id column)",
    ),
    (
        "duplicate ids",
        ["t_dup.csv", "p_ids.csv", "--id", "id"],
        "t_dup.csv: line 4: column 'id': duplicated ids '2' (first repeat of '2' also on "
        "line 3) (hint: each id must occur once in each file)",
    ),
    (
        "missing ids",
        ["t_miss.csv", "p_ids.csv", "--id", "id"],
        "t_miss.csv: line 4: column 'id': 1 id not found in p_ids.csv: '4' "
        "(hint: both files must hold the same ids)",
    ),
    (
        "probability outside [0, 1]",
        ["outside.csv"],
        "outside.csv: line 3: column 'yhat': prediction 1.9 is outside [0, 1], so it is not a "
        "probability (hint: are these logits? use --from-logits)",
    ),
    (
        "rows not summing to 1",
        ["rowsum.csv"],
        "rowsum.csv: line 3: the class probabilities sum to 0.9, not 1 "
        "(hint: rescale the rows with --renormalize, or use --from-logits for logits)",
    ),
    (
        "label out of range",
        ["range.csv"],
        "range.csv: line 4: column 'label': label 7 is out of range: the 3 prediction columns "
        "hold classes 0..2 (hint: select the class columns with --pred)",
    ),
    (
        "three labels for binary",
        ["three.csv", "--task", "binary"],
        "three.csv: line 4: column 'y': 3 distinct labels ('0', '1', '2') but a binary target "
        "takes two (hint: use --task multiclass)",
    ),
    (
        "corrupt gzip",
        ["fake.csv.gz"],
        "fake.csv.gz: corrupt or truncated gzip data (Not a gzipped file (b'no')) "
        "(hint: check the download or re-compress the file)",
    ),
    (
        "undecodable bytes",
        ["latin.csv"],
        "latin.csv: line 2: column 'y': bytes b'\\xe9,0.' are not valid UTF-8 "
        "(hint: give the file's encoding, e.g. --encoding latin-1 or --encoding cp1252)",
    ),
    (
        "bad --fail-if",
        ["ok.csv", "--fail-if", "mse"],
        "cannot read --fail-if 'mse'; write LOSS OP NUMBER, e.g. 'mse>0.3' "
        "(OP is one of > >= < <= == !=)",
    ),
    (
        "--positive not a label",
        ["ok.csv", "--positive", "5"],
        "ok.csv: column 'y': --positive '5' is not one of the labels ('0', '1')",
    ),
    (
        "three files",
        ["ok.csv", "ok.csv", "ok.csv"],
        "give one file, or a targets file and a predictions file; got 3 files",
    ),
    (
        "brier with logits",
        ["ok.csv", "-l", "brier", "--from-logits"],
        "brier takes probabilities and has no from-logits form; drop --from-logits or apply "
        "the sigmoid/softmax first",
    ),
    (
        "no loss fits",
        ["reg.csv", "--task", "multilabel"],
        "reg.csv: a multilabel task takes one 0/1 target column per label, got 1 "
        "(hint: select them with --target, e.g. --target 'true_*')",
    ),
]


@pytest.fixture
def files(tmp_path):
    for name, data in FILES.items():
        (tmp_path / name).write_bytes(data)
    (tmp_path / "adir").mkdir()
    return tmp_path


@pytest.mark.parametrize(("case", "args", "message"), CASES, ids=[c[0] for c in CASES])
def test_bad_input_is_one_line_and_exit_2(mode, files, case, args, message):
    out = compute(mode, *args, "-f", "json", cwd=files)
    assert out.code == 2, out.stderr
    assert out.stdout == ""
    assert out.stderr == f"losscli: error: {message}\n"


def test_truncated_gzip(mode, files):
    (files / "trunc.csv.gz").write_bytes(gzip.compress(b"y,yhat\n0,0.2\n1,0.4\n")[:15])
    out = compute(mode, "trunc.csv.gz", cwd=files)
    assert (out.code, out.stdout) == (2, "")
    assert out.stderr.startswith("losscli: error: trunc.csv.gz: corrupt or truncated gzip data")
    assert out.stderr.count("\n") == 1 and "Traceback" not in out.stderr


def test_corrupt_bz2(mode, files):
    (files / "bad.csv.bz2").write_bytes(bz2.compress(b"y,yhat\n0,0.2\n1,0.4\n")[:-8])
    out = compute(mode, "bad.csv.bz2", cwd=files)
    assert (out.code, out.stdout) == (2, "")
    assert out.stderr.startswith("losscli: error: bad.csv.bz2: corrupt or truncated bz2 data")


def test_usage_errors_exit_2(mode, files):
    out = compute(mode, "ok.csv", "--task", "nope", cwd=files)
    assert (out.code, out.stdout) == (2, "")
    assert "Invalid value for '--task'" in out.stderr
    out = compute(mode, cwd=files)
    assert out.code == 2 and out.stdout == ""


def test_per_sample_into_a_missing_directory_writes_nothing(mode, files):
    out = compute(mode, "reg.csv", "--per-sample", files / "no" / "such" / "dir.csv", cwd=files)
    assert (out.code, out.stdout) == (2, "")
    assert out.stderr.startswith("losscli: error: ")
    assert "no/such/dir.csv: cannot write" in out.stderr
    assert not (files / "no").exists()


def test_internal_error_exits_70_in_process(monkeypatch, files):
    import losscli.evaluation

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(losscli.evaluation, "evaluate", broken)
    out = compute("runner", "reg.csv", cwd=files)
    assert (out.code, out.stdout) == (70, "")
    assert out.stderr == (
        "losscli: error: internal error: RuntimeError: boom (this is a bug in losscli; "
        "please report it with the command you ran)\n"
    )


def test_internal_error_exits_70_as_a_process(files):
    script = (
        "import sys, losscli.evaluation as e\n"
        "def broken(*a, **k): raise RuntimeError('boom')\n"
        "e.evaluate = broken\n"
        "sys.argv = ['losscli', 'compute', 'reg.csv']\n"
        "from losscli.cli.main import run\n"
        "run()\n"
    )
    completed = subprocess.run(
        [sys.executable, "-c", script],
        cwd=files,
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"},
        check=False,
    )
    assert (completed.returncode, completed.stdout) == (70, "")
    assert completed.stderr == (
        "losscli: error: internal error: RuntimeError: boom (this is a bug in losscli; "
        "please report it with the command you ran)\n"
    )
