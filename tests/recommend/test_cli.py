"""``losscli recommend`` through Typer's CliRunner, one real subprocess, and bad input."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from losscli.cli.main import app

SAMPLES = Path(__file__).resolve().parents[2] / "sample_data"


def sample(name: str) -> str:
    return str(SAMPLES / f"recommend_{name}.csv")


def run_json(runner, *args: str) -> dict:
    result = runner.invoke(app, ["recommend", *args, "--format", "json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_json_for_one_file_with_default_columns(runner):
    document = run_json(runner, sample("huber"))
    assert document["schema"] == "losscli/recommend/1"
    assert document["task"]["type"] == "regression"
    assert document["recommendation"]["loss"] == "huber"
    assert document["recommendation"]["activation"] == "linear"
    assert document["evidence"]["on"] == "residuals"  # y and yhat found by their names
    assert set(document["losses"]) >= {"mae", "mse"}


def test_targets_only_file_uses_every_column(runner):
    document = run_json(runner, sample("onehot"))
    assert document["task"]["type"] == "multiclass"
    assert document["task"]["layout"] == "3 one-hot columns"
    assert document["recommendation"]["loss"] == "cce"
    assert document["recommendation"]["activation"] == "softmax"


def test_imbalanced_multilabel_recommendation_is_computed_with_per_label_pos_weight(
    runner, tmp_path
):
    """The weighted multi-label branch recommends pos_weight = neg/pos per label; the value
    on the predictions is computed (it was an error while pos_weight took one number)."""
    rng = np.random.default_rng(3)
    n = 400
    y = (rng.random((n, 3)) < [0.4, 0.3, 0.07]).astype(int)
    p = np.clip(y * 0.6 + rng.random((n, 3)) * 0.4, 0.01, 0.99)
    lines = ["true_a,true_b,true_c,p_a,p_b,p_c"]
    lines += [
        ",".join(map(str, t)) + "," + ",".join(map(repr, q.tolist()))
        for t, q in zip(y, p, strict=True)
    ]
    path = tmp_path / "labels.csv"
    path.write_text("\n".join(lines) + "\n")
    document = run_json(runner, str(path))
    assert document["recommendation"]["rule"] == "multilabel/weighted"
    weights = np.array([(n - k) / k for k in y.sum(axis=0)])
    assert document["recommendation"]["params"]["pos_weight"] == pytest.approx(weights.tolist())
    (computed,) = [v for v in document["losses"].values() if v["role"] == "recommended"]
    assert computed["error"] is None
    cells = -(weights * y * np.log(p) + (1 - y) * np.log(1 - p))
    assert computed["value"] == pytest.approx(cells.mean(), rel=1e-12)


def test_prefixed_targets_and_predictions(runner):
    document = run_json(runner, sample("multilabel"))
    assert document["task"]["type"] == "multilabel"
    assert document["task"]["columns"] == ["true_a", "true_b", "true_c"]
    assert document["evidence"]["predictions"]["kind"] == "sigmoid"
    assert document["recommendation"]["loss"] == "bce"


def test_explicit_columns_and_task_override(runner):
    document = run_json(runner, sample("counts"), "--target", "visits", "--task", "regression")
    assert document["task"]["type"] == "regression"
    assert document["task"]["reason"] == "because --task regression was given"


def test_two_files_pair_by_id(runner, tmp_path):
    targets = tmp_path / "t.csv"
    preds = tmp_path / "p.csv"
    targets.write_text("id,label\n1,0\n2,1\n3,1\n4,0\n")
    preds.write_text("id,prob\n4,0.2\n3,0.7\n2,0.9\n1,0.4\n")
    document = run_json(runner, str(targets), str(preds), "--id", "id")
    assert document["task"]["type"] == "binary"
    # joined on id: rows (0, .4) (1, .9) (1, .7) (0, .2)
    y = np.array([0, 1, 1, 0.0])
    p = np.array([0.4, 0.9, 0.7, 0.2])
    expected = -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))
    assert document["losses"]["bce"]["value"] == pytest.approx(expected, rel=1e-12)


def test_weight_column_weights_the_computed_losses(runner, tmp_path):
    path = tmp_path / "w.csv"
    path.write_text("y,yhat,w\n1,2,1\n2,2,3\n3,1,0\n5,5,1\n")
    document = run_json(runner, str(path), "--weight", "w")
    # Σ w (y - ŷ)² / Σ w = (1·1 + 3·0 + 0·4 + 1·0) / 5
    assert document["losses"]["mse"]["value"] == pytest.approx(1 / 5)


def test_markdown_output(runner):
    result = runner.invoke(app, ["recommend", sample("imbalanced"), "--format", "markdown"])
    assert result.exit_code == 0
    assert result.stdout.startswith("## losscli recommend")
    assert "| bce | sigmoid | pos\\_weight=12.33 |" in result.stdout


def test_table_output_has_the_pictures(runner):
    result = runner.invoke(app, ["recommend", sample("huber"), "--format", "table"])
    assert result.exit_code == 0
    assert "Histogram of residuals" in result.stdout
    assert "3×IQR fence" in result.stdout
    assert "Recommendation" in result.stdout
    result = runner.invoke(app, ["recommend", sample("strings"), "--format", "table"])
    assert "Class shares" in result.stdout
    assert "█" in result.stdout


def test_warnings_go_to_stderr_on_one_line(runner):
    result = runner.invoke(app, ["recommend", sample("softmax_multilabel"), "--format", "json"])
    assert result.exit_code == 0
    lines = [line for line in result.stderr.splitlines() if line.startswith("warning:")]
    assert len(lines) == 1
    assert "own sigmoid" in lines[0]
    assert json.loads(result.stdout)["warnings"] == [lines[0].removeprefix("warning: ")]


def test_labels_cannot_inject_markup(runner, tmp_path):
    path = tmp_path / "evil.csv"
    path.write_text("y\n[bold red]x[/]\n\x1b[31mz\nplain\n[bold red]x[/]\n")
    result = runner.invoke(app, ["recommend", str(path), "--format", "table"])
    assert result.exit_code == 0
    assert "[bold red]x[/]" in result.stdout
    assert "\x1b" not in result.stdout


# ------------------------------------------------------------------ bad input: exit 2, one line


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([sample("constant")], "column 'y': the target is constant"),
        (["does-not-exist.csv"], "does-not-exist.csv: no such file"),
        ([sample("mse"), "--target", "nope"], "no column named 'nope'"),
        ([sample("counts"), "--task", "binary"], "--task binary needs exactly 2"),
        ([sample("binary"), "--positive", "yes"], "--positive 'yes' is not one of the labels"),
    ],
)
def test_bad_input_exits_2_with_one_line(runner, args, message):
    result = runner.invoke(app, ["recommend", *args, "--format", "json"])
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("losscli: error: ")
    assert message in lines[0]
    assert "Traceback" not in result.output


def test_text_predictions_name_file_line_and_column(runner, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("y,yhat\n1,0.5\n0,oops\n1,0.7\n")
    result = runner.invoke(app, ["recommend", str(path), "--format", "json"])
    assert result.exit_code == 2
    line = result.stderr.strip()
    assert "bad.csv" in line and "line 3" in line and "yhat" in line


def test_real_subprocess_json_and_exit_codes():
    good = subprocess.run(
        [sys.executable, "-m", "losscli", "recommend", sample("heavy")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert good.returncode == 0, good.stderr
    document = json.loads(good.stdout)  # stdout is a pipe: JSON by default
    assert document["recommendation"]["loss"] == "focal"
    assert document["recommendation"]["params"] == {"alpha": 0.25, "gamma": 2.0}
    bad = subprocess.run(
        [sys.executable, "-m", "losscli", "recommend", sample("constant")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert bad.returncode == 2
    assert bad.stdout == ""
    assert len(bad.stderr.strip().splitlines()) == 1


def test_a_number_column_with_one_bad_value_is_not_read_as_labels(runner, tmp_path):
    path = tmp_path / "typo.csv"
    path.write_text("y\n1.5\n2.25\n3.5\n4x\n5.0\n")
    result = runner.invoke(app, ["recommend", str(path), "--format", "json"])
    assert result.exit_code == 2
    line = result.stderr.strip()
    assert "typo.csv" in line and "line 5" in line and "'y'" in line


def test_prediction_columns_pair_with_targets_by_name(runner, tmp_path):
    # prediction columns in another order than the targets: matched by name, not position
    path = tmp_path / "ml.csv"
    path.write_text("true_a,true_b,p_b,p_a\n1,0,0.2,0.9\n0,1,0.8,0.3\n1,1,0.6,0.7\n0,0,0.1,0.4\n")
    document = run_json(runner, str(path))
    y = np.array([[1, 0], [0, 1], [1, 1], [0, 0]], dtype=float)
    p = np.array([[0.9, 0.2], [0.3, 0.8], [0.7, 0.6], [0.4, 0.1]])
    expected = -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))
    assert document["losses"]["bce"]["value"] == pytest.approx(expected, rel=1e-12)


def test_group_column_makes_a_mask_segmentation(runner, tmp_path):
    path = tmp_path / "seg.csv"
    rows = ["image,mask,prob"]
    for image in range(3):
        for pixel in range(8):
            mask = 1 if pixel < 2 else 0
            rows.append(f"{image},{mask},{0.8 if mask else 0.1}")
    path.write_text("\n".join(rows) + "\n")
    document = run_json(runner, str(path), "--target", "mask", "--pred", "prob", "--group", "image")
    assert document["task"]["type"] == "segmentation"
    assert document["task"]["ambiguous"] is True
    assert document["recommendation"]["loss"] == "dice"
    assert document["recommendation"]["activation"] == "sigmoid"
    # soft Dice per image, smooth 1 (losscli profile): every image has Σp·y = 1.6,
    # Σp = 2.2, Σy = 2, so 1 - (2·1.6 + 1) / (2.2 + 2 + 1)
    assert document["losses"]["dice"]["value"] == pytest.approx(1 - 4.2 / 5.2, rel=1e-12)


def test_stdin_is_read_with_dash(runner):
    text = (SAMPLES / "recommend_binary.csv").read_text()
    result = runner.invoke(app, ["recommend", "-", "--format", "json"], input=text)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["recommendation"]["loss"] == "bce"
