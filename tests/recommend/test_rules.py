"""One data set per branch of the SPEC §5 procedure: task, loss, activation and parameters.

The data sets are ``sample_data/recommend_*.csv`` (see ``make_samples.py``); they are read
here with pandas, independently of losscli's readers.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from losscli.errors import InputError
from losscli.recommend import recommend
from losscli.recommend.rules import (
    FOCAL_ALPHA,
    FOCAL_GAMMA,
    balanced_class_weights,
    decide_regression,
    huber_delta,
)
from losscli.recommend.statistics import RegressionEvidence, distribution, regression_evidence

SAMPLES = Path(__file__).resolve().parents[2] / "sample_data"


def load(name: str, targets: list[str], predictions: list[str] | None = None):
    frame = pd.read_csv(SAMPLES / f"recommend_{name}.csv")
    t = {c: frame[c].to_numpy() for c in targets}
    t = {c: (v.astype(object) if v.dtype == object else v.astype(np.float64)) for c, v in t.items()}
    p = {c: frame[c].to_numpy(dtype=np.float64) for c in predictions} if predictions else None
    return frame, t, p


def independent_huber_delta(values: np.ndarray) -> float:
    """δ = 1.345 × 1.4826 × MAD, recomputed with scipy."""
    from scipy.stats import median_abs_deviation

    return 1.345 * 1.4826 * float(median_abs_deviation(values))


# ------------------------------------------------------------------ regression


def test_normal_residuals_recommend_mse():
    frame, t, p = load("mse", ["y"], ["yhat"])
    result = recommend(t, p)
    assert result.task == "regression"
    rec = result.recommendation
    assert (rec.loss, rec.activation, rec.params, rec.rule) == (
        "mse",
        "linear",
        {},
        "regression/mse",
    )
    assert "no residual has |modified z| > 3.5" in rec.reason
    assert result.evidence.decide_on.on == "residuals"
    # the Huber alternative carries the robust delta of the residuals
    huber = next(a for a in result.alternatives if a.loss == "huber")
    residuals = frame["y"].to_numpy() - frame["yhat"].to_numpy()
    assert huber.params["delta"] == pytest.approx(independent_huber_delta(residuals), rel=1e-9)


def test_a_few_outliers_recommend_huber_with_a_robust_delta():
    frame, t, p = load("huber", ["y"], ["yhat"])
    result = recommend(t, p)
    rec = result.recommendation
    assert (rec.loss, rec.activation, rec.rule) == ("huber", "linear", "regression/huber")
    residuals = frame["y"].to_numpy() - frame["yhat"].to_numpy()
    assert rec.params["delta"] == pytest.approx(independent_huber_delta(residuals), rel=1e-9)
    assert "2.0% of the residuals" in rec.reason
    assert result.evidence.decide_on.share_modified_z == pytest.approx(0.02)


def test_many_outliers_recommend_mae():
    _, t, p = load("mae", ["y"], ["yhat"])
    rec = recommend(t, p).recommendation
    assert (rec.loss, rec.activation, rec.params) == ("mae", "linear", {})
    assert "12.0% of the residuals have |modified z| > 3.5 (> 5.0%)" in rec.reason


def test_right_skewed_positive_target_gets_the_msle_note():
    _, t, _ = load("msle", ["price"])
    result = recommend(t)
    assert result.task == "regression"
    assert any("consider a log transform (MSLE)" in note for note in result.notes)
    assert result.alternatives[0].loss == "msle"
    # without predictions the evidence is on the targets
    assert result.evidence.decide_on.on == "targets"
    assert result.recommendation.loss in ("mae", "huber")


def test_huber_delta_without_predictions_uses_the_targets():
    values = np.array([1.0, 2.0, 2.5, 3.0, 3.5, 4.0, 30.0])
    evidence = regression_evidence(values)
    assert huber_delta(evidence.decide_on) == pytest.approx(independent_huber_delta(values))


def test_kurtosis_alone_triggers_mae():
    # A hand-made evidence record: no outlier share, but a heavy-tailed bulk.
    base = distribution(np.linspace(-1, 1, 50), "residuals")

    heavy = replace(base, excess_kurtosis=8.0)
    rec = decide_regression(RegressionEvidence(heavy, heavy))
    assert rec.loss == "mae"
    assert "excess kurtosis is 8 (> 7)" in rec.reason


def test_large_normal_sample_with_its_normal_tail_is_mse():
    # QA issue 4: n = 10 million N(0, 0.5) residuals had 0.048 % with |modified z| > 3.5 and
    # 1.5e-6 beyond the 3×IQR fences (normal: 2.3e-6) and were sent to Huber.
    base = distribution(np.linspace(-1, 1, 50), "residuals")
    tail = replace(base, share_modified_z=0.0004803, share_outside_outer=1.5e-6)
    rec = decide_regression(RegressionEvidence(tail, tail))
    assert rec.loss == "mse"
    # the reason prints the shares with the digits that match the decision
    assert "only 0.048% of the residuals" in rec.reason
    assert "0.00015% lie beyond the 3×IQR fences" in rec.reason
    # one in ten thousand beyond the fences is 40x the normal tail: Huber
    rec = decide_regression(RegressionEvidence(replace(tail, share_outside_outer=1e-4), tail))
    assert rec.loss == "huber"
    assert "0.01% lie beyond the 3×IQR fences" in rec.reason


def test_a_large_normal_sample_is_mse_end_to_end():
    rng = np.random.default_rng(7)
    y = rng.normal(size=400_000)
    result = recommend({"y": y + rng.normal(0.0, 0.5, size=y.shape)}, {"p": y})
    assert result.recommendation.loss == "mse"


def test_student_t3_residuals_recommend_mae_by_the_kurtosis_of_all_points():
    # t(3) has infinite kurtosis; its flagged points are a continuum, not a separated few.
    rng = np.random.default_rng(3)
    residual = rng.standard_t(3, size=5000)
    assert stats_kurtosis(residual) > 7
    result = recommend({"y": residual + 1.0}, {"p": np.ones_like(residual)})
    rec = result.recommendation
    assert rec.loss == "mae"
    assert f"excess kurtosis is {stats_kurtosis(residual):.3g} (> 7)" in rec.reason


def test_a_separated_few_gross_errors_stay_huber_despite_the_kurtosis():
    rng = np.random.default_rng(4)
    residual = rng.normal(size=5000)
    residual[:100] = 15.0  # 2 % gross errors: whole-sample kurtosis ~ 29
    assert stats_kurtosis(residual) > 7
    rec = recommend({"y": residual}, {"p": np.zeros_like(residual)}).recommendation
    assert rec.loss == "huber"
    assert "a separated few" in rec.reason


def stats_kurtosis(values: np.ndarray) -> float:
    from scipy.stats import kurtosis

    return float(kurtosis(values))


def test_moderate_skew_without_outliers_is_huber():
    base = distribution(np.linspace(-1, 1, 50), "targets")

    skewed = replace(base, bulk_skewness=1.5, skewness=1.5)
    rec = decide_regression(RegressionEvidence(skewed, skewed))
    assert rec.loss == "huber"
    assert "skewed" in rec.reason


# ------------------------------------------------------------------ binary


def test_binary_recommends_bce_with_sigmoid():
    _, t, p = load("binary", ["label"], ["prob"])
    result = recommend(t, p)
    rec = result.recommendation
    assert result.task == "binary"
    assert (rec.loss, rec.activation, rec.params) == ("bce", "sigmoid", {})
    assert result.prediction_shape.kind == "sigmoid"
    assert result.warnings == ()
    assert result.alternatives[0].loss == "hinge"


def test_imbalance_recommends_pos_weight_neg_over_pos():
    _, t, _ = load("imbalanced", ["label"])
    result = recommend(t)
    rec = result.recommendation
    assert (rec.loss, rec.activation, rec.rule) == ("bce", "sigmoid", "binary/weighted")
    assert rec.params == {"pos_weight": pytest.approx(185 / 15)}
    assert result.evidence.imbalance_ratio == pytest.approx(185 / 15)


def test_heavy_imbalance_recommends_focal():
    _, t, _ = load("heavy", ["label"])
    result = recommend(t)
    rec = result.recommendation
    assert (rec.loss, rec.activation) == ("focal", "sigmoid")
    assert (
        rec.params == {"alpha": FOCAL_ALPHA, "gamma": FOCAL_GAMMA} == {"alpha": 0.25, "gamma": 2.0}
    )
    assert result.evidence.imbalance_ratio == 99.0
    weighted = next(a for a in result.alternatives if "pos_weight" in a.params)
    assert weighted.params["pos_weight"] == 99.0


def test_minority_under_one_percent_is_focal_even_with_a_modest_ratio():
    # 3 classes: 1000/995/5 -> IR 200 anyway; use binary 995/5 -> minority 0.5 %.
    y = np.array([0.0] * 995 + [1.0] * 5)
    assert recommend({"y": y}).recommendation.loss == "focal"


def test_two_valued_floats_are_binary_with_the_larger_positive():
    _, t, _ = load("two_floats", ["y"])
    result = recommend(t)
    assert result.task == "binary"
    assert result.recommendation.loss == "bce"
    assert any("the larger (0.75)" in n for n in result.notes)


def test_positive_label_changes_pos_weight():
    y = np.array([0.0] * 150 + [1.0] * 12)
    assert recommend({"y": y}).recommendation.params["pos_weight"] == pytest.approx(150 / 12)
    # with the majority as the positive, pos_weight is still majority/minority and the
    # reason says to make the minority the positive (not pos_weight = 12/150)
    flipped = recommend({"y": y}, positive="0").recommendation
    assert flipped.params["pos_weight"] == pytest.approx(150 / 12)
    assert "--positive '1'" in flipped.reason
    with pytest.raises(InputError, match="--positive '7'"):
        recommend({"y": y}, positive="7")


def test_logits_predictions_recommend_the_from_logits_form():
    frame, t, p = load("logits", ["y"], ["score"])
    result = recommend(t, p)
    rec = result.recommendation
    assert (rec.loss, rec.activation) == ("bce", "sigmoid")
    assert rec.params == {"from_logits": True}
    assert result.prediction_shape.kind == "logits"
    assert any("--from-logits" in w for w in result.warnings)
    # the recommended loss computed on the logits equals the stable formula by hand
    y, z = frame["y"].to_numpy(float), frame["score"].to_numpy(float)
    expected = np.mean(np.maximum(z, 0) - z * y + np.log1p(np.exp(-np.abs(z))))
    bce = next(c for c in result.computed if c.role == "recommended")
    assert bce.value == pytest.approx(expected, rel=1e-12)


# ------------------------------------------------------------------ multiclass


def test_integer_labels_recommend_sparse_cce_softmax():
    frame, t, p = load("multiclass", ["label"], ["p_0", "p_1", "p_2"])
    result = recommend(t, p)
    rec = result.recommendation
    assert result.task == "multiclass"
    assert (rec.loss, rec.activation, rec.params) == ("sparse_cce", "softmax", {})
    assert result.prediction_shape.kind == "softmax"
    probs = frame[["p_0", "p_1", "p_2"]].to_numpy()
    labels = frame["label"].to_numpy().astype(int)
    expected = -np.mean(np.log(np.clip(probs[np.arange(len(labels)), labels], 1e-7, 1 - 1e-7)))
    computed = next(c for c in result.computed if c.role == "recommended")
    assert computed.value == pytest.approx(expected, rel=1e-9)


def test_one_hot_targets_recommend_cce():
    _, t, _ = load("onehot", ["cat", "dog", "eel"])
    result = recommend(t)
    assert result.task == "multiclass"
    assert result.inference.target_form == "one-hot"
    assert (result.recommendation.loss, result.recommendation.activation) == ("cce", "softmax")
    assert result.evidence.counts == (50, 25, 25)


def test_string_labels_recommend_sparse_cce():
    _, t, _ = load("strings", ["animal"])
    result = recommend(t)
    assert result.task == "multiclass"
    assert result.evidence.classes == ("cat", "dog", "eel", "fox")
    assert result.recommendation.loss == "sparse_cce"


def test_multiclass_imbalance_gets_balanced_class_weights():
    from sklearn.utils.class_weight import compute_class_weight

    labels = np.array([0.0] * 200 + [1.0] * 60 + [2.0] * 20)  # IR 10
    rec = recommend({"y": labels}).recommendation
    assert rec.loss == "sparse_cce"
    expected = compute_class_weight("balanced", classes=np.array([0.0, 1.0, 2.0]), y=labels)
    assert rec.params["class_weights"] == pytest.approx(tuple(expected), rel=1e-12)


def test_balanced_class_weights_formula():
    assert balanced_class_weights((30, 10)) == pytest.approx((40 / 60, 40 / 20))
    assert balanced_class_weights((5, 0)) == (0.5, 0.0)


def test_ambiguous_integer_counts():
    _, t, _ = load("counts", ["visits"])
    result = recommend(t)
    assert result.task == "multiclass"
    assert result.inference.ambiguous
    assert any("counts or ordinal" in n and "--task regression" in n for n in result.notes)
    # the count reading comes first: Poisson regression, naming --task regression
    first = result.alternatives[0]
    assert (first.loss, first.params) == ("poisson", {"log_input": True})
    assert "--task regression" in first.when
    assert result.alternatives[1].loss == "mae"
    assert any("fewer than 10 samples" in w for w in result.warnings)


def test_forcing_regression_on_counts_recommends_poisson():
    frame, t, _ = load("counts", ["visits"])
    result = recommend(t, task="regression")
    assert result.task == "regression"
    assert result.inference.reason == "because --task regression was given"
    rec = result.recommendation
    assert (rec.loss, rec.activation, rec.params) == ("poisson", "linear", {"log_input": True})
    assert f"mean {frame['visits'].mean():.3g}" in rec.reason
    assert any("log link" in n and "exp" in n for n in result.notes)
    # the evidence-based choice (MSE/Huber/MAE) is the first alternative
    assert result.alternatives[0].loss in ("mse", "huber", "mae")


def test_poisson_counts_inferred_as_multiclass_lead_with_poisson():
    # QA issue 4: Poisson(8), n = 5000 -> 21 integer classes, ambiguous, focal; the count
    # reading must come first.
    y = np.random.default_rng(8).poisson(8.0, size=5000).astype(np.float64)
    result = recommend({"y": y})
    assert result.task == "multiclass" and result.inference.ambiguous
    assert result.alternatives[0].loss == "poisson"
    result = recommend({"y": y}, task="regression")
    assert result.recommendation.loss == "poisson"


def test_non_integer_or_negative_targets_are_not_poisson():
    y = np.random.default_rng(9).normal(size=500)
    assert recommend({"y": y}).recommendation.loss != "poisson"
    assert recommend({"y": np.round(y * 10)}, task="regression").recommendation.loss != "poisson"


def test_positive_majority_suggests_swapping_the_positive_label():
    # 15:1 with the positive label (1) the majority: pos_weight 1/15 would weight the wrong
    # class; the minority (0) should be the positive, with pos_weight 15.
    y = np.array([1.0] * 150 + [0.0] * 10)
    rec = recommend({"y": y}).recommendation
    assert rec.loss == "bce"
    assert rec.params["pos_weight"] == pytest.approx(15.0)
    assert "--positive '0'" in rec.reason


# ------------------------------------------------------------------ multilabel


@pytest.mark.parametrize("fill", [0.0, 1.0])
def test_a_multilabel_column_never_or_always_positive_is_an_error(fill):
    a = np.array([1.0, 0.0] * 10)
    b = np.array([1.0, 1.0, 0.0, 0.0] * 5)
    with pytest.raises(InputError) as caught:
        recommend({"a": a, "b": b, "c": np.full(20, fill)})
    assert caught.value.column == "c"
    assert ("never positive" if fill == 0.0 else "always positive") in str(caught.value)


def test_one_hot_with_a_stray_all_zero_row_points_at_the_row():
    onehot = np.eye(3)[np.arange(3000) % 3]
    onehot[41] = 0.0
    result = recommend({"a": onehot[:, 0], "b": onehot[:, 1], "c": onehot[:, 2]})
    assert result.task == "multilabel"
    assert any("all-zero row (data row 42)" in n for n in result.notes)


def test_multilabel_recommends_bce_per_label():
    _, t, p = load("multilabel", ["true_a", "true_b", "true_c"], ["p_a", "p_b", "p_c"])
    result = recommend(t, p)
    rec = result.recommendation
    assert result.task == "multilabel"
    assert (rec.loss, rec.activation, rec.params) == ("bce", "sigmoid", {})
    assert result.evidence.label_cardinality == pytest.approx(1.2)
    assert result.warnings == ()


def test_softmax_predictions_on_multilabel_warn():
    _, t, p = load("softmax_multilabel", ["true_a", "true_b", "true_c"], ["p_a", "p_b", "p_c"])
    result = recommend(t, p)
    assert result.task == "multilabel"
    assert result.prediction_shape.kind == "softmax"
    assert len(result.warnings) == 1
    assert "own sigmoid" in result.warnings[0]


def test_rare_labels_get_per_label_pos_weight():
    a = np.array([1.0] * 10 + [0.0] * 110)  # 10 / 110: IR 11
    b = np.array([1.0, 0.0] * 60)
    rec = recommend({"a": a, "b": b}).recommendation
    assert rec.rule == "multilabel/weighted"
    assert rec.params["pos_weight"] == pytest.approx((11.0, 1.0))


# ------------------------------------------------------------------ errors and edges


def test_constant_target_is_an_error():
    _, t, _ = load("constant", ["y"])
    with pytest.raises(InputError, match="constant"):
        recommend(t)


def test_rows_with_nan_are_dropped_and_reported():
    y = np.array([0.0, 1.0, np.nan, 1.0, 0.0, 1.0])
    p = np.array([0.1, 0.9, 0.5, np.nan, 0.2, 0.8])
    result = recommend({"y": y}, {"p": p})
    assert result.inference.dropped == 1
    assert result.dropped_predictions == 1
    assert result.to_dict()["task"]["dropped"] == 2
    computed = next(c for c in result.computed if c.role == "recommended")
    kept_y, kept_p = np.array([0.0, 1.0, 0.0, 1.0]), np.array([0.1, 0.9, 0.2, 0.8])
    expected = -np.mean(kept_y * np.log(kept_p) + (1 - kept_y) * np.log(1 - kept_p))
    assert computed.value == pytest.approx(expected, rel=1e-12)


def test_regression_column_count_mismatch_is_an_error():
    with pytest.raises(InputError, match="2 prediction columns"):
        recommend({"y": np.linspace(0, 1, 7) ** 2}, {"a": np.ones(7), "b": np.ones(7)})


def test_forced_binary_on_three_values_is_an_error():
    with pytest.raises(InputError, match="exactly 2 distinct"):
        recommend({"y": np.array([0.0, 1.0, 2.0])}, task="binary")


def test_json_document_has_the_spec_shape():
    _, t, p = load("binary", ["label"], ["prob"])
    document = recommend(t, p).to_dict()
    assert document["schema"] == "losscli/recommend/1"
    assert document["task"]["type"] == "binary"
    assert document["task"]["reason"].startswith("because")
    assert set(document["recommendation"]) >= {"loss", "activation", "params", "reason"}
    assert all(set(a) >= {"loss", "when"} for a in document["alternatives"])
    assert document["evidence"]["kind"] == "classes"
    assert document["losses"]["bce"]["value"] > 0


def test_per_label_pos_weight_recommendation_is_computed_under_its_own_label():
    a = np.array([1.0] * 10 + [0.0] * 110)
    b = np.array([1.0, 0.0] * 60)
    p = np.linspace(0.05, 0.95, 120)
    result = recommend({"true_a": a, "true_b": b}, {"p_a": p, "p_b": p[::-1]})
    labels = [c.label for c in result.computed]
    assert len(labels) == len(set(labels))
    y = np.column_stack([a, b])
    q = np.column_stack([p, p[::-1]])
    weighted = result.computed[0]
    assert weighted.label == "bce:pos_weight=11;1"  # neg/pos per label: 110/10, 60/60
    assert weighted.error is None
    w = np.array([11.0, 1.0])
    expected = -np.mean(w * y * np.log(q) + (1 - y) * np.log(1 - q))
    assert weighted.value == pytest.approx(expected, rel=1e-12)
    plain = next(c for c in result.computed if c.label == "bce")
    expected = -np.mean(y * np.log(q) + (1 - y) * np.log(1 - q))
    assert plain.value == pytest.approx(expected, rel=1e-12)


# ------------------------------------------------------------------ multi-output regression


def _two_outputs(seed: int = 1, n: int = 2000):
    rng = np.random.default_rng(seed)
    ya, yb = rng.normal(size=n), rng.normal(size=n)
    return ya, yb, ya + rng.normal(0, 0.1, n), yb + rng.normal(0, 10, n)


def test_outputs_with_different_scales_are_not_pooled_raw():
    # QA issue 4: normal residuals at scales 0.1 and 10 pooled raw look like 50 % outliers.
    ya, yb, pa, pb = _two_outputs()
    result = recommend({"a": ya, "b": yb}, {"pa": pa, "pb": pb})
    assert result.recommendation.loss == "mse"
    document = result.to_dict()["evidence"]
    assert set(document["per_output"]) == {"a", "b"}
    assert document["per_output"]["b"]["robust_scale"] == pytest.approx(
        1.4826 * np.median(np.abs((yb - pb) - np.median(yb - pb))), rel=1e-12
    )
    assert any("per output: 'a': mse; 'b': mse" in n for n in result.notes)


def test_huber_on_several_outputs_gives_a_delta_per_output():
    ya, yb, pa, pb = _two_outputs()
    ra = ya - pa
    ra[:30] = 2.0  # 1.5 % gross errors (20 σ) in output a only
    result = recommend({"a": ya, "b": yb}, {"pa": ya - ra, "pb": pb})
    rec = result.recommendation
    assert (rec.loss, rec.params) == ("huber", {"delta": 1.345})
    deltas = [independent_huber_delta(ra), independent_huber_delta(yb - pb)]
    note = next(n for n in result.notes if "one Huber per output" in n)
    assert f"{deltas[0]:.4g}, {deltas[1]:.4g}" in note
