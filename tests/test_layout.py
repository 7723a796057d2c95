"""Column roles and the layout plan: decided once, applied to every chunk identically."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes, arrays

from losscli.errors import InputError
from losscli.inference import infer_task
from losscli.io import Table
from losscli.layout import (
    ColumnRef,
    LayoutOptions,
    class_name,
    label_key,
    plan_layout,
    resolve_roles,
    target_class_name,
)


def table(name="data.csv", **columns):
    converted = {}
    for key, values in columns.items():
        array = np.asarray(values)
        converted[key] = (
            array.astype(np.float64) if array.dtype.kind in "iuf" else array.astype(object)
        )
    return Table(name=name, columns=converted, first_line=2)


def plan_for(data: Table, options: LayoutOptions | None = None, **roles):
    resolved = resolve_roles([data.names], [data.name], **roles)
    return plan_layout(resolved, [data], options or LayoutOptions())


# --------------------------------------------------------------------------- roles


@pytest.mark.parametrize(
    ("header", "target", "prediction"),
    [
        (["y_true", "y_pred"], ["y_true"], ["y_pred"]),
        (["id", "target", "prediction"], ["target"], ["prediction"]),
        (["label", "p_cat", "p_dog"], ["label"], ["p_cat", "p_dog"]),
        (["Y", "yhat"], ["Y"], ["yhat"]),
        (["actual", "score"], ["actual"], ["score"]),
        (["y", "prob", "pred_x"], ["y"], ["prob"]),
        (["true_a", "true_b", "p_a", "p_b"], ["true_a", "true_b"], ["p_a", "p_b"]),
        (["gt_x1", "gt_y1", "pred_x1", "pred_y1"], ["gt_x1", "gt_y1"], ["pred_x1", "pred_y1"]),
    ],
)
def test_default_roles(header, target, prediction):
    roles = resolve_roles([header], ["f.csv"])
    assert [r.name for r in roles.targets] == target
    assert [r.name for r in roles.predictions] == prediction


def test_named_roles_globs_and_singles():
    header = ["img", "w", "t", "a", "b", "c"]
    roles = resolve_roles(
        [header], ["f.csv"], target="t", prediction="a,b", weight="w", group="img"
    )
    assert [r.name for r in roles.predictions] == ["a", "b"]
    assert roles.weight == ColumnRef(0, "w") and roles.group == ColumnRef(0, "img")
    assert roles.needed(0) == ["t", "a", "b", "w", "img"]
    roles = resolve_roles([header], ["f.csv"], target="t", prediction="[abc]")
    assert [r.name for r in roles.predictions] == ["a", "b", "c"]


def test_role_columns_are_not_defaults():
    roles = resolve_roles([["y", "yhat", "weight"]], ["f.csv"], weight="weight")
    assert roles.describe() == {"target": ["y"], "prediction": ["yhat"], "weight": "weight"}


def test_two_files_take_every_other_column():
    roles = resolve_roles(
        [["id", "a", "b", "w"], ["id", "p_a", "p_b"]],
        ["t.csv", "p.csv"],
        id_column="id",
        weight="w",
    )
    assert roles.targets == (ColumnRef(0, "a"), ColumnRef(0, "b"))
    assert roles.predictions == (ColumnRef(1, "p_a"), ColumnRef(1, "p_b"))
    assert roles.needed(0) == ["a", "b", "w", "id"]
    assert roles.needed(1) == ["p_a", "p_b", "id"]


def test_missing_roles_name_the_file_and_columns():
    with pytest.raises(InputError) as error:
        resolve_roles([["a", "b"]], ["f.csv"])
    assert error.value.one_line() == (
        "f.csv: no target column found (looked for y_true, target, label, y, actual, "
        "true_*, target_*, gt_*); available columns: 'a', 'b' (hint: name it with --target)"
    )
    with pytest.raises(InputError, match="no column named 'w'; available columns: 'y', 'p'"):
        resolve_roles([["y", "p"]], ["f.csv"], prediction="p", weight="w")


def test_id_must_be_in_both_files():
    with pytest.raises(InputError, match=r"p.csv: no column named 'id'"):
        resolve_roles([["id", "y"], ["p"]], ["t.csv", "p.csv"], id_column="id")


# --------------------------------------------------------------------------- names


@pytest.mark.parametrize(
    ("column", "expected"),
    [("p_dog", "dog"), ("pred_dog", "dog"), ("dog", "dog"), ("p_", "p_"), ("logit_3", "3")],
)
def test_class_name(column, expected):
    assert class_name(column) == expected


def test_target_class_name_and_label_key():
    assert target_class_name("true_comedy") == "comedy"
    assert target_class_name("is_spam") == "spam"
    assert [label_key(v) for v in (1.0, 2, "3", " a ", "1.0", 0.5)] == [
        "1",
        "2",
        "3",
        "a",
        "1",
        "0.5",
    ]


# --------------------------------------------------------------------------- plans


def test_regression_multi_output_pairs_by_name():
    data = table(true_a=[1, 2], true_b=[3, 4], p_b=[3.5, 4.5], p_a=[1.5, 2.5])
    plan = plan_for(data, LayoutOptions(task="regression"))
    assert plan.prediction_columns == ("p_a", "p_b")
    layout = plan.arrays(data)
    np.testing.assert_array_equal(layout.y_true, [[1, 3], [2, 4]])
    np.testing.assert_array_equal(layout.y_pred, [[1.5, 3.5], [2.5, 4.5]])


def test_regression_count_mismatch():
    data = table(true_a=[1.5, 2], true_b=[3.5, 4], p_a=[1.5, 2.5])
    with pytest.raises(InputError, match=r"2 target column.*but 1 prediction column"):
        plan_for(data, LayoutOptions(task="regression"))


@pytest.mark.parametrize(
    ("labels", "positive", "expected"),
    [
        ([0, 1, 1, 0], None, [0, 1, 1, 0]),
        ([-1, 1, 1, -1], None, [0, 1, 1, 0]),
        (["no", "yes", "yes", "no"], None, [0, 1, 1, 0]),
        (["no", "yes", "yes", "no"], "no", [1, 0, 0, 1]),
        (["False", "True", "True", "False"], None, [0, 1, 1, 0]),
        ([3, 7, 7, 3], "3", [1, 0, 0, 1]),
    ],
)
def test_binary_labels(labels, positive, expected):
    data = table(y=labels, yhat=[0.1, 0.8, 0.6, 0.3])
    plan = plan_for(data, LayoutOptions(positive=positive))
    assert plan.task == "binary"
    layout = plan.arrays(data)
    np.testing.assert_array_equal(layout.y_true, expected)
    np.testing.assert_array_equal(layout.target_as("binary"), np.asarray(expected, float))


def test_binary_third_label_in_a_later_chunk_names_its_line():
    first = table(y=["a", "b", "a"], yhat=[0.1, 0.2, 0.3])
    plan = plan_for(first)
    later = Table(
        "data.csv",
        {"y": np.array(["a", "c"], dtype=object), "yhat": np.array([0.5, 0.5])},
        first_line=40,
    )
    with pytest.raises(InputError) as error:
        plan.arrays(later)
    assert error.value.one_line() == (
        "data.csv: line 41: column 'y': label 'c' is a third label: a binary target takes "
        "two ('a' and 'b') (hint: use --task multiclass for more than two classes)"
    )


def test_binary_forced_with_three_labels():
    data = table(y=[0, 1, 1, 2, 0], yhat=[0.1, 0.2, 0.3, 0.4, 0.5])
    with pytest.raises(InputError) as error:
        plan_for(data, LayoutOptions(task="binary"))
    assert error.value.one_line() == (
        "data.csv: line 5: column 'y': 3 distinct labels ('0', '1', '2') but a binary "
        "target takes two (hint: use --task multiclass)"
    )


def test_binary_two_prediction_columns_pick_the_positive_class():
    data = table(label=["ham", "spam", "ham"], p_ham=[0.9, 0.2, 0.7], p_spam=[0.1, 0.8, 0.3])
    plan = plan_for(data, LayoutOptions(task="binary"))
    assert plan.prediction_columns == ("p_spam",)
    np.testing.assert_array_equal(plan.arrays(data).y_pred, [0.1, 0.8, 0.3])


def test_multiclass_string_labels_map_by_name_in_column_order():
    data = table(
        label=["dog", "cat", "bird", "dog"],
        p_cat=[0.2, 0.5, 0.3, 0.1],
        p_dog=[0.7, 0.3, 0.3, 0.8],
        p_bird=[0.1, 0.2, 0.4, 0.1],
    )
    plan = plan_for(data)
    assert plan.task == "multiclass" and plan.class_mapping == "name"
    assert plan.classes == ("cat", "dog", "bird")
    layout = plan.arrays(data)
    np.testing.assert_array_equal(layout.y_true, [1, 0, 2, 1])
    np.testing.assert_array_equal(layout.target_as("distribution"), np.eye(3)[[1, 0, 2, 1]])


def test_multiclass_integer_labels_by_position_and_out_of_range():
    data = table(label=[0, 2, 1], a=[0.8, 0.1, 0.1], b=[0.1, 0.1, 0.8], c=[0.1, 0.8, 0.1])
    plan = plan_for(data, prediction="a,b,c")
    assert plan.class_mapping == "position" and plan.classes == ("0", "1", "2")
    np.testing.assert_array_equal(plan.arrays(data).y_true, [0, 2, 1])
    bad = table(label=[0, 3, 1], a=[0.8, 0.1, 0.1], b=[0.1, 0.1, 0.8], c=[0.1, 0.8, 0.1])
    with pytest.raises(InputError) as error:
        plan.arrays(bad)
    assert error.value.one_line() == (
        "data.csv: line 3: column 'label': label 3 is out of range: the 3 prediction columns "
        "hold classes 0..2 (hint: select the class columns with --pred)"
    )


def test_one_hot_targets_and_hard_labels():
    data = table(
        true_a=[1, 0, 0],
        true_b=[0, 1, 0],
        true_c=[0, 0, 1],
        p_c=[0.1, 0.1, 0.6],
        p_a=[0.8, 0.2, 0.2],
        p_b=[0.1, 0.7, 0.2],
    )
    plan = plan_for(data)
    assert (plan.task, plan.target_form) == ("multiclass", "distribution")
    layout = plan.arrays(data)
    np.testing.assert_array_equal(layout.target_as("labels"), [0, 1, 2])
    np.testing.assert_array_equal(layout.y_pred[:, 0], [0.8, 0.2, 0.2])


def test_soft_targets_cannot_be_sparse_labels():
    data = table(t_a=[0.7, 0.5], t_b=[0.3, 0.5], p_a=[0.6, 0.4], p_b=[0.4, 0.6])
    plan = plan_for(data, LayoutOptions(task="multiclass"), target="t_*")
    layout = plan.arrays(data)
    with pytest.raises(InputError, match="targets are soft"):
        layout.target_as("labels")


def test_multilabel_targets_must_be_0_or_1():
    data = table(true_a=[1, 0, 1], true_b=[1, 1, 0], p_a=[0.9, 0.1, 0.8], p_b=[0.6, 0.7, 0.2])
    plan = plan_for(data)
    assert plan.task == "multilabel"
    bad = table(true_a=[1, 0, 2], true_b=[1, 1, 0], p_a=[0.9, 0.1, 0.8], p_b=[0.6, 0.7, 0.2])
    with pytest.raises(InputError, match="line 4: column 'true_a': multi-label targets"):
        plan.arrays(bad)


def test_detection_boxes_converted_to_xyxy():
    data = table(
        gt_x=[10, 0],
        gt_y=[20, 0],
        gt_w=[4, 2],
        gt_h=[6, 2],
        pred_x=[11, 0],
        pred_y=[20, 0],
        pred_w=[4, 1],
        pred_h=[6, 1],
    )
    plan = plan_for(data, LayoutOptions(task="detection", box_format="xywh"))
    layout = plan.arrays(data)
    np.testing.assert_array_equal(layout.y_true, [[10, 20, 14, 26], [0, 0, 2, 2]])
    centred = plan_for(data, LayoutOptions(task="detection", box_format="cxcywh"))
    np.testing.assert_array_equal(centred.arrays(data).y_true, [[8, 17, 12, 23], [-1, -1, 1, 1]])
    inverted = table(
        gt_x1=[0, 1],
        gt_y1=[0, 1],
        gt_x2=[2, -1],
        gt_y2=[1, 3],
        pred_x1=[0, 0],
        pred_y1=[0, 0],
        pred_x2=[1, 1],
        pred_y2=[1, 1],
    )
    with pytest.raises(InputError, match=r"line 3: column 'gt_x1,gt_y1,gt_x2,gt_y2': box"):
        plan_for(inverted, LayoutOptions(task="detection")).arrays(inverted)


def test_sequence_order_and_padding():
    data = table(
        seq=["s1", "s1", "s2", "s1"],
        pos=[2, 0, 0, 1],
        token=["b", "a", "<pad>", "b"],
        mask=[1, 1, 0, 1],
        p_a=[0.2, 0.9, 0.5, 0.4],
        p_b=[0.8, 0.1, 0.5, 0.6],
    )
    plan = plan_for(
        data,
        LayoutOptions(task="sequence"),
        target="token",
        prediction="p_*",
        group="seq",
        order="pos",
        weight="mask",
    )
    layout = plan.arrays(data)
    np.testing.assert_array_equal(layout.rows, [1, 3, 0, 2])  # s1 by position, then s2
    np.testing.assert_array_equal(layout.y_true, [0, 1, 1, 0])  # padding mapped to 0
    np.testing.assert_array_equal(layout.sample_weight, [1, 1, 1, 0])
    np.testing.assert_array_equal(layout.prediction_lines, [3, 5, 2, 4])


def test_sequence_unknown_token_with_weight_is_an_error():
    data = table(seq=[1, 1], token=["a", "zzz"], mask=[1, 1], p_a=[0.5, 0.5], p_b=[0.5, 0.5])
    plan = plan_for(
        data, LayoutOptions(task="sequence"), target="token", group="seq", weight="mask"
    )
    with pytest.raises(InputError, match="line 3: column 'token': label 'zzz' has no prediction"):
        plan.arrays(data)


def test_segmentation_needs_a_group_unless_global():
    data = table(mask=[0, 1, 1, 0], prob=[0.1, 0.8, 0.6, 0.3])
    with pytest.raises(InputError, match="segmentation task needs --group"):
        plan_for(data, LayoutOptions(task="segmentation"), target="mask", prediction="prob")
    plan = plan_for(
        data, LayoutOptions(task="segmentation", pooled=True), target="mask", prediction="prob"
    )
    np.testing.assert_array_equal(plan.arrays(data).target_as("mask"), [0, 1, 1, 0])


def test_probability_checks_name_file_line_and_column():
    data = table(label=[0, 1], p_0=[0.5, -0.1], p_1=[0.5, 1.1])
    layout = plan_for(data).arrays(data)
    with pytest.raises(InputError) as error:
        layout.check_probabilities(rows_sum_to_one=True)
    assert error.value.one_line() == (
        "data.csv: line 3: column 'p_0': prediction -0.1 is outside [0, 1], so it is not a "
        "probability (hint: are these logits? use --from-logits)"
    )
    data = table(label=[0, 1], p_0=[0.5, 0.2], p_1=[0.5, 0.7])
    layout = plan_for(data).arrays(data)
    with pytest.raises(InputError, match=r"line 3: the class probabilities sum to 0.9, not 1"):
        layout.check_probabilities(rows_sum_to_one=True)


def test_renormalize_rescales_rows():
    data = table(label=[0, 1], p_0=[1.0, 0.2], p_1=[1.0, 0.6])
    layout = plan_for(data, LayoutOptions(renormalize=True)).arrays(data)
    np.testing.assert_allclose(layout.y_pred, [[0.5, 0.5], [0.25, 0.75]], rtol=0, atol=1e-15)


def test_negative_weight_and_nan_named():
    data = table(y=[1.5, 2.5], yhat=[1.0, 2.0], w=[1.0, -2.0])
    with pytest.raises(InputError, match=r"data.csv: line 3: column 'w': weight -2 is negative"):
        plan_for(data, weight="w").arrays(data)
    data = table(y=[1.5, np.nan], yhat=[1.0, 2.0])
    with pytest.raises(InputError, match="line 3: column 'y': value NaN is not a finite number"):
        plan_for(data)


def test_text_in_a_numeric_target_names_the_value():
    data = table(y=["1.5", "2.5", "3.25", "oops", "4.5"], yhat=[1, 2, 3, 4, 5])
    with pytest.raises(InputError, match="line 5: column 'y': cannot parse 'oops'"):
        plan_for(data)


def test_plan_is_applied_identically_to_chunks():
    """Two chunks laid out by one plan equal the whole input laid out at once."""
    labels = np.array(["b", "a", "c", "a", "b", "c"], dtype=object)
    p = np.random.default_rng(0).dirichlet(np.ones(3), 6)
    whole = table(label=labels, p_a=p[:, 0], p_b=p[:, 1], p_c=p[:, 2])
    plan = plan_for(whole)
    full = plan.arrays(whole)
    first, second = whole.take(np.arange(3)), whole.take(np.arange(3, 6))
    parts = [plan.arrays(first), plan.arrays(second)]
    np.testing.assert_array_equal(np.concatenate([x.y_true for x in parts]), full.y_true)
    np.testing.assert_array_equal(np.concatenate([x.y_pred for x in parts]), full.y_pred)
    np.testing.assert_array_equal(parts[1].prediction_lines, [5, 6, 7])


def test_inference_can_be_stubbed():
    calls = []

    def fake(targets, predictions, **options):
        calls.append((sorted(targets), sorted(predictions), options["task"]))
        return infer_task(targets, predictions, task="regression")

    data = table(y=[0, 1, 1], yhat=[0.2, 0.7, 0.9])
    resolved = resolve_roles([data.names], [data.name])
    plan = plan_layout(resolved, [data], LayoutOptions(), infer=fake)
    assert plan.task == "regression" and calls == [(["y"], ["yhat"], None)]


def test_an_id_in_both_files_is_not_a_target():
    roles = resolve_roles([["row_id", "y"], ["row_id", "yhat"]], ["t.csv", "p.csv"])
    assert roles.targets == (ColumnRef(0, "y"),)
    assert roles.predictions == (ColumnRef(1, "yhat"),)
    assert roles.notes == (
        "column 'row_id' is in both files and looks like an id: left out (rows pair by "
        "order; --id row_id joins on it)",
    )
    # A shared name that is not an id pairs a target with its prediction (by name).
    roles = resolve_roles([["price"], ["price"]], ["t.csv", "p.csv"])
    assert (roles.targets, roles.predictions) == (
        (ColumnRef(0, "price"),),
        (ColumnRef(1, "price"),),
    )


# --------------------------------------------------------------------------- QA fixes


def test_pandas_index_and_group_by_target_roles():
    roles = resolve_roles([["y", "__index_level_0__"], ["__index_level_0__", "score"]], ["t", "p"])
    assert roles.targets == (ColumnRef(0, "y"),)
    assert roles.predictions == (ColumnRef(1, "score"),)
    roles = resolve_roles([["label", "p_a", "p_b"]], ["d.csv"], group_by="label")
    assert roles.targets == (ColumnRef(0, "label"),)
    assert roles.group_by == ColumnRef(0, "label")
    # two files: the slice column is not a target while another column is left
    roles = resolve_roles([["y", "g"], ["yhat"]], ["t", "p"], group_by="g")
    assert roles.targets == (ColumnRef(0, "y"),)


def test_locate_maps_rows_to_the_lines_of_each_file():
    targets = Table(
        name="t.csv", columns={"y": np.array([1.0, 2.0, 3.0])}, lines=np.array([2, 4, 5])
    )
    predictions = table(name="p.csv", yhat=[1.0, 2.0, 3.0], w=[1.0, 1.0, 1.0])
    resolved = resolve_roles([targets.names, predictions.names], ["t.csv", "p.csv"], weight="w")
    plan = plan_layout(resolved, [targets, predictions], LayoutOptions(task="regression"))
    layout = plan.arrays(targets, predictions)
    assert layout.locate("y_true", 2) == ("t.csv", 5, "y")
    assert layout.locate("y_pred", 2) == ("p.csv", 4, "yhat")
    assert layout.locate("sample_weight", 1) == ("p.csv", 3, "w")
    assert layout.locate("sample_weight", None) == ("p.csv", None, "w")


@pytest.mark.parametrize(("label", "negative"), [("1", "0"), ("0", "0"), ("True", "False")])
def test_binary_with_one_class_present(label, negative):
    data = table(y=np.array([label, label], dtype=object), prob=[0.2, 0.9])
    plan = plan_for(data, LayoutOptions(task="binary"))
    assert plan.negative == negative
    expected = 1 if label in ("1", "True") else 0
    np.testing.assert_array_equal(plan.arrays(data).y_true, [expected, expected])


# ------------------------------------------------ probability checks: fast path vs mask


def _mask_check_probabilities(layout, *, rows_sum_to_one):
    """The probability checks as written before the fast paths (masks over every value):
    the reference the fast paths must agree with, error for error."""
    from losscli.layout.arrays import ROW_SUM_TOLERANCE, _row_sums

    plan = layout.plan
    matrix = layout.y_pred.reshape(layout.n_samples, -1)
    outside = (matrix < 0.0) | (matrix > 1.0)
    if outside.any():
        row, col = np.argwhere(outside)[0]
        raise InputError(
            f"prediction {float(matrix[row, col])!r} is outside [0, 1], so it is not a probability",
            file=plan.prediction_file,
            line=int(layout.prediction_lines[row]),
            column=plan.prediction_columns[col],
            hint="are these logits? use --from-logits",
        )
    if rows_sum_to_one and matrix.shape[1] > 1:
        sums = _row_sums(matrix)
        bad = np.abs(sums - 1.0) > ROW_SUM_TOLERANCE
        if bad.any():
            row = int(np.argmax(bad))
            raise InputError(
                f"the class probabilities sum to {sums[row]:.10g}, not 1",
                file=plan.prediction_file,
                line=int(layout.prediction_lines[row]),
                hint="rescale the rows with --renormalize, or use --from-logits for logits",
            )


def _probability_layout(matrix: np.ndarray):
    """A multiclass layout whose predictions are ``matrix`` (n, K), lines 2..n+1."""
    from dataclasses import replace

    k = matrix.shape[1]
    data = table(label=[0, 1], **{f"p_{j}": [0.5, 0.5] for j in range(max(k, 2))})
    layout = plan_for(data, LayoutOptions(task="multiclass")).arrays(data)
    return replace(layout, y_true=np.zeros(matrix.shape[0], dtype=np.int64), y_pred=matrix)


def _check_outcome(check, layout, rows_sum_to_one):
    try:
        check(layout, rows_sum_to_one=rows_sum_to_one)
    except InputError as error:
        return error.one_line()
    return None


def _assert_checks_agree(matrix: np.ndarray) -> None:
    layout = _probability_layout(matrix)
    for rows_sum_to_one in (True, False):
        expected = _check_outcome(_mask_check_probabilities, layout, rows_sum_to_one)
        got = _check_outcome(
            lambda lay, **kw: lay.check_probabilities(**kw), layout, rows_sum_to_one
        )
        assert got == expected, (matrix, rows_sum_to_one)


_EDGE_PROBABILITIES = [
    0.0,
    -0.0,
    1.0,
    0.5,
    5e-324,  # the smallest subnormal
    -5e-324,
    float(np.nextafter(1.0, 2.0)),  # just above 1
    float(np.nextafter(0.0, -1.0)),
    1.0 - 1e-7,
    1e300,
    -1e300,
    float("nan"),
    float("inf"),
    float("-inf"),
]


@pytest.mark.parametrize("value", _EDGE_PROBABILITIES)
@pytest.mark.parametrize("position", [(0, 0), (2, 1), (3, 2)])
def test_probability_fast_path_agrees_on_edge_values(value, position):
    matrix = np.full((4, 3), 1.0 / 3.0)
    matrix[position] = value
    _assert_checks_agree(matrix)
    _assert_checks_agree(np.asfortranarray(matrix))  # the layout's own memory order
    _assert_checks_agree(matrix[:, :1].copy())  # one column: no row-sum check


@pytest.mark.parametrize("dtype", [np.float32, np.float16, ">f8", np.int64, np.uint8, bool])
def test_probability_fast_path_agrees_on_other_dtypes(dtype):
    for rows in ([[0, 1], [1, 0]], [[0.25, 0.75], [0.5, 0.5]], [[2, -1], [0, 1]]):
        try:
            matrix = np.array(rows).astype(dtype)
        except (OverflowError, ValueError):
            continue
        _assert_checks_agree(matrix)


def test_probability_fast_path_names_the_first_bad_value_in_row_order():
    # Fortran order (as the layout stacks columns): the first bad value in *row* order is
    # named, not the first in memory.
    matrix = np.asfortranarray(np.full((3, 3), 1.0 / 3.0))
    matrix[2, 0] = -0.5
    matrix[1, 2] = 1.5
    layout = _probability_layout(matrix)
    with pytest.raises(InputError) as error:
        layout.check_probabilities(rows_sum_to_one=True)
    assert error.value.line == 3
    assert error.value.column == "p_2"
    assert "prediction 1.5 is outside [0, 1]" in str(error.value)


def test_row_sum_fast_path_at_the_tolerance():
    from losscli.layout.arrays import ROW_SUM_TOLERANCE

    for delta in (ROW_SUM_TOLERANCE, -ROW_SUM_TOLERANCE, 2 * ROW_SUM_TOLERANCE, 0.0):
        for nudge in (-1e-12, 0.0, 1e-12):
            matrix = np.array([[0.5, 0.5], [0.5, 0.5 + delta + nudge], [0.25, 0.75]])
            _assert_checks_agree(matrix)


def test_probability_fast_checks_are_conservative():
    from losscli.layout.arrays import _all_in_unit_interval, _all_sums_near_one

    assert _all_in_unit_interval(np.zeros((0, 3)))
    assert _all_sums_near_one(np.zeros(0))
    assert _all_in_unit_interval(np.array([[0.0, 1.0, 5e-324]]))
    # -0.0 is in range, but its sign bit sends it to the exact test (which accepts it)
    assert not _all_in_unit_interval(np.array([[0.5, -0.0]]))
    for bad in (float("nan"), -5e-324, float(np.nextafter(1.0, 2.0)), float("inf")):
        assert not _all_in_unit_interval(np.array([[0.5, bad]]))
    for bad in (float("nan"), -1e-30, 1.0001, float("-inf")):  # the min/max path
        assert not _all_in_unit_interval(np.array([[0.5, bad]], dtype=np.float32))
    assert not _all_in_unit_interval(np.array([[0.5, 0.5]], dtype=object))
    assert not _all_sums_near_one(np.array([1.0, float("nan")]))


@settings(max_examples=300, deadline=None, derandomize=True)
@given(
    matrix=arrays(
        np.float64,
        array_shapes(min_dims=2, max_dims=2, min_side=1, max_side=6),
        elements=st.one_of(
            st.sampled_from(_EDGE_PROBABILITIES),
            st.floats(0.0, 1.0),
            st.floats(allow_nan=True, allow_infinity=True),
        ),
    ),
    normalise=st.booleans(),
)
def test_probability_fast_path_agrees_with_the_masks(matrix, normalise):
    if normalise:  # rows that sum to 1 (up to rounding): the row-sum check's near misses
        with np.errstate(all="ignore"):
            matrix = np.abs(matrix) / np.abs(matrix).sum(axis=1, keepdims=True)
    _assert_checks_agree(matrix)


# ------------------------------------------------ factorize: presence table vs np.unique


def _unique_factorize(values: np.ndarray):
    """factorize as written before the presence table: np.unique's sort."""
    uniques, codes = np.unique(values, return_inverse=True)
    return codes.reshape(-1), uniques.tolist()


