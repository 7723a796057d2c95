"""Defects found by the QA review of ``losscli compute`` (issue 3), one test each; every
value is computed here independently (NumPy, scikit-learn)."""

from __future__ import annotations

import csv
import io
import json

import numpy as np
import pytest

from tests.cli.compute_helpers import compute, write_csv

sklearn_metrics = pytest.importorskip("sklearn.metrics")


def approx(value):
    return pytest.approx(value, rel=1e-12, abs=1e-15)


def _regression_with_a_negative(tmp_path):
    """30 rows of y, yhat; y is negative on file line 6 (data row 4), never zero."""
    rng = np.random.default_rng(7)
    y = rng.uniform(1.0, 5.0, 30)
    y[4] = -0.5
    p = rng.uniform(0.5, 5.0, 30)
    return write_csv(tmp_path / "reg.csv", ["y", "yhat"], y, p), y, p


# --------------------------------------------------------------------- 1. --all and domains


def test_all_leaves_out_losses_whose_domain_the_data_violates(tmp_path):
    path, y, p = _regression_with_a_negative(tmp_path)
    out = compute("runner", path, "--all", "-f", "json")
    assert out.code == 0, out.stderr
    losses = out.losses()
    assert "msle" not in losses and "poisson" not in losses
    assert losses["mse"] == approx(sklearn_metrics.mean_squared_error(y, p))
    assert losses["mae"] == approx(sklearn_metrics.mean_absolute_error(y, p))
    warnings = out.json()["warnings"]
    assert any(w.startswith("--all leaves out msle:") and "line 6" in w for w in warnings)
    assert any(w.startswith("--all leaves out poisson:") for w in warnings)
    assert "--all leaves out msle" in out.stderr


def test_all_warns_about_mape_on_zero_targets(tmp_path):
    y = np.array([0.0, 1.0, 2.0, 4.0])
    p = np.array([0.5, 1.5, 2.0, 3.0])
    path = write_csv(tmp_path / "z.csv", ["y", "yhat"], y, p)
    out = compute("runner", path, "--all", "-f", "json")
    assert out.code == 0, out.stderr
    # losscli: a fraction, |y| floored at 1e-7: mean(|p - y| / max(|y|, 1e-7))
    expected = np.mean(np.abs(p - y) / np.maximum(np.abs(y), 1e-7))
    assert out.losses()["mape"] == approx(expected)
    assert any("mape: 1 target(s) are 0" in w and "line 2" in w for w in out.json()["warnings"])


# --------------------------------------------------------------------- 5. domain errors located


def test_explicit_msle_on_negative_targets_names_file_line_and_column(tmp_path):
    path, _, _ = _regression_with_a_negative(tmp_path)
    out = compute("runner", path, "-l", "msle")
    assert out.code == 2 and out.stdout == ""
    assert out.stderr.startswith(
        f"losscli: error: {path}: line 6: column 'y': msle: y_true has a value below 0 ("
    )
    assert "at row" not in out.stderr


def test_domain_error_in_the_predictions_file_of_two_files(tmp_path):
    targets = write_csv(tmp_path / "t.csv", ["y"], np.array([1.0, 2.0, 3.0]))
    predictions = write_csv(tmp_path / "p.csv", ["yhat"], np.array([1.0, -2.0, 3.0]))
    out = compute("runner", targets, predictions, "-l", "poisson")
    assert out.code == 2
    assert f"{predictions}: line 3: column 'yhat': poisson: y_pred has a value below 0" in (
        out.stderr
    )


def test_library_message_keeps_the_array_row():
    import losscli
    from losscli.errors import InputError

    with pytest.raises(InputError, match="y_true has a value below 0 at row 1") as caught:
        losscli.loss("msle", [1.0, -1.0], [1.0, 1.0])
    assert (caught.value.row, caught.value.argument) == (1, "y_true")


# --------------------------------------------------------------------- 2. constant targets


def test_constant_target_with_task_is_computed(tmp_path):
    path = tmp_path / "cb.csv"
    path.write_text("y,prob\n1,0.2\n1,0.9\n")
    out = compute("runner", path, "--task", "binary", "-t", "y", "-p", "prob", "-l", "bce")
    assert out.code == 0, out.stderr
    report = json.loads(out.stdout)
    assert report["losses"]["bce"]["value"] == approx(-(np.log(0.2) + np.log(0.9)) / 2)
    assert report["layout"]["positive_label"] == "1"


def test_constant_negative_target_with_loss_but_no_task(tmp_path):
    path = tmp_path / "c0.csv"
    path.write_text("y,prob\n0,0.2\n0,0.9\n")
    out = compute("runner", path, "-l", "bce", "-f", "json")
    assert out.code == 0, out.stderr
    assert out.losses() == {"bce": approx(-(np.log(0.8) + np.log(0.1)) / 2)}
    assert out.json()["task"] == "binary"


