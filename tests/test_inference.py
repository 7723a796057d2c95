"""Task inference (SPEC §5): one case per rule, the hard cases, and the prediction shapes."""

from __future__ import annotations

import numpy as np
import pytest

from losscli.errors import InputError
from losscli.inference import (
    activation_warnings,
    describe_predictions,
    infer_task,
)


def col(*values):
    return np.array(values, dtype=np.float64)


def text(*values):
    return np.array(values, dtype=object)


# ------------------------------------------------------------------ the rules, in order


def test_nan_and_inf_rows_are_dropped_and_counted():
    inferred = infer_task({"y": col(0, 1, np.nan, 1, np.inf, 0, -np.inf)})
    assert inferred.task == "binary"
    assert inferred.dropped == 3
    assert inferred.n_samples == 4
    assert inferred.kept.tolist() == [True, True, False, True, False, True, False]


def test_empty_text_labels_are_dropped():
    inferred = infer_task({"y": text("a", "", "b", None, "c", "  ")})
    assert inferred.dropped == 3
    assert inferred.task == "multiclass"
    assert inferred.classes == ("a", "b", "c")


def test_constant_column_is_an_error_naming_it():
    with pytest.raises(InputError) as caught:
        infer_task({"y": col(3, 3, 3, np.nan)})
    line = caught.value.one_line()
    assert "column 'y'" in line
    assert "constant" in line
    assert "fewer than 2 distinct values" in line


def test_all_missing_is_an_error():
    with pytest.raises(InputError, match="all 2 rows are NaN"):
        infer_task({"y": col(np.nan, np.inf)})


def test_one_hot_columns_are_multiclass():
    inferred = infer_task({"cat": col(1, 0, 0, 1), "dog": col(0, 1, 0, 0), "eel": col(0, 0, 1, 0)})
    assert inferred.task == "multiclass"
    assert inferred.target_form == "one-hot"
    assert inferred.classes == ("cat", "dog", "eel")
    assert inferred.layout == "3 one-hot columns"
    assert "one-hot" in inferred.reason


def test_zero_one_columns_with_rows_not_summing_to_one_are_multilabel():
    # Row 2 has two labels, row 3 none: independent labels, not one-hot.
    inferred = infer_task({"a": col(1, 1, 0, 0), "b": col(0, 1, 0, 1)})
    assert inferred.task == "multilabel"
    assert inferred.target_form == "indicators"
    assert "50.0% of rows" in inferred.reason  # rows 2 and 3 of 4


def test_several_numeric_columns_are_multi_output_regression():
    inferred = infer_task({"a": col(0.5, 2, 3), "b": col(1, 0, 1)})
    assert inferred.task == "regression"
    assert inferred.layout == "2 value columns"


def test_several_columns_with_text_are_an_error():
    with pytest.raises(InputError, match="holds text"):
        infer_task({"a": col(0, 1), "b": text("x", "y")})


@pytest.mark.parametrize(
    ("values", "note_part"),
    [
        (col(0, 1, 1, 0, 1), None),
        (col(-1, 1, 1, -1), None),
        (col(0.25, 0.75, 0.75, 0.25), "larger (0.75)"),  # two-valued floats: still binary
        (col(3, 7, 7, 3), "larger (7)"),
    ],
)
def test_two_distinct_values_are_binary_whatever_the_dtype(values, note_part):
    inferred = infer_task({"y": values})
    assert inferred.task == "binary"
    assert "exactly 2 distinct values" in inferred.reason
    if note_part is None:
        assert inferred.note is None
    else:
        assert note_part in inferred.note


def test_two_text_labels_are_binary():
    inferred = infer_task({"y": text("spam", "ham", "ham")})
    assert inferred.task == "binary"
    assert inferred.classes == ("ham", "spam")
    assert "spam is taken as the positive" in inferred.note


def test_text_labels_with_more_than_two_values_are_multiclass():
    inferred = infer_task({"y": text("a", "b", "c", "b")})
    assert inferred.task == "multiclass"
    assert "text labels with 3 distinct values" in inferred.reason
    assert not inferred.ambiguous


def test_any_non_integral_value_means_regression():
    inferred = infer_task({"y": col(1, 2, 3, 4, 2.5)})
    assert inferred.task == "regression"
    assert "20.0% of rows" in inferred.reason


def test_few_integer_labels_0_to_k_minus_1_are_multiclass():
    y = np.tile(col(0, 1, 2), 10)  # k = 3, n = 30: k/n = 0.1 <= 0.10
    inferred = infer_task({"y": y})
    assert inferred.task == "multiclass"
    assert not inferred.ambiguous
    assert inferred.classes == (0.0, 1.0, 2.0)
    assert "k/n = 0.1 <= 0.1" in inferred.reason