def _assert_factorize_like_unique(values: np.ndarray) -> None:
    from losscli.layout.labels import factorize

    before = values.copy()
    codes, uniques = factorize(values)
    expected_codes, expected_uniques = _unique_factorize(values)
    assert codes.dtype == expected_codes.dtype
    assert codes.shape == expected_codes.shape
    np.testing.assert_array_equal(codes, expected_codes)
    # Same values of the same Python types, -0.0 and NaN included (repr tells them apart).
    assert [(type(u), repr(u)) for u in uniques] == [(type(u), repr(u)) for u in expected_uniques]
    if codes.size:  # fresh codes: writing to them leaves the input alone
        assert not np.shares_memory(codes, values)
    np.testing.assert_array_equal(values, before)


_FACTORIZE_CASES = {
    "empty float": np.array([], dtype=np.float64),
    "empty int": np.array([], dtype=np.int64),
    "one value": np.array([7.0]),
    "one repeated": np.full(5, 3.0),
    "labels 0..9": np.array([3.0, 0.0, 9.0, 1.0, 1.0, 2.0, 4.0, 5.0, 6.0, 7.0, 8.0]),
    "gaps": np.array([10.0, 2.0, 10.0, 500.0]),
    "negative": np.array([-3.0, 2.0, -3.0, -1.0]),
    "all negative": np.array([-5, -7, -5], dtype=np.int64),
    "int64 from 0": np.array([2, 0, 1, 2], dtype=np.int64),
    "int64 extremes": np.array([np.iinfo(np.int64).min, 0, np.iinfo(np.int64).max]),
    "int64 max alone": np.array([np.iinfo(np.int64).max] * 3),
    "uint64 huge": np.array([2**64 - 1, 2**64 - 2, 2**64 - 1], dtype=np.uint64),
    "uint64 small": np.array([3, 1, 3], dtype=np.uint64),
    "int8 wide": np.array([-128, 127, 0, -128], dtype=np.int8),
    "uint8": np.array([255, 0, 7], dtype=np.uint8),
    "bool": np.array([True, False, True]),
    "bool one": np.array([True, True]),
    "float32": np.array([2.0, 1.0, 2.0], dtype=np.float32),
    "float16": np.array([2.0, -1.0, 2.0], dtype=np.float16),
    "big endian": np.array([2.0, 1.0, 2.0], dtype=">f8"),
    "longdouble": np.array([2.0, 1.0, 2.0], dtype=np.longdouble),
    "not integral": np.array([0.5, 1.0, 0.5]),
    "almost integral": np.array([1.0, float(np.nextafter(1.0, 2.0))]),
    "1e300": np.array([1e300, 1e300]),
    "1e300 and 0": np.array([1e300, 0.0]),
    "-1e300": np.array([-1e300]),
    "2**53": np.array([2.0**53, 2.0**53 - 1]),
    "beyond 2**53": np.array([2.0**53 + 2, 2.0**53 + 4]),
    "-0.0 alone": np.array([-0.0, -0.0]),
    "-0.0 then 0.0": np.array([-0.0, 0.0, 1.0]),
    "0.0 then -0.0": np.array([0.0, -0.0, 1.0]),
    "-0.0 among negatives": np.array([-2.0, -0.0, 3.0]),
    "0.0 among negatives": np.array([-2.0, 0.0, 3.0]),
    "nan": np.array([1.0, float("nan"), 1.0, float("nan")]),
    "inf": np.array([1.0, float("inf"), float("-inf")]),
    "span at the bound": np.array([0.0, 1023.0]),
    "span over the bound": np.array([0.0, 1024.0]),
    "span 4n": np.arange(300, dtype=np.float64) * 4.0,
    "2-D": np.array([[2.0, 1.0], [1.0, 5.0]]),
    "strided": np.arange(20, dtype=np.int64)[::3],
    "0-d": np.array(4.0),
}


