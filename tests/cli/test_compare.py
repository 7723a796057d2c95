"""``losscli compare``: leaderboard values, paired intervals, verdicts, the CI gate."""

from __future__ import annotations

import json

import numpy as np
import pytest

from losscli.cli.main import app

N = 400


@pytest.fixture
def regression_files(tmp_path):
    rng = np.random.default_rng(12)
    y = rng.normal(size=N)
    predictions = {
        "base": y + rng.normal(scale=0.5, size=N),
        "twin": None,  # the baseline's predictions, exactly
        "peer": y + rng.normal(scale=0.5, size=N),  # as good, different errors
        "bad": y + rng.normal(scale=0.9, size=N),  # clearly worse
    }
    predictions["twin"] = predictions["base"].copy()
    (tmp_path / "y.csv").write_text("y\n" + "\n".join(repr(v) for v in y.tolist()) + "\n")
    for name, values in predictions.items():
        (tmp_path / f"{name}.csv").write_text(
            "yhat\n" + "\n".join(repr(v) for v in values.tolist()) + "\n"
        )
    return tmp_path, y, predictions


def _run(runner, tmp_path, *args, env=None):
    files = [str(tmp_path / "y.csv")]
    words = []
    for arg in args:
        if arg.endswith(".csv"):
            name, sep, path = arg.partition("=")
            words.append(f"{name}={tmp_path / path}" if sep else str(tmp_path / arg))
        else:
            words.append(arg)
    return runner.invoke(app, ["compare", *files, *words], env=env)


def _model(document, name):
    return next(model for model in document["models"] if model["name"] == name)


def _paired_percentiles(baseline, other, *, seed, n_resamples):
    """The 95 % paired percentile interval by hand: the same rows (one index matrix from
    the seed) for both models, replicates = difference of the two means."""
    units = len(baseline)
    index = np.random.default_rng(seed).integers(0, units, size=(n_resamples, units))
    replicates = other[index].mean(axis=1) - baseline[index].mean(axis=1)
    return np.quantile(replicates, [0.025, 0.975])


def test_json_report_with_hand_computed_values_and_paired_interval(runner, regression_files):
    tmp_path, y, predictions = regression_files
    result = _run(
        runner,
        tmp_path,
        "base.csv",
        "bad.csv",
        "-l",
        "mse",
        "--bootstrap",
        "500",
        "--seed",
        "3",
        "-f",
        "json",
    )
    assert result.exit_code == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["schema"] == "losscli/compare/1"
    assert document["baseline"] == "base" and document["losses"] == ["mse"]
    base_errors = (y - predictions["base"]) ** 2
    bad_errors = (y - predictions["bad"]) ** 2
    base = _model(document, "base")["losses"]["mse"]
    bad = _model(document, "bad")["losses"]["mse"]
    assert base == {"value": pytest.approx(base_errors.mean(), rel=1e-12), "verdict": "baseline"}
    assert bad["value"] == pytest.approx(bad_errors.mean(), rel=1e-12)
    assert bad["difference"] == pytest.approx(bad_errors.mean() - base_errors.mean(), rel=1e-9)
    low, high = _paired_percentiles(base_errors, bad_errors, seed=3, n_resamples=500)
    assert bad["ci"] == {
        "level": 0.95,
        "low": pytest.approx(low, rel=1e-9),
        "high": pytest.approx(high, rel=1e-9),
    }
    assert bad["verdict"] == "worse"
    assert [m["rank"] for m in document["models"]] == [1, 2]
    assert document["bootstrap"]["resampled"] == "rows"


def test_flags_a_clearly_worse_model_and_not_an_equal_one(runner, regression_files):
    tmp_path, _, _ = regression_files
    result = _run(
        runner,
        tmp_path,
        "base.csv",
        "twin.csv",
        "peer.csv",
        "bad.csv",
        "-l",
        "mse",
        "-l",
        "mae",
        "--fail-if-worse",
        "-f",
        "json",
    )
    assert result.exit_code == 1
    document = json.loads(result.stdout)
    for loss in ("mse", "mae"):
        twin = _model(document, "twin")["losses"][loss]
        assert twin["difference"] == 0.0 and twin["ci"]["low"] == twin["ci"]["high"] == 0.0
        assert twin["verdict"] == "no clear difference" and twin["failed"] is False
        peer = _model(document, "peer")["losses"][loss]
        assert peer["verdict"] == "no clear difference" and peer["failed"] is False
        assert peer["ci"]["low"] < 0 < peer["ci"]["high"]
        bad = _model(document, "bad")["losses"][loss]
        assert bad["verdict"] == "worse" and bad["failed"] is True
    assert document["failed"] is True
    assert {(c["model"], c["loss"]) for c in document["checks"] if c["failed"]} == {
        ("bad", "mse"),
        ("bad", "mae"),
    }
    assert "bad is worse than base on mse" in result.stderr
    assert _model(document, "bad")["rank"] == 4


