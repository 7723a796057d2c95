"""The registry: every loss of SPEC §2 with complete metadata, aliases, parameter checks."""

from __future__ import annotations

import pytest

from losscli import registry
from losscli.errors import ParameterError

SPEC_NAMES = [
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
    "bce",
    "focal",
    "hinge",
    "squared_hinge",
    "cce",
    "sparse_cce",
    "categorical_hinge",
    "kl_divergence",
    "brier",
    "dice",
    "jaccard",
    "tversky",
    "iou",
    "giou",
    "sequence_ce",
    "ctc",
]


def test_every_spec_loss_is_registered():
    names = {spec.name for spec in registry.all_specs()}
    assert set(SPEC_NAMES) <= names, sorted(set(SPEC_NAMES) - names)


@pytest.mark.parametrize("spec", registry.all_specs(), ids=lambda s: s.name)
def test_metadata_is_complete(spec):
    assert spec.tasks and set(spec.tasks) <= set(registry.TASKS)
    assert spec.activation in registry.ACTIVATIONS
    assert spec.target in registry.TARGET_KINDS
    for text in (spec.formula, spec.latex, spec.when, spec.reference):
        assert text.strip()
    assert spec.pros and spec.cons
    assert (spec.per_sample is not None) or (spec.partial and spec.finish)
    for param in spec.params:
        assert param.help.strip()
        # every default passes its own range check
        assert param.coerce(spec.name, param.default) == param.default


def test_aliases_resolve_case_and_dash_insensitively():
    assert registry.get("MSE").name == "mse"
    assert registry.get("l2").name == "mse"
    assert registry.get("Mean-Squared-Error").name == "mse"


def test_unknown_loss_suggests_the_nearest_name():
    with pytest.raises(
        ParameterError, match=r"unknown loss .msee.; did you mean mse, msle, rmse\?"
    ):
        registry.get("msee")


def test_parse_loss_option_reads_parameters():
    spec, params = registry.parse_loss_option("huber:delta=2.5")
    assert spec.name == "huber"
    assert params == {"delta": "2.5"}
    assert spec.resolve_params(params)["delta"] == 2.5
    assert registry.loss_label("huber", {"delta": 2.5}) == "huber:delta=2.5"
    assert registry.loss_label("huber", {"delta": 1.0}) == "huber"


@pytest.mark.parametrize(
    ("option", "message"),
    [
        ("huber:delta=0", r"huber: parameter 'delta' must be > 0, got 0"),
        ("huber:delta=-1", r"must be > 0"),
        ("huber:delta=abc", r"parameter 'delta' must be a finite number, got 'abc'"),
        ("huber:delta=inf", r"parameter 'delta' must be a finite number, got 'inf'"),
        ("huber:delta=nan", r"must be a finite number"),
        ("pinball:quantile=1", r"parameter 'quantile' must be in \(0, 1\), got 1"),
        ("huber:dleta=2", r"unknown parameter 'dleta'.*did you mean 'delta'"),
        ("pinball:quantile=1.5", r"quantile"),
        ("focal:gamma=-1", r"gamma"),
        ("huber:delta", r"write parameters as NAME:key=value"),
    ],
)
def test_bad_parameters_raise_one_clear_error(option, message):
    with pytest.raises(ParameterError, match=message):
        spec, params = registry.parse_loss_option(option)
        spec.resolve_params(params)


def test_param_coercion_of_booleans_and_lists():
    flag = registry.Param("from_logits", False, "logits?", type=bool)
    assert flag.coerce("x", "true") is True
    assert flag.coerce("x", "0") is False
    with pytest.raises(ParameterError):
        flag.coerce("x", "maybe")
    weights = registry.Param("weights", None, "class weights", type=tuple)
    assert weights.coerce("x", "1;2;0.5") == (1.0, 2.0, 0.5)
