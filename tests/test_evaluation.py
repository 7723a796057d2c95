"""Loss requests and their evaluation through mergeable states (chunked equals whole)."""

from __future__ import annotations

import numpy as np
import pytest

from losscli import api
from losscli.errors import InputError, ParameterError
from losscli.evaluation import (
    default_loss,
    evaluate,
    finish_states,
    parse_request,
    partial_states,
    per_sample_values,
    resolve_requests,
)
from losscli.io import Table
from losscli.layout import LayoutOptions, plan_layout, resolve_roles


def layout_of(options=None, **columns):
    data = Table(
        "d.csv",
        {
            k: (
                np.asarray(v, dtype=float)
                if np.asarray(v).dtype.kind in "iuf"
                else np.asarray(v, dtype=object)
            )
            for k, v in columns.items()
        },
    )
    roles_options = {}
    if "w" in columns:
        roles_options["weight"] = "w"
    if "region" in columns:
        roles_options["group_by"] = "region"
    roles = resolve_roles([data.names], ["d.csv"], **roles_options)
    plan = plan_layout(roles, [data], options or LayoutOptions())
    return plan, data


# --------------------------------------------------------------------------- requests


def test_parse_request_labels_and_params():
    request = parse_request("huber:delta=2.5", "regression")
    assert (request.name, request.label, request.params) == (
        "huber",
        "huber:delta=2.5",
        {"delta": 2.5},
    )
    assert parse_request("l2", "regression").label == "mse"
    assert parse_request("huber:delta=1", "regression").label == "huber"


def test_from_logits_flag_reaches_losses_that_have_it():
    request = parse_request("bce", "binary", from_logits=True)
    assert request.params["from_logits"] is True and request.label == "bce"
    assert not request.takes_probabilities
    with pytest.raises(ParameterError, match="brier takes probabilities and has no from-logits"):
        parse_request("brier", "binary", from_logits=True)


def test_global_flag_sets_pooling():
    assert parse_request("dice", "segmentation", pooled=True).params["pooling"] == "global"


def test_task_mismatch_lists_the_fitting_losses():
    with pytest.raises(ParameterError) as error:
        parse_request("huber", "binary")
    assert error.value.one_line() == (
        "loss 'huber' does not apply to a binary task (it is for regression); losses for "
        "binary: bce, focal, hinge, squared_hinge, brier (hint: if the data is a regression "
        "task, say so with --task regression)"
    )


def test_unknown_loss_suggests_names():
    with pytest.raises(ParameterError, match=r"unknown loss 'hubber'; did you mean huber"):
        parse_request("hubber", "regression")


def test_resolve_all_default_and_duplicates():
    requests, warnings = resolve_requests(["mse", "l2", "huber:delta=2"], "regression")
    assert [r.label for r in requests] == ["mse", "huber:delta=2"]
    assert warnings == ["-l l2 is the same loss as -l mse (mse); it is computed once"]
    requests, _ = resolve_requests([], "regression", all_losses=True)
    assert [r.name for r in requests] == [
        "mse",
        "mae",
        "rmse",
        "huber",
        "smooth_l1",
        "log_cosh",
        "mape",
        "msle",
        "pinball",
        "poisson",
    ]
    requests, warnings = resolve_requests([], "binary", all_losses=True, from_logits=True)
    assert "brier" not in [r.name for r in requests]
    assert warnings == ["--all leaves out brier: it takes probabilities, not logits"]
    requests, _ = resolve_requests([], "multiclass", default=default_loss("multiclass", "labels"))
    assert [r.label for r in requests] == ["sparse_cce"]
    requests, _ = resolve_requests([], "regression", default="mse", also=["mae"])
    assert [r.label for r in requests] == ["mae"]
    with pytest.raises(ParameterError, match="no loss to compute"):
        resolve_requests([], "regression")


# --------------------------------------------------------------------------- values