def test_without_the_gate_or_with_exit_zero_the_exit_code_is_0(runner, regression_files):
    tmp_path, _, _ = regression_files
    assert _run(runner, tmp_path, "base.csv", "bad.csv", "-f", "json").exit_code == 0
    result = _run(
        runner, tmp_path, "base.csv", "bad.csv", "--fail-if-worse", "--exit-zero", "-f", "json"
    )
    assert result.exit_code == 0
    assert json.loads(result.stdout)["failed"] is True


def test_a_better_model_passes_the_gate(runner, regression_files):
    tmp_path, _, _ = regression_files
    result = _run(runner, tmp_path, "bad.csv", "base.csv", "--fail-if-worse", "-f", "json")
    assert result.exit_code == 0
    assert _model(json.loads(result.stdout), "base")["losses"]["mse"]["verdict"] == "better"


def test_margin_in_loss_units_and_relative(runner, regression_files):
    tmp_path, y, predictions = regression_files
    difference = np.mean((y - predictions["bad"]) ** 2) - np.mean((y - predictions["base"]) ** 2)
    base_mse = np.mean((y - predictions["base"]) ** 2)
    for margin, code in (
        (f"{difference * 1.01}", 0),
        (f"{difference * 0.99}", 1),
        (f"{100 * difference / base_mse * 1.01}%", 0),
        (f"{100 * difference / base_mse * 0.99}%", 1),
    ):
        result = _run(
            runner,
            tmp_path,
            "base.csv",
            "bad.csv",
            "--fail-if-worse",
            "--margin",
            margin,
            "-f",
            "json",
        )
        assert result.exit_code == code, margin


def test_models_are_named_by_stem_or_name_equals_path(runner, regression_files):
    tmp_path, _, _ = regression_files
    result = _run(runner, tmp_path, "old=base.csv", "new=bad.csv", "-f", "json")
    document = json.loads(result.stdout)
    assert [m["name"] for m in document["models"]] == ["old", "new"]
    assert document["models"][0]["path"].endswith("base.csv")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["base.csv"], "at least two prediction files"),
        (["base.csv", "base.csv"], "two models are named 'base'"),
        (["base.csv", "bad.csv", "--margin", "lots"], "cannot read --margin"),
        (["base.csv", "bad.csv", "--margin", "-1"], "--margin must be"),
        (["base.csv", "bad.csv", "--ci", "95"], "between 0 and 1"),
        (["base.csv", "bad.csv", "--bootstrap", "3"], "at least 10"),
        (["base.csv", "bad.csv", "-l", "bce"], "does not apply"),
        (["base.csv", "missing.csv"], "missing.csv"),
    ],
)
def test_usage_errors_exit_2_with_one_line(runner, regression_files, args, message):
    tmp_path, _, _ = regression_files
    result = _run(runner, tmp_path, *args)
    assert result.exit_code == 2, result.stdout
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_markdown_summary_and_annotations(runner, regression_files):
    tmp_path, _, _ = regression_files
    summary = tmp_path / "summary.md"
    result = _run(
        runner,
        tmp_path,
        "base.csv",
        "bad.csv",
        "--fail-if-worse",
        "--summary",
        "--annotate",
        "-f",
        "markdown",
        env={"GITHUB_STEP_SUMMARY": str(summary)},
    )
    assert result.exit_code == 1
    assert result.stdout.startswith("### losscli compare: regression")
    assert "| rank | model | loss | value |" in result.stdout
    assert "**worse** ❌" in result.stdout and "**Gate failed**" in result.stdout
    assert summary.read_text().startswith("### losscli compare")
    assert "::error title=losscli compare::bad is worse than base on mse" in result.stderr


def test_table_and_csv(runner, regression_files):
    tmp_path, _, _ = regression_files
    table = _run(runner, tmp_path, "base.csv", "bad.csv", "-f", "table")
    assert table.exit_code == 0
    assert "baseline" in table.stdout and "worse" in table.stdout
    csv_lines = _run(runner, tmp_path, "base.csv", "bad.csv", "-f", "csv").stdout.splitlines()
    assert csv_lines[0].startswith("rank,model,path,loss,value,difference")
    assert csv_lines[2].split(",")[1] == "bad" and csv_lines[2].endswith(",worse,false")


