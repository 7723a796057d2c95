"""Regression losses against the published Keras and scikit-learn test vectors.

Every peer case whose loss is a regression loss is run here, at the case's own
tolerance, under the profile that matches its framework. The mapping from the
peers' reduction names to losscli's arguments:

- Keras ``sum_over_batch_size`` -> ``convention="keras"``, ``reduction="mean"``
  (weighted sum / number of samples);
- Keras ``sum`` -> ``reduction="sum"``; ``none`` -> ``reduction="none"``;
- Keras ``mean_with_sample_weight`` -> ``convention="losscli"`` (weighted sum / sum of
  weights), with the Keras small print (MAPE ×100, MSLE clipping) still applying;
- scikit-learn ``mean`` -> ``convention="sklearn"``; ``raw_values`` -> the loss of each
  output column on its own; ``weighted_outputs`` -> the average of those per-column values
  with the case's output weights.

Keras 3-D inputs (batch, time, 1) with per-timestep weights are flattened to
(batch · time) samples: Keras reduces the last axis, then weights each
(batch, time) element, and divides by their number, which is exactly losscli's mean
over samples.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import losscli
from losscli.conventions import KERAS, Convention
from tests.conftest import peer_close, peer_vectors

REGRESSION_PEER_LOSSES = ("mse", "mae", "mape", "msle", "huber", "log_cosh", "poisson", "pinball")

#: A profile for Keras' ``mean_with_sample_weight``: Keras' formulas (MAPE ×100,
#: MSLE clipping) with the weighted mean divided by the sum of the weights.
KERAS_WEIGHTED = Convention(
    name="keras_mean_with_sample_weight",
    description="Keras formulas, weighted mean over the sum of weights",
    epsilon=KERAS.epsilon,
    weighted_mean="weights",
    small_print=KERAS.small_print,
)

#: Cases that cannot be expressed, with the reason. The test below asserts that
#: exactly these fail, so the list cannot go stale. Empty: every case passes.
KNOWN_DIFFERENCES: dict[str, str] = {}

CASES = peer_vectors(*REGRESSION_PEER_LOSSES)


def _params(case: dict[str, Any]) -> dict[str, Any]:
    """The case's parameters in losscli's names (scikit-learn's pinball ``alpha`` is our
    ``quantile``; ``multioutput`` is a reduction, handled by the caller)."""
    params = {k: v for k, v in case["params"].items() if k != "multioutput"}
    if "alpha" in params:
        params["quantile"] = params.pop("alpha")
    return params


def _flatten_timesteps(case: dict[str, Any]) -> tuple[np.ndarray, np.ndarray, Any]:
    y_true = np.asarray(case["y_true"], dtype=float)
    y_pred = np.asarray(case["y_pred"], dtype=float)
    weight = case["sample_weight"]
    if y_true.ndim == 3:
        # (batch, time, k) -> (batch * time, k): each timestep is one sample.
        y_true = y_true.reshape(-1, y_true.shape[-1])
        y_pred = y_pred.reshape(-1, y_pred.shape[-1])
        if case["sample_weight_kind"] == "per_timestep":
            weight = np.asarray(weight, dtype=float).reshape(-1)
    return y_true, y_pred, weight


def compute_case(case: dict[str, Any]) -> Any:
    """losscli's value for a peer case, with the reduction mapped as the module says."""
    name = case["loss"]
    params = _params(case)
    y_true, y_pred, weight = _flatten_timesteps(case)
    reduction = case["reduction"]
    if case["id"].startswith("keras-"):
        convention, mapped = {
            "sum_over_batch_size": ("keras", "mean"),
            "sum": ("keras", "sum"),
            "none": ("keras", "none"),
            "mean_with_sample_weight": (KERAS_WEIGHTED, "mean"),
        }[reduction]
        return losscli.loss(
            name,
            y_true,
            y_pred,
            sample_weight=weight,
            reduction=mapped,
            convention=convention,
            **params,
        )
    assert case["id"].startswith("sklearn-"), case["id"]
    if reduction in ("mean", "sum"):
        return losscli.loss(
            name,
            y_true,
            y_pred,
            sample_weight=weight,
            reduction=reduction,
            convention="sklearn",
            **params,
        )
    per_output = np.array(
        [
            losscli.loss(
                name,
                y_true[:, j],
                y_pred[:, j],
                sample_weight=weight,
                convention="sklearn",
                **params,
            )
            for j in range(y_true.shape[1])
        ]
    )
    if reduction == "raw_values":
        return per_output
    if reduction == "weighted_outputs":
        return float(np.average(per_output, weights=case["params"]["multioutput"]))
    raise AssertionError(f"unmapped reduction {reduction!r} in {case['id']}")


def test_all_regression_cases_are_collected() -> None:
    # 77 cases in the conformance file name one of these losses; a smaller number means
    # the file or the filter changed and some cases would go untested.
    assert len(CASES) == 77
    assert {c["loss"] for c in CASES} == set(REGRESSION_PEER_LOSSES)


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_peer_case(case: dict[str, Any]) -> None:
    if case["id"] in KNOWN_DIFFERENCES:
        got = compute_case(case)
        assert not peer_close(got, case), f"{case['id']} now passes; drop it from the list"
        return
    got = compute_case(case)
    assert peer_close(got, case), (
        f"{case['id']} ({case['source']}): got {got!r}, expected {case['expected']!r} "
        f"(rtol {case['rtol']}, atol {case['atol']})"
    )


def test_known_differences_are_exactly_the_failures() -> None:
    failing = {c["id"] for c in CASES if not peer_close(compute_case(c), c)}
    assert failing == set(KNOWN_DIFFERENCES)


def test_keras_mape_is_a_percentage_and_sklearn_a_fraction() -> None:
    # Same inputs, the two profiles differ by exactly 100 (keras-020 vs sklearn scale).
    y_true = np.array([[1.0, 9.0, 2.0], [-5.0, -2.0, 6.0]])
    y_pred = np.array([[4.0, 8.0, 12.0], [8.0, 1.0, 3.0]])
    keras_value = losscli.loss("mape", y_true, y_pred, convention="keras")
    sklearn_value = losscli.loss("mape", y_true, y_pred, convention="sklearn")
    assert keras_value == pytest.approx(100.0 * sklearn_value, rel=1e-12)
    # (3/1 + 1/9 + 10/2 + 13/5 + 3/2 + 3/6) / 6 = 12.7111.../6
    assert sklearn_value == pytest.approx((3 + 1 / 9 + 5 + 13 / 5 + 1.5 + 0.5) / 6, rel=1e-12)


FLOAT64_CASES = [c for c in CASES if c.get("recomputed_float64") is not None]


@pytest.mark.parametrize("case", FLOAT64_CASES, ids=[c["id"] for c in FLOAT64_CASES])
def test_peer_case_float64_recomputation(case: dict[str, Any]) -> None:
    # The peers' own tolerances are loose (Keras compares 3 decimals, in float32). Where the
    # conformance file carries an independent float64 recomputation of the same formula,
    # losscli must agree with it to the 1e-9 relative target of SPEC §2.
    got = np.asarray(compute_case(case), dtype=float)
    expected = np.asarray(case["recomputed_float64"], dtype=float)
    np.testing.assert_allclose(got, expected, rtol=1e-9, atol=1e-12)


def test_float64_recomputations_cover_most_cases() -> None:
    assert len(FLOAT64_CASES) == 49