def test_integer_ratio_just_above_the_small_data_threshold_is_regression():
    y = np.tile(col(0, 1, 2), 9)[:29]  # k = 3, n = 29: k/n = 0.1034 > 0.10
    inferred = infer_task({"y": y})
    assert inferred.task == "regression"


def test_large_data_uses_the_five_percent_threshold():
    # n = 2000 > 1000: k = 100 gives k/n = 0.05 (multiclass), k = 101 gives 0.0505 (regression)
    y = np.arange(2000, dtype=np.float64) % 100
    assert infer_task({"y": y}).task == "multiclass"
    y = np.arange(2000, dtype=np.float64) % 101
    assert infer_task({"y": y}).task == "regression"


def test_more_than_1000_integer_values_are_regression():
    y = np.arange(30000, dtype=np.float64) % 1001  # k/n = 0.033 but k > 1000
    inferred = infer_task({"y": y})
    assert inferred.task == "regression"
    assert "k = 1001 > 1000" in inferred.reason


def test_integer_counts_are_flagged_ambiguous_with_the_override():
    rng = np.random.default_rng(0)
    counts = rng.poisson(6.0, size=2000).astype(np.float64)
    inferred = infer_task({"count": counts})
    k = np.unique(counts).size
    assert k > 10
    assert inferred.task == "multiclass"  # k/n well under 0.05: AutoGluon says classes
    assert inferred.ambiguous
    assert "counts or ordinal" in inferred.note
    assert "--task regression" in inferred.note


def test_labels_not_starting_at_zero_are_ambiguous():
    inferred = infer_task({"stars": np.tile(col(1, 2, 3, 4, 5), 20)})
    assert inferred.task == "multiclass"
    assert inferred.ambiguous
    assert "labels not 0..4" in inferred.note


def test_ambiguous_regression_names_the_multiclass_override():
    inferred = infer_task({"y": np.arange(60, dtype=np.float64) % 20})  # k/n = 1/3
    assert inferred.task == "regression"
    assert inferred.ambiguous
    assert "--task multiclass" in inferred.note


# ------------------------------------------------------------------ predictions and layouts


def test_two_prediction_columns_make_a_two_valued_target_multiclass():
    inferred = infer_task({"y": col(0, 1, 1)}, {"p0": col(0.3, 0.2, 0.4), "p1": col(0.7, 0.8, 0.6)})
    assert inferred.task == "multiclass"


def test_k_prediction_columns_make_integer_labels_classes():
    y = np.arange(20, dtype=np.float64) % 4  # k/n = 0.2: regression by the ratio rule
    assert infer_task({"y": y}).task == "regression"
    predictions = {f"p{i}": np.full(20, 0.25) for i in range(4)}
    assert infer_task({"y": y}, predictions).task == "multiclass"


def test_forced_task_is_kept_and_says_so():
    inferred = infer_task({"y": col(1, 2, 3, 4)}, task="multiclass")
    assert inferred.task == "multiclass"
    assert inferred.reason == "because --task multiclass was given"
    assert inferred.classes == (1.0, 2.0, 3.0, 4.0)


def test_forced_task_still_rejects_a_constant_column():
    with pytest.raises(InputError, match="constant"):
        infer_task({"y": col(1, 1)}, task="regression")


def test_unknown_forced_task_is_an_error():
    with pytest.raises(InputError, match="unknown task"):
        infer_task({"y": col(1, 2)}, task="clustering")


def test_box_columns_mean_detection():
    boxes = {name: col(0, 1, 2) + i for i, name in enumerate(("x1", "y1", "x2", "y2"))}
    inferred = infer_task(boxes)
    assert inferred.task == "detection"
    assert "xyxy" in inferred.reason


def test_group_with_binary_target_is_segmentation():
    inferred = infer_task({"mask": col(0, 1, 1, 0)}, groups=col(1, 1, 2, 2))
    assert inferred.task == "segmentation"
    assert "--task sequence" in inferred.note


def test_describe_single_probability_column_is_sigmoid():
    shape = describe_predictions({"p": col(0.1, 0.9, 0.5)})
    assert (shape.kind, shape.activation, shape.from_logits) == ("sigmoid", "sigmoid", False)


def test_describe_values_outside_unit_interval_are_logits():
    shape = describe_predictions({"z": col(-3.2, 0.4, 5.0, np.nan)})
    assert shape.kind == "logits"
    assert shape.from_logits
    assert (shape.low, shape.high) == (-3.2, 5.0)
    assert "66.7% of prediction values" in shape.reason  # 2 of the 3 finite values