@pytest.mark.parametrize("name", list(_FACTORIZE_CASES))
def test_factorize_matches_np_unique(name):
    _assert_factorize_like_unique(_FACTORIZE_CASES[name])


@pytest.mark.parametrize(
    "values",
    [
        np.array([3.0, 0.0, 9.0, 1.0]),  # float labels from a CSV
        np.array([-3.0, 2.0, -3.0]),
        np.array([5, 7, 5], dtype=np.int64),
        np.array([True, False]),
        np.arange(4000, dtype=np.float64) * 4.0,  # span 16,000 <= 4 n
    ],
)
def test_factorize_takes_the_presence_table_for_integer_labels(values):
    from losscli.layout.labels import _factorize_dense

    assert _factorize_dense(values) is not None


@pytest.mark.parametrize(
    "name",
    [
        "empty float",
        "not integral",
        "1e300",
        "-0.0 alone",
        "-0.0 among negatives",
        "nan",
        "inf",
        "span over the bound",
        "uint64 huge",
        "longdouble",
    ],
)
def test_factorize_sorts_outside_the_presence_table(name):
    from losscli.layout.labels import _factorize_dense

    assert _factorize_dense(_FACTORIZE_CASES[name]) is None


_LABEL_DTYPES = [
    np.float64,
    np.float32,
    np.float16,
    np.int64,
    np.int32,
    np.int8,
    np.uint8,
    np.uint64,
    np.bool_,
]