def test_binary_models_with_bce(runner, tmp_path):
    rng = np.random.default_rng(5)
    y = (rng.random(300) < 0.4).astype(int)
    sharp = np.clip(np.where(y == 1, 0.8, 0.2) + rng.normal(scale=0.05, size=300), 0.01, 0.99)
    vague = np.full(300, 0.5)
    (tmp_path / "y.csv").write_text("label\n" + "\n".join(map(str, y)) + "\n")
    for name, values in (("sharp", sharp), ("vague", vague)):
        (tmp_path / f"{name}.csv").write_text(
            "prob\n" + "\n".join(map(repr, values.tolist())) + "\n"
        )
    result = _run(runner, tmp_path, "sharp.csv", "vague.csv", "--fail-if-worse", "-f", "json")
    assert result.exit_code == 1
    document = json.loads(result.stdout)
    assert document["task"] == "binary" and document["losses"] == ["bce"]
    vague_entry = _model(document, "vague")["losses"]["bce"]
    assert vague_entry["value"] == pytest.approx(np.log(2), rel=1e-12)
    expected_sharp = -np.mean(y * np.log(sharp) + (1 - y) * np.log(1 - sharp))
    assert _model(document, "sharp")["losses"]["bce"]["value"] == pytest.approx(
        expected_sharp, rel=1e-12
    )
    assert vague_entry["verdict"] == "worse"


def test_segmentation_resamples_whole_images(runner, tmp_path):
    rng = np.random.default_rng(9)
    images, pixels = 24, 30
    image = np.repeat(np.arange(images), pixels)
    mask = (rng.random(images * pixels) < 0.3).astype(int)
    good = np.clip(0.8 * mask + 0.2 * rng.random(images * pixels), 0, 1)
    poor = np.clip(0.4 * mask + 0.6 * rng.random(images * pixels), 0, 1)
    rows = "\n".join(f"{i},{m}" for i, m in zip(image, mask, strict=True))
    (tmp_path / "y.csv").write_text("image,mask\n" + rows + "\n")
    for name, values in (("good", good), ("poor", poor)):
        body = "\n".join(f"{i},{v!r}" for i, v in zip(image.tolist(), values.tolist(), strict=True))
        (tmp_path / f"{name}.csv").write_text("image,prob\n" + body + "\n")
    result = _run(
        runner,
        tmp_path,
        "good.csv",
        "poor.csv",
        "--task",
        "segmentation",
        "--group",
        "image",
        "-t",
        "mask",
        "-p",
        "prob",
        "--bootstrap",
        "300",
        "-f",
        "json",
    )
    assert result.exit_code == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["bootstrap"]["resampled"] == "groups"

    def per_image(pred):
        inter = np.bincount(image, weights=mask * pred)
        total = np.bincount(image, weights=mask) + np.bincount(image, weights=pred)
        return 1 - (2 * inter + 1) / (total + 1)

    # image ids are read as text, so the images are taken in text order: 0, 1, 10, 11, …
    text_order = sorted(range(images), key=str)
    good_dice, poor_dice = per_image(good)[text_order], per_image(poor)[text_order]
    entry = _model(document, "poor")["losses"]["dice"]
    assert entry["value"] == pytest.approx(poor_dice.mean(), rel=1e-12)
    low, high = _paired_percentiles(good_dice, poor_dice, seed=0, n_resamples=300)
    assert entry["ci"]["low"] == pytest.approx(low, rel=1e-9)
    assert entry["ci"]["high"] == pytest.approx(high, rel=1e-9)
    assert entry["verdict"] == "worse"


def test_docs_ci_pipeline(tmp_path):
    """The jq pipelines of docs/ci.md run as written on small files."""
    import os
    import re
    import shutil
    import subprocess
    import sys
    from pathlib import Path

    if shutil.which("jq") is None:
        pytest.skip("jq is not installed")
    text = (Path(__file__).parents[2] / "docs" / "ci.md").read_text()
    (script,) = re.findall(r"```sh\n(.*?)```", text, flags=re.DOTALL)
    rng = np.random.default_rng(1)
    y = rng.normal(size=200)
    ids = rng.permutation(200)  # --id joins files whose rows are in different orders
    (tmp_path / "data").mkdir()
    (tmp_path / "preds").mkdir()
    (tmp_path / "data" / "targets.csv").write_text(
        "row_id,y\n" + "".join(f"{i},{v!r}\n" for i, v in zip(range(200), y.tolist(), strict=True))
    )
    for name, scale in (("main", 0.6), ("candidate", 0.4)):
        pred = (y + rng.normal(scale=scale, size=200)).tolist()
        rows = "".join(f"{i},{pred[i]!r}\n" for i in ids.tolist())
        (tmp_path / "preds" / f"{name}.csv").write_text("row_id,yhat\n" + rows)
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    done = subprocess.run(
        ["bash", "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("candidate mse: 0.")
    candidate = next(line for line in lines if line.startswith("candidate\t")).split("\t")
    assert candidate[-1] == "better" and float(candidate[2]) < 0
    assert "bce" in lines and "hinge" in lines