def test_describe_rows_summing_to_one_are_softmax():
    shape = describe_predictions({"a": col(0.2, 0.5), "b": col(0.3, 0.25), "c": col(0.5, 0.25)})
    assert shape.kind == "softmax"
    assert shape.columns == 3


def test_describe_rounded_softmax_rows_within_tolerance():
    shape = describe_predictions({"a": col(0.3333), "b": col(0.3333), "c": col(0.3333)})
    assert shape.kind == "softmax"


def test_describe_independent_probability_columns_are_sigmoid():
    shape = describe_predictions({"a": col(0.9, 0.2), "b": col(0.8, 0.1)})
    assert shape.kind == "sigmoid"
    assert shape.columns == 2


def test_softmax_on_multilabel_is_a_warning():
    shape = describe_predictions({"a": col(0.2, 0.5), "b": col(0.8, 0.5)})
    warnings = activation_warnings("multilabel", shape, n_classes=2)
    assert len(warnings) == 1
    assert "own sigmoid" in warnings[0]


def test_logits_on_binary_suggest_from_logits():
    shape = describe_predictions({"z": col(-2, 3)})
    assert any("--from-logits" in w for w in activation_warnings("binary", shape))


def test_probabilities_for_a_wide_regression_target_warn():
    shape = describe_predictions({"p": col(0.1, 0.9)})
    warnings = activation_warnings("regression", shape, target_range=(0.0, 250.0))
    assert len(warnings) == 1
    assert "linear output" in warnings[0]


def test_matching_predictions_give_no_warning():
    shape = describe_predictions({"a": col(0.2, 0.5), "b": col(0.8, 0.5)})
    assert activation_warnings("multiclass", shape, n_classes=2) == []


# ------------------------------------------------ one prediction column for integer targets


def _ratings(n: int = 200, seed: int = 3):
    """Integer ratings 1..5 and one column of real-valued predictions in [1, 5] (k/n =
    0.025: the targets alone read as 5 classes)."""
    rng = np.random.default_rng(seed)
    y = rng.integers(1, 6, size=n).astype(np.float64)
    p = np.round(np.clip(y + rng.normal(0.0, 0.7, size=n), 1.0, 5.0), 2)
    return y, p


def test_integer_targets_alone_stay_multiclass_and_ambiguous():
    y, _ = _ratings()
    inferred = infer_task({"rating": y})
    assert inferred.task == "multiclass"
    assert inferred.ambiguous
    assert "--task regression" in inferred.note


def test_one_real_valued_prediction_column_makes_integer_targets_regression():
    y, p = _ratings()
    inferred = infer_task({"rating": y}, {"pred": p})
    assert inferred.task == "regression"
    assert inferred.target_form == "values"
    assert inferred.layout == "1 value column"
    assert not inferred.ambiguous and inferred.note is None
    first_real = p[p != np.round(p)][0]
    assert inferred.reason == (
        "because target 'rating' holds integers 1..5 and the single prediction column "
        f"'pred' holds real values (e.g. {first_real:.4g}): a regression (or count) model, "
        "not scores for 5 classes (those need one column per class)"
    )


def test_one_integer_prediction_column_also_makes_integer_targets_regression():
    y, p = _ratings()
    inferred = infer_task({"rating": y}, {"pred": np.round(p)})
    assert inferred.task == "regression"
    assert "'pred' holds integers too" in inferred.reason
    assert "integers 1..5" in inferred.reason


def test_one_prediction_column_for_counts_is_regression():
    rng = np.random.default_rng(5)
    y = rng.poisson(3.0, size=3000).astype(np.float64)
    rate = np.full(3000, 3.0) + rng.uniform(-0.5, 0.5, size=3000)
    assert infer_task({"y": y}).task == "multiclass"
    inferred = infer_task({"y": y}, {"yhat": rate})
    assert inferred.task == "regression"
    assert f"integers 0..{int(y.max())}" in inferred.reason


def test_one_prediction_column_for_binary_targets_stays_binary():
    y = col(0, 1, 1, 0, 1, 0)
    assert infer_task({"y": y}, {"p": col(0.2, 0.9, 0.7, 0.1, 0.6, 0.3)}).task == "binary"
    assert infer_task({"y": y}, {"logit": col(-2, 3, 1, -1, 0.5, -0.2)}).task == "binary"


def test_k_prediction_columns_for_integer_targets_stay_multiclass():
    y, _ = _ratings(n=60)
    scores = {f"p_{j}": np.full(60, 0.2) for j in range(1, 6)}
    assert infer_task({"rating": y}, scores).task == "multiclass"