@settings(max_examples=300, deadline=None, derandomize=True)
@given(
    data=st.data(),
    dtype=st.sampled_from(_LABEL_DTYPES),
    low=st.integers(-2000, 2000),
    width=st.integers(0, 3000),
    size=st.integers(0, 300),
)
def test_factorize_matches_np_unique_on_random_labels(data, dtype, low, width, size):
    info = np.finfo(dtype) if np.dtype(dtype).kind == "f" else None
    if dtype is np.bool_:
        low, width = 0, min(width, 1)
    elif info is None:
        bounds = np.iinfo(dtype)
        low = min(max(low, int(bounds.min)), int(bounds.max))
        width = min(width, int(bounds.max) - low)
    elif info.nmant < 11:  # float16: integers exact up to 2048
        low, width = max(low, -2048), min(width, 2048 - max(low, -2048))
    values = np.array(
        data.draw(st.lists(st.integers(low, low + width), min_size=size, max_size=size)),
        dtype=np.int64,
    ).astype(dtype)
    if info is not None and size and data.draw(st.booleans()):
        # an odd value among the labels: -0.0, a fraction, NaN, inf or a huge number
        odd = data.draw(st.sampled_from([-0.0, 0.0, 0.5, float("nan"), float("inf"), 1e300]))
        with np.errstate(over="ignore"):
            values[data.draw(st.integers(0, size - 1))] = odd
    _assert_factorize_like_unique(values)