def test_regression_values_by_hand():
    y = np.array([1.0, 2.0, 3.0, 10.0])
    p = np.array([1.5, 2.0, 2.0, 3.0])
    w = np.array([1.0, 2.0, 1.0, 0.5])
    plan, data = layout_of(y=y, yhat=p, w=w)
    requests, _ = resolve_requests(["mse", "mae", "huber:delta=2.5"], "regression")
    result = evaluate(plan.arrays(data), requests)
    e = p - y
    huber = np.where(np.abs(e) <= 2.5, 0.5 * e**2, 2.5 * (np.abs(e) - 1.25))
    assert result.values() == pytest.approx(
        {
            "mse": np.sum(w * e**2) / w.sum(),
            "mae": np.sum(w * np.abs(e)) / w.sum(),
            "huber:delta=2.5": np.sum(w * huber) / w.sum(),
        },
        rel=1e-14,
    )
    assert result.n_samples == 4


def test_per_output_and_slices_by_hand():
    y = np.array([[1.0, 10.0], [2.0, 20.0], [3.0, 30.0]])
    p = np.array([[1.0, 12.0], [2.5, 20.0], [2.0, 33.0]])
    plan, data = layout_of(
        LayoutOptions(task="regression"),
        true_a=y[:, 0],
        true_b=y[:, 1],
        p_a=p[:, 0],
        p_b=p[:, 1],
        region=["n", "s", "n"],
    )
    layout = plan.arrays(data)
    requests, _ = resolve_requests(["mse"], "regression")
    result = evaluate(layout, requests, per_output=True, by_slice=True)
    squared = (p - y) ** 2
    (mse,) = result.results
    assert mse.value == pytest.approx(squared.mean(), rel=1e-14)
    assert mse.per_output == pytest.approx(
        {"true_a": squared[:, 0].mean(), "true_b": squared[:, 1].mean()}, rel=1e-14
    )
    assert result.slice_sizes == {"n": 2, "s": 1}
    assert result.slices["n"][0].value == pytest.approx(squared[[0, 2]].mean(), rel=1e-14)
    assert result.slices["s"][0].value == pytest.approx(squared[1].mean(), rel=1e-14)


def test_multiclass_cce_and_sparse_cce_agree_with_sklearn():
    sklearn_metrics = pytest.importorskip("sklearn.metrics")
    rng = np.random.default_rng(3)
    p = rng.dirichlet(np.ones(4), 50)
    y = rng.integers(0, 4, 50)
    plan, data = layout_of(label=y, p_0=p[:, 0], p_1=p[:, 1], p_2=p[:, 2], p_3=p[:, 3])
    requests, _ = resolve_requests(["cce", "sparse_cce"], "multiclass")
    values = evaluate(plan.arrays(data), requests).values()
    expected = sklearn_metrics.log_loss(y, p, labels=[0, 1, 2, 3])
    assert values["cce"] == pytest.approx(expected, rel=1e-12)
    assert values["sparse_cce"] == pytest.approx(expected, rel=1e-12)


def test_probabilities_outside_0_1_are_named_before_the_loss_sees_them():
    plan, data = layout_of(y=[0, 1, 1], yhat=[0.2, 1.7, 0.5])
    requests, _ = resolve_requests(["bce"], "binary")
    with pytest.raises(InputError) as error:
        evaluate(plan.arrays(data), requests)
    assert error.value.one_line() == (
        "d.csv: line 3: column 'yhat': prediction 1.7 is outside [0, 1], so it is not a "
        "probability (hint: are these logits? use --from-logits)"
    )
    hinge, _ = resolve_requests(["hinge"], "binary")  # margins: any real number
    assert evaluate(plan.arrays(data), hinge).values()["hinge"] == pytest.approx(
        np.mean(np.maximum(0, 1 - np.array([-1, 1, 1]) * np.array([0.2, 1.7, 0.5]))), rel=1e-14
    )


def test_keras_convention_renormalizes_where_losscli_refuses():
    p = np.array([[0.2, 0.2], [0.3, 0.6]])
    plan, data = layout_of(label=[0, 1], p_0=p[:, 0], p_1=p[:, 1])
    requests, _ = resolve_requests(["sparse_cce"], "multiclass")
    with pytest.raises(InputError, match=r"sum to 0.4, not 1"):
        evaluate(plan.arrays(data), requests)
    value = evaluate(plan.arrays(data), requests, convention="keras").values()["sparse_cce"]
    assert value == pytest.approx(-np.mean(np.log([0.5, 0.6 / 0.9])), rel=1e-12)


