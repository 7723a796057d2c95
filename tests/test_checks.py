"""``--fail-if`` expressions: parsing, comparison, NaN, and the messages."""

from __future__ import annotations

import math

import pytest

from losscli.checks import Check, CheckResult, evaluate_checks, parse_check
from losscli.errors import ParameterError


@pytest.mark.parametrize(
    ("text", "loss", "op", "threshold"),
    [
        ("mse>0.3", "mse", ">", 0.3),
        ("mse > 0.3", "mse", ">", 0.3),
        ("  mae<=1e-2 ", "mae", "<=", 0.01),
        ("huber:delta=2.5>0.3", "huber:delta=2.5", ">", 0.3),
        ("huber:delta=2.5>=0.3", "huber:delta=2.5", ">=", 0.3),
        ("huber:delta=2.5 == 1", "huber:delta=2.5", "==", 1.0),
        ("bce!=-1", "bce", "!=", -1.0),
        ("focal:alpha=0.5,gamma=1<2", "focal:alpha=0.5,gamma=1", "<", 2.0),
        ("mse>inf", "mse", ">", math.inf),
    ],
)
def test_parse(text, loss, op, threshold):
    check = parse_check(text)
    assert (check.loss, check.op, check.threshold) == (loss, op, threshold)
    assert check.text == text


@pytest.mark.parametrize("text", ["mse", "mse>", ">0.3", "mse>abc", "mse>nan", "mse=>1", ""])
def test_parse_errors(text):
    with pytest.raises(ParameterError, match="cannot read --fail-if"):
        parse_check(text)


@pytest.mark.parametrize(
    ("op", "value", "fails"),
    [
        (">", 0.31, True),
        (">", 0.3, False),
        (">=", 0.3, True),
        ("<", 0.29, True),
        ("<", 0.3, False),
        ("<=", 0.3, True),
        ("==", 0.3, True),
        ("!=", 0.3, False),
    ],
)
def test_fails(op, value, fails):
    assert Check(f"mse{op}0.3", "mse", op, 0.3).fails(value) is fails


def test_nan_and_missing_values_fail_the_gate():
    check = parse_check("mse>0.3")
    assert check.fails(float("nan"))
    assert check.fails(None)


def test_evaluate_checks_and_messages():
    checks = [(parse_check("mse>0.3"), "mse"), (parse_check("l1<1"), "mae")]
    results = evaluate_checks(checks, {"mse": 0.42, "mae": 2.0})
    assert [r.failed for r in results] == [True, False]
    assert results[0].message() == "check failed: mse > 0.3 (mse = 0.42)"
    assert results[1].message() == "check passed: mae < 1 (mae = 2)"
    assert results[0].as_dict() == {
        "check": "mse>0.3",
        "loss": "mse",
        "op": ">",
        "threshold": 0.3,
        "value": 0.42,
        "failed": True,
    }


def test_missing_label_fails():
    (result,) = evaluate_checks([(parse_check("mse>1"), "mse")], {})
    assert isinstance(result, CheckResult) and result.failed and result.value is None
    assert result.message() == "check failed: mse > 1 (mse = nan)"