def test_constant_target_text_label_needs_positive(tmp_path):
    path = tmp_path / "cs.csv"
    path.write_text("y,prob\nspam,0.2\nspam,0.9\n")
    out = compute("runner", path, "--task", "binary", "-l", "bce")
    assert out.code == 2 and "--positive" in out.stderr
    out = compute("runner", path, "--task", "binary", "--positive", "spam", "-f", "json")
    assert out.losses() == {"bce": approx(-(np.log(0.2) + np.log(0.9)) / 2)}


def test_constant_target_auto_names_the_file_and_suggests_task(tmp_path):
    path = tmp_path / "cb.csv"
    path.write_text("y,prob\n1,0.2\n1,0.9\n")
    out = compute("runner", path)
    assert out.code == 2
    assert out.stderr.startswith(f"losscli: error: {path}: column 'y': the target is constant")
    assert "--task" in out.stderr


# --------------------------------------------------------------------- 3. zero weights


def test_weights_summing_to_zero_are_an_error(tmp_path):
    path = tmp_path / "zw.csv"
    path.write_text("y,yhat,w\n1.5,2,0\n2.5,2,0\n3.7,1,0\n")
    out = compute("runner", path, "--weight", "w", "-l", "mse")
    assert out.code == 2 and out.stdout == ""
    assert f"the weights in column 'w' of {path} sum to zero" in out.stderr


def test_library_zero_weights_raise():
    import losscli
    from losscli.errors import InputError

    with pytest.raises(InputError, match="sum to zero"):
        losscli.loss("mse", [1.0, 2.0], [2.0, 2.0], sample_weight=[0.0, 0.0])
    # weights summing to zero on a perfect fit are still 0/0, not 0
    with pytest.raises(InputError, match="sum to zero"):
        losscli.loss("mse", [1.0, 2.0], [1.0, 2.0], sample_weight=[0.0, 0.0])


# --------------------------------------------------------------------- 6. stable loss keys


def test_global_flags_do_not_change_the_loss_key(tmp_path):
    y = np.array([0, 1, 1, 0, 1])
    z = np.array([-1.0, 2.0, 0.5, 0.3, -0.2])
    path = write_csv(tmp_path / "z.csv", ["y", "logit"], y, z)
    out = compute("runner", path, "-p", "logit", "--from-logits", "-l", "bce", "-f", "json")
    expected = sklearn_metrics.log_loss(y, 1 / (1 + np.exp(-z)))
    assert out.losses() == {"bce": pytest.approx(expected, rel=1e-12)}
    gated = compute("runner", path, "-p", "logit", "--from-logits", "--fail-if", "bce>0.1")
    assert gated.code == 1 and "bce" in gated.stderr
    explicit = compute("runner", path, "-p", "logit", "-l", "bce:from_logits=true", "-f", "json")
    assert list(explicit.losses()) == ["bce:from_logits=true"]


# --------------------------------------------------------------------- 4. Parquet


def test_parquet_index_column_is_ignored_and_rows_are_named(tmp_path):
    pandas = pytest.importorskip("pandas")
    pytest.importorskip("pyarrow")
    frame = pandas.DataFrame(
        {"y": [1.0, 2.0, -3.0, 4.0], "p_hat": [1.5, 2.0, 3.0, 4.5]}, index=[10, 11, 12, 13]
    )
    path = tmp_path / "pi.parquet"
    frame.to_parquet(path)  # stores the index as __index_level_0__
    out = compute("runner", path, "-l", "mse", "-f", "json")
    assert out.json()["columns"]["prediction"] == ["p_hat"]
    assert out.losses() == {"mse": approx(np.mean([0.25, 0.0, 36.0, 0.25]))}
    out = compute("runner", path, "-l", "msle")
    assert out.stderr.startswith(f"losscli: error: {path}: row 3: column 'y': msle:")
    # Two files: every other column plays the role, but never the pandas index.
    targets, predictions = tmp_path / "t.parquet", tmp_path / "p.parquet"
    frame[["y"]].to_parquet(targets)
    frame[["p_hat"]].rename(columns={"p_hat": "score"}).to_parquet(predictions)
    out = compute("runner", targets, predictions, "-l", "mae", "-f", "json")
    assert out.json()["columns"] == {"target": ["y"], "prediction": ["score"]}
    assert out.losses() == {"mae": approx(np.mean([0.5, 0.0, 6.0, 0.5]))}


# --------------------------------------------------------------------- 7. per label