def test_chunk_states_merge_to_the_whole():
    """The streaming contract: partial states of chunks, merged, finish to the whole value."""
    rng = np.random.default_rng(7)
    n = 40
    labels = rng.choice(["a", "b", "c"], n).astype(object)
    p = rng.dirichlet(np.ones(3), n)
    w = rng.uniform(0.5, 2.0, n)
    region = rng.choice(["x", "y"], n).astype(object)
    plan, data = layout_of(label=labels, p_a=p[:, 0], p_b=p[:, 1], p_c=p[:, 2], w=w, region=region)
    requests, _ = resolve_requests(["cce", "focal:gamma=1", "brier"], "multiclass")
    whole = evaluate(plan.arrays(data), requests, by_slice=True)
    states = [
        partial_states(plan.arrays(data.take(rows)), requests, by_slice=True)
        for rows in (np.arange(0, 13), np.arange(13, 29), np.arange(29, n))
    ]
    merged = finish_states(api.merge(*states), requests, task="multiclass")
    assert merged.n_samples == n
    for a, b in zip(merged.results, whole.results, strict=True):
        assert a.value == pytest.approx(b.value, rel=1e-12)
    for key in whole.slices:
        for a, b in zip(merged.slices[key], whole.slices[key], strict=True):
            assert a.value == pytest.approx(b.value, rel=1e-12)


def test_per_sample_values():
    y = np.array([1.0, 2.0, 4.0])
    p = np.array([1.5, 2.0, 2.0])
    plan, data = layout_of(y=y, yhat=p)
    requests, _ = resolve_requests(["mse", "mae"], "regression")
    (mse, mae) = per_sample_values(plan.arrays(data), requests)
    np.testing.assert_array_equal(mse.values, (p - y) ** 2)
    np.testing.assert_array_equal(mae.keys, [0, 1, 2])
    assert (mse.unit, mae.label) == ("sample", "mae")


def test_per_sample_of_grouped_loss_is_per_image():
    mask = np.array([1, 0, 1, 1])
    prob = np.array([0.9, 0.2, 0.4, 0.8])
    requests, _ = resolve_requests(["dice"], "segmentation")
    table = Table(
        "d.csv",
        {
            "img": np.array(["a", "a", "b", "b"], dtype=object),
            "y": mask.astype(float),
            "yhat": prob,
        },
    )
    plan_with_group = plan_layout(
        resolve_roles([table.names], ["d.csv"], group="img"),
        [table],
        LayoutOptions(task="segmentation"),
    )
    (dice,) = per_sample_values(plan_with_group.arrays(table), requests)
    assert dice.unit == "group" and list(dice.keys) == ["a", "b"]

    def soft_dice(t, q, smooth=1.0):
        return 1 - (2 * np.sum(t * q) + smooth) / (np.sum(t) + np.sum(q) + smooth)

    np.testing.assert_allclose(
        dice.values, [soft_dice(mask[:2], prob[:2]), soft_dice(mask[2:], prob[2:])], rtol=1e-13
    )


# --------------------------------------------------------------------------- QA fixes


def test_labels_hold_only_the_given_parameters():
    assert parse_request("bce", "binary", from_logits=True).label == "bce"
    assert parse_request("bce:from_logits=true", "binary").label == "bce:from_logits=true"
    assert parse_request("dice", "segmentation", pooled=True).label == "dice"
    assert parse_request("huber:delta=2.5", "regression").label == "huber:delta=2.5"


def test_drop_unfit_leaves_out_all_requests_outside_their_domain():
    from losscli.evaluation import drop_unfit

    plan, data = layout_of(y=[1.5, -2.0, 3.0], yhat=[1.0, 2.0, 3.5])
    layout = plan.arrays(data)
    requests, _ = resolve_requests([], "regression", all_losses=True)
    kept, warnings = drop_unfit(requests, layout)
    names = [r.name for r in kept]
    assert "msle" not in names and "poisson" not in names and "mse" in names
    assert any(
        w.startswith("--all leaves out msle: d.csv: line 3: column 'y': msle:") for w in warnings
    )
    # an explicit request stays, and fails with the file, line and column
    explicit, _ = resolve_requests(["msle"], "regression")
    assert drop_unfit(explicit, layout)[0] == explicit
    with pytest.raises(InputError) as error:
        evaluate(layout, explicit)
    assert error.value.one_line().startswith("d.csv: line 3: column 'y': msle: y_true has a")
