"""Defects found by the QA review of ``losscli compute`` (issue 3), one test each; every
value is computed here independently (NumPy, scikit-learn)."""

from __future__ import annotations

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