def test_per_output_gives_each_label_of_a_multilabel_task(tmp_path):
    rng = np.random.default_rng(3)
    t = rng.integers(0, 2, (20, 3))
    t[0] = [1, 1, 0]  # rows with two labels: multilabel, not one-hot
    p = rng.uniform(0.05, 0.95, (20, 3))
    header = ["true_a", "true_b", "true_c", "p_a", "p_b", "p_c"]
    path = write_csv(tmp_path / "ml.csv", header, *t.T, *p.T)
    out = compute("runner", path, "-l", "bce", "--per-output", "-f", "json")
    per_label = out.json()["losses"]["bce"]["per_output"]
    for j, name in enumerate(["true_a", "true_b", "true_c"]):
        assert per_label[name] == approx(sklearn_metrics.log_loss(t[:, j], p[:, j]))


# --------------------------------------------------------------------- 8. box format


def test_detection_params_report_the_input_box_format(tmp_path):
    path = tmp_path / "b.csv"
    # xywh: gt (0,0,2,2) and pred (1,1,2,2): intersection 1, union 7
    path.write_text("gt_x,gt_y,gt_w,gt_h,pred_x,pred_y,pred_w,pred_h\n0,0,2,2,1,1,2,2\n")
    out = compute(
        "runner", path, "--task", "detection", "--box-format", "xywh", "-l", "iou", "-f", "json"
    )
    entry = out.json()["losses"]["iou"]
    assert entry["value"] == approx(1 - 1 / 7)
    assert entry["params"]["box_format"] == "xywh"


# --------------------------------------------------------------------- 9. slice by target


def test_group_by_the_target_column(tmp_path):
    labels = np.array(["cat", "dog", "cat", "dog", "cat"])
    p_cat = np.array([0.9, 0.3, 0.6, 0.2, 0.4])
    path = write_csv(tmp_path / "mc.csv", ["label", "p_cat", "p_dog"], labels, p_cat, 1 - p_cat)
    out = compute("runner", path, "--group-by", "label", "-l", "sparse_cce", "-f", "json")
    assert out.code == 0, out.stderr
    slices = out.json()["group_by"]["slices"]
    assert slices["cat"]["losses"]["sparse_cce"]["value"] == approx(
        -np.mean(np.log([0.9, 0.6, 0.4]))
    )
    assert slices["dog"]["losses"]["sparse_cce"]["value"] == approx(-np.mean(np.log([0.7, 0.8])))


# --------------------------------------------------------------------- 10. --ci in CSV


def test_ci_in_csv_output(tmp_path):
    rng = np.random.default_rng(5)
    y = rng.normal(0, 1, 50)
    path = write_csv(tmp_path / "r.csv", ["y", "yhat"], y, y + rng.normal(0, 1, 50))
    json_out = compute("runner", path, "-l", "mse", "--ci", "0.9", "--seed", "4", "-f", "json")
    ci = json_out.json()["losses"]["mse"]["ci"]
    out = compute("runner", path, "-l", "mse", "--ci", "0.9", "--seed", "4", "-f", "csv")
    rows = list(csv.DictReader(io.StringIO(out.stdout)))
    assert float(rows[0]["ci_low"]) == ci["low"] and float(rows[0]["ci_high"]) == ci["high"]
    assert float(rows[0]["ci_level"]) == 0.9


# --------------------------------------------------------------------- 11. --summary


def test_unwritable_summary_is_a_warning(tmp_path):
    path = write_csv(
        tmp_path / "r.csv", ["y", "yhat"], np.array([1.5, 2.5, 3.5]), np.array([2.5, 2.5, 3.5])
    )
    summary = tmp_path / "missing" / "summary.md"
    out = compute(
        "runner",
        path,
        "-l",
        "mse",
        "--summary",
        "-f",
        "json",
        env={"GITHUB_STEP_SUMMARY": str(summary)},
    )
    assert out.code == 0
    assert out.losses() == {"mse": approx(1 / 3)}
    assert "warning: --summary: no summary was written" in out.stderr


# --------------------------------------------------------------------- 12/13. --per-sample


def test_per_sample_dash_is_standard_output_with_lines_and_slices(tmp_path):
    path = tmp_path / "r.csv"
    path.write_text("y,yhat,g\n1,2,a\n\n2,2,b\n4,1,a\n")  # a blank line: line numbers skip it
    out = compute("runner", path, "-l", "mse", "--group-by", "g", "--per-sample", "-")
    assert out.code == 0, out.stderr
    rows = list(csv.DictReader(io.StringIO(out.stdout)))
    assert [(r["row"], r["line"], r["slice"], float(r["value"])) for r in rows] == [
        ("0", "2", "a", 1.0),
        ("1", "4", "b", 0.0),
        ("2", "5", "a", 9.0),
    ]
    assert not (tmp_path / "-").exists()
    clash = compute("runner", path, "-l", "mse", "--per-sample", "-", "-f", "json")
    assert clash.code == 2 and "--per-sample -" in clash.stderr


# --------------------------------------------------------------------- 13. nits