# --- the prediction matrix: one finite check over the stacked matrix ------------------

_prediction_cells = st.one_of(
    st.floats(0.0, 1.0),
    st.sampled_from([-0.0, 1.0, 0.0, 1.5, -2.0, float("nan"), float("inf"), -float("inf")]),
    st.floats(allow_nan=True, allow_infinity=True),
)


def _stacked_numeric(table, names):
    """The reference: every column through Table.numeric, then stacked."""
    return np.vstack([table.numeric(name) for name in names]).T


@settings(max_examples=150, deadline=None, derandomize=True)
@given(data=st.data(), k=st.integers(1, 4), n=st.integers(1, 12))
def test_numeric_matrix_equals_the_per_column_checks(data, k, n):
    from losscli.layout.arrays import _numeric_matrix

    names = [f"p_{j}" for j in range(k)]
    columns = {
        name: np.array(data.draw(st.lists(_prediction_cells, min_size=n, max_size=n)))
        for name in names
    }
    missing = {}
    if data.draw(st.booleans()):
        name = data.draw(st.sampled_from(names))
        mask = np.zeros(n, dtype=bool)
        mask[data.draw(st.integers(0, n - 1))] = True
        columns[name][mask] = np.nan
        missing[name] = mask
    if data.draw(st.booleans()):  # a column that is not float64: the per-column path
        name = data.draw(st.sampled_from(names))
        columns[name] = np.array([repr(float(v)) for v in columns[name]], dtype=object)
    table = Table(name="p.csv", columns=columns, first_line=2, missing=missing)
    try:
        want = _stacked_numeric(table, names)
    except InputError as error:
        with pytest.raises(InputError) as raised:
            _numeric_matrix(table, names)
        assert raised.value.one_line() == error.one_line()
        return
    got = _numeric_matrix(table, names)
    np.testing.assert_array_equal(got, want)
    assert got.dtype == np.float64 and got.shape == (n, k)


def test_a_prediction_just_above_one_is_shown_as_written():
    """%g showed 1.0000001 as "1", which read as if 1 were outside [0, 1] (QA)."""
    layout = _probability_layout(np.array([[0.5, 0.5], [1.0000001, 0.0]]))
    with pytest.raises(InputError, match=r"prediction 1\.0000001 is outside \[0, 1\]"):
        layout.check_probabilities(rows_sum_to_one=False)