def test_no_color_after_the_subcommand(tmp_path):
    path = write_csv(
        tmp_path / "r.csv", ["y", "yhat"], np.array([1.5, 2.5, 3.5]), np.array([2.5, 2.5, 3.5])
    )
    out = compute("runner", path, "-l", "mse", "-f", "json", "--no-color")
    assert out.code == 0 and out.losses() == {"mse": approx(1 / 3)}


def test_semicolon_file_read_with_commas_hints_the_delimiter(tmp_path):
    path = tmp_path / "semi.csv"
    path.write_text("y;yhat\n1;2\n")
    out = compute("runner", path)
    assert out.code == 2 and "(hint: the header looks ';'-separated: use --delimiter ';')" in (
        out.stderr
    )


def test_loss_of_another_task_hints_the_task(tmp_path):
    path = tmp_path / "two.csv"
    path.write_text("y,yhat\n0,0.5\n1,0.7\n1,1.2\n0,0.1\n")
    out = compute("runner", path, "-l", "mse", "-l", "bce")  # losses of two tasks
    assert out.code == 2 and "hint: if the data is a regression task" in out.stderr
    out = compute("runner", path, "-l", "mse", "--task", "regression", "-f", "json")
    assert out.losses() == {"mse": approx(np.mean([0.25, 0.09, 0.04, 0.01]))}
    # --task auto and only regression losses: the task follows the losses
    out = compute("runner", path, "-l", "mse", "-f", "json")
    assert out.losses() == {"mse": approx(np.mean([0.25, 0.09, 0.04, 0.01]))}
    assert "-l mse is a regression loss (the target alone looks binary)" in out.stderr


def test_chunk_rows_zero_and_positive_on_multiclass(tmp_path):
    path = write_csv(tmp_path / "r.csv", ["y", "yhat"], np.array([1.5, 2.0]), np.array([2.0, 2.0]))
    out = compute("runner", path, "--chunk-rows", "0")
    assert out.code == 2 and "--chunk-rows must be a positive number of rows, got 0" in out.stderr
    labels = np.array(["a", "b", "c"])
    mc = write_csv(tmp_path / "mc.csv", ["label", "p_a", "p_b", "p_c"], labels, *np.eye(3))
    out = compute("runner", mc, "--positive", "a")
    assert out.code == 2 and "--positive applies to a binary target" in out.stderr


def test_all_leaves_out_a_loss_when_a_later_file_of_a_glob_violates_its_domain(tmp_path):
    (tmp_path / "a.csv").write_text("y,yhat\n1.5,2\n2.5,2\n")  # the head: all positive
    (tmp_path / "b.csv").write_text("y,yhat\n-1.5,2\n3.5,3\n")
    out = compute("runner", tmp_path / "*.csv", "--all", "-f", "json")
    assert out.code == 0, out.stderr
    assert out.losses()["mse"] == approx((0.25 + 0.25 + 12.25 + 0.25) / 4)
    assert "msle" not in out.losses()
    assert any(
        w.startswith("--all leaves out msle:") and "b.csv: line 2: column 'y'" in w
        for w in out.json()["warnings"]
    )


@pytest.mark.parametrize("text", ["ınf", "İnf", "-ınfinity", "nan\u0307"])
@pytest.mark.parametrize("rows", [3, 2_000])  # the careful scan, and polars' reader
def test_unicode_look_alikes_of_inf_are_text_errors_not_crashes(tmp_path, text, rows):
    """The text "ınf" (dotless i) matched the number pattern case-insensitively but float() refuses
    it: an internal error (exit 70) before. Now it is a bad value naming line and column."""
    path = tmp_path / "r.csv"
    body = "".join(f"{i}.5,{i}.25\n" for i in range(rows - 1))
    path.write_text(f"y,yhat\n{body}1.0,{text}\n", encoding="utf-8")
    out = compute("subprocess", path, "-l", "mse")
    assert out.code == 2, out.stderr
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in out.stderr
    assert f"line {rows + 1}: column 'yhat'" in lines[0], lines[0]


@pytest.mark.parametrize("engine", ["memory", "streaming"])
def test_text_in_one_of_several_target_columns_names_its_line(tmp_path, engine):
    """The inference error about a text value in a one-hot target named only the column
    in memory (QA); it now names the file and line of the first such value too."""
    path = tmp_path / "oh.csv"
    path.write_text(
        "true_a,true_b,true_c,p_a,p_b,p_c\n1,0,0,0.7,0.2,0.1\n0,1,0,0.2,0.7,0.1\n"
        "0,abc,1,0.1,0.2,0.7\n0,0,1,0.1,0.2,0.7\n"
    )
    out = compute("runner", path, "-l", "cce", "--engine", engine)
    assert out.code == 2
    assert f"{path}: line 4: column 'true_b': 3 target columns, of which 'true_b' holds text" in (
        out.stderr
    )
