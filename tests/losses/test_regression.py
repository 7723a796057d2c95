"""Regression losses: hand-computed values, scikit-learn and PyTorch agreement, validation."""

from __future__ import annotations

import math
import zlib

import numpy as np
import pytest
from sklearn import metrics

import losscli
from losscli.errors import InputError, ParameterError, ShapeError
from losscli.registry import get, parse_loss_option

RTOL = 1e-9  # SPEC §2 agreement target against the reference libraries

# --- hand-computed values ---------------------------------------------------------------


def test_mse_mae_rmse_by_hand() -> None:
    y, p = [1.0, 2.0, 3.0], [1.0, 2.0, 5.0]  # errors 0, 0, 2
    assert losscli.loss("mse", y, p) == pytest.approx(4 / 3, rel=1e-15)
    assert losscli.loss("mae", y, p) == pytest.approx(2 / 3, rel=1e-15)
    assert losscli.loss("rmse", y, p) == pytest.approx(math.sqrt(4 / 3), rel=1e-15)
    assert losscli.loss("mse", y, p, reduction="sum") == pytest.approx(4.0)
    np.testing.assert_array_equal(losscli.loss("mse", y, p, reduction="none"), [0.0, 0.0, 4.0])


def test_aliases_reach_the_same_loss() -> None:
    assert get("L2").name == "mse"
    assert get("l1").name == "mae"
    assert get("Smooth-L1").name == "smooth_l1"
    assert get("quantile").name == "pinball"


def test_sample_weights_by_hand() -> None:
    y, p, w = [0.0, 0.0], [1.0, 2.0], [1.0, 3.0]  # squared errors 1, 4
    assert losscli.loss("mse", y, p, sample_weight=w) == pytest.approx(13 / 4)
    # Keras divides the weighted sum by the number of samples, not the weight sum.
    assert losscli.loss("mse", y, p, sample_weight=w, convention="keras") == pytest.approx(6.5)
    assert losscli.loss("mse", y, p, sample_weight=w, reduction="sum") == pytest.approx(13.0)
    np.testing.assert_allclose(
        losscli.loss("mse", y, p, sample_weight=w, reduction="none"), [1.0, 12.0]
    )
    assert losscli.loss("rmse", y, p, sample_weight=w) == pytest.approx(math.sqrt(13 / 4))


def test_multi_output_is_the_mean_over_outputs_per_sample() -> None:
    y = np.array([[0.0, 0.0], [1.0, 1.0]])
    p = np.array([[1.0, 3.0], [1.0, 2.0]])  # squared errors (1, 9) and (0, 1)
    np.testing.assert_allclose(losscli.loss("mse", y, p, reduction="none"), [5.0, 0.5])
    assert losscli.loss("mse", y, p) == pytest.approx(2.75)
    # (n, 1) and (n,) are one layout.
    assert losscli.loss("mae", [[1.0], [2.0]], [1.5, 2.5]) == pytest.approx(0.5)


def test_huber_by_hand() -> None:
    y, p = [0.0, 0.0], [0.5, 2.0]
    # delta 1: 0.5·0.25 = 0.125 and 1·(2 - 0.5) = 1.5
    assert losscli.loss("huber", y, p) == pytest.approx((0.125 + 1.5) / 2, rel=1e-15)
    # delta 2.5 with errors 0.5, 3: 0.125 and 2.5·(3 - 1.25) = 4.375
    assert losscli.loss("huber", y, [0.5, 3.0], delta=2.5) == pytest.approx(2.25, rel=1e-15)
    # The two branches meet at |e| = delta: 0.5·δ² either way.
    assert losscli.loss("huber", [0.0], [2.0], delta=2.0) == pytest.approx(2.0, rel=1e-15)


def test_smooth_l1_is_huber_over_beta() -> None:
    y, p = [0.0, 0.0], [0.25, 2.0]
    # beta 0.5: 0.5·0.0625/0.5 = 0.0625 and 2 - 0.25 = 1.75
    assert losscli.loss("smooth_l1", y, p, beta=0.5) == pytest.approx(0.90625, rel=1e-15)
    rng = np.random.default_rng(0)
    y, p = rng.normal(size=50), rng.normal(scale=3, size=50)
    for beta in (0.1, 1.0, 4.0):
        assert losscli.loss("smooth_l1", y, p, beta=beta) == pytest.approx(
            losscli.loss("huber", y, p, delta=beta) / beta, rel=1e-14
        )


def test_log_cosh_stable_and_exact() -> None:
    errors = np.array([0.0, 1e-8, 1e-3, 0.5, 0.999, 1.0, 3.0, 20.0])
    got = losscli.loss("log_cosh", np.zeros_like(errors), errors, reduction="none")
    assert got[0] == 0.0
    # Small x: the series x²/2 - x⁴/12 + x⁶/45 (the naive log(cosh x) loses ~1e-10 here).
    for x, value in zip(errors[1:3], got[1:3], strict=True):
        assert value == pytest.approx(x**2 / 2 - x**4 / 12 + x**6 / 45, rel=1e-14)
    # Moderate x: log(cosh x) is accurate there.
    np.testing.assert_allclose(got[3:], np.log(np.cosh(errors[3:])), rtol=1e-14)
    # Huge errors: |x| - log 2, no overflow.
    big = losscli.loss("log_cosh", [0.0], [1e4], reduction="none")
    assert big[0] == pytest.approx(1e4 - math.log(2.0), rel=1e-15)


def test_mape_by_hand_and_by_convention() -> None:
    y, p = [2.0, -4.0], [1.0, -5.0]  # 1/2 and 1/4
    assert losscli.loss("mape", y, p) == pytest.approx(0.375, rel=1e-15)
    assert losscli.loss("mape", y, p, convention="keras") == pytest.approx(37.5, rel=1e-15)
    assert losscli.loss("mape", y, p, convention="sklearn") == pytest.approx(0.375, rel=1e-15)
    # A zero target uses the denominator floor of the profile.
    assert losscli.loss("mape", [0.0], [1.0]) == pytest.approx(1e7, rel=1e-12)
    assert losscli.loss("mape", [0.0], [1.0], convention="sklearn") == pytest.approx(
        1 / np.finfo(np.float64).eps, rel=1e-12
    )


def test_msle_by_hand_and_negative_values() -> None:
    e1 = math.e - 1.0
    # log(1 + (e - 1)) - log(1 + 0) = 1, and 0 for the second sample.
    assert losscli.loss("msle", [0.0, e1], [e1, e1]) == pytest.approx(0.5, rel=1e-14)
    with pytest.raises(InputError, match=r"msle: y_true has a value below 0 at row 1"):
        losscli.loss("msle", [1.0, -0.5], [1.0, 1.0])
    # scikit-learn accepts values above -1 and rejects -1 and below.
    assert losscli.loss("msle", [-0.5], [0.0], convention="sklearn") == pytest.approx(
        math.log(0.5) ** 2, rel=1e-14
    )
    with pytest.raises(InputError, match="<= -1 at row 0"):
        losscli.loss("msle", [-1.0], [0.0], convention="sklearn")
    # Keras clips both sides at 1e-7 first: y = -5 acts as 1e-7.
    keras = losscli.loss("msle", [-5.0], [math.e - 1.0], convention="keras")
    assert keras == pytest.approx((1.0 - math.log1p(1e-7)) ** 2, rel=1e-14)


def test_pinball_by_hand() -> None:
    y, p = [10.0, 10.0], [8.0, 12.0]
    # q = 0.9: under-prediction by 2 costs 1.8, over-prediction by 2 costs 0.2
    assert losscli.loss("pinball", y, p, quantile=0.9) == pytest.approx(1.0, rel=1e-15)
    assert losscli.loss("pinball", y, [8.0, 8.0], quantile=0.9) == pytest.approx(1.8, rel=1e-15)
    # q = 0.5 is half the absolute error.
    assert losscli.loss("pinball", y, p) == pytest.approx(1.0, rel=1e-15)


def test_poisson_by_hand() -> None:
    got = losscli.loss("poisson", [2.0, 0.0], [math.e, 3.0], reduction="none")
    np.testing.assert_allclose(got, [math.e - 2 * math.log(math.e + 1e-7), 3.0], rtol=1e-15)
    torch_eps = losscli.loss("poisson", [2.0], [math.e], convention="torch")
    assert torch_eps == pytest.approx(math.e - 2 * math.log(math.e + 1e-8), rel=1e-15)
    # log_input: e^ŷ - y·ŷ
    assert losscli.loss("poisson", [3.0], [0.0], log_input=True) == pytest.approx(1.0)
    assert losscli.loss("poisson", [3.0], [2.0], log_input=True) == pytest.approx(
        math.exp(2.0) - 6.0, rel=1e-15
    )


def test_poisson_relates_to_sklearn_deviance_by_a_target_only_term() -> None:
    # Not the same number: deviance/2 = poisson NLL + mean(y log y - y) (up to the ε of
    # the log). Shown here so that nobody compares the two directly.
    rng = np.random.default_rng(1)
    y = rng.poisson(4.0, size=300).astype(float)
    p = rng.uniform(0.5, 8.0, size=300)
    nll = losscli.loss("poisson", y, p, convention="torch")
    ylogy = np.where(y > 0, y * np.log(np.where(y > 0, y, 1.0)), 0.0)
    deviance = metrics.mean_poisson_deviance(y, p)
    assert deviance / 2 == pytest.approx(nll + np.mean(ylogy - y), rel=1e-7)
    assert abs(deviance - nll) > 0.1


# --- agreement with scikit-learn on random data -----------------------------------------


def _random_case(seed: int, k: int, positive: bool = False):
    rng = np.random.default_rng(seed)
    shape = (257,) if k == 1 else (257, k)
    if positive:
        y = rng.gamma(2.0, 3.0, size=shape)
        p = rng.gamma(2.0, 3.0, size=shape)
    else:
        y = rng.normal(3.0, 5.0, size=shape)
        p = y + rng.standard_t(3, size=shape)
    w = rng.uniform(0.0, 4.0, size=257)
    return y, p, w


SKLEARN_PAIRS = [
    ("mse", {}, metrics.mean_squared_error, {}, False),
    ("mae", {}, metrics.mean_absolute_error, {}, False),
    ("mape", {}, metrics.mean_absolute_percentage_error, {}, False),
    ("msle", {}, metrics.mean_squared_log_error, {}, True),
    ("pinball", {"quantile": 0.5}, metrics.mean_pinball_loss, {"alpha": 0.5}, False),
    ("pinball", {"quantile": 0.1}, metrics.mean_pinball_loss, {"alpha": 0.1}, False),
    ("pinball", {"quantile": 0.93}, metrics.mean_pinball_loss, {"alpha": 0.93}, False),
]


@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("k", [1, 3], ids=["single", "multi"])
@pytest.mark.parametrize(
    ("name", "params", "reference", "ref_params", "positive"),
    SKLEARN_PAIRS,
    ids=[f"{n}-{i}" for i, (n, *_) in enumerate(SKLEARN_PAIRS)],
)
def test_agrees_with_sklearn(name, params, reference, ref_params, positive, k, weighted) -> None:
    y, p, w = _random_case(zlib.crc32(f"{name}{params}{k}".encode()), k, positive)
    weights = w if weighted else None
    expected = reference(y, p, sample_weight=weights, **ref_params)
    got = losscli.loss(name, y, p, sample_weight=weights, convention="sklearn", **params)
    assert got == pytest.approx(expected, rel=RTOL)
    if k > 1:
        raw = reference(y, p, sample_weight=weights, multioutput="raw_values", **ref_params)
        per_column = [
            losscli.loss(
                name, y[:, j], p[:, j], sample_weight=weights, convention="sklearn", **params
            )
            for j in range(k)
        ]
        np.testing.assert_allclose(per_column, raw, rtol=RTOL)


def test_mape_with_zero_targets_agrees_with_sklearn() -> None:
    y, p, w = _random_case(5, 1)
    y[::17] = 0.0
    expected = metrics.mean_absolute_percentage_error(y, p, sample_weight=w)
    got = losscli.loss("mape", y, p, sample_weight=w, convention="sklearn")
    assert got == pytest.approx(expected, rel=RTOL)


def test_msle_above_minus_one_agrees_with_sklearn() -> None:
    rng = np.random.default_rng(3)
    y, p = rng.uniform(-0.9, 5.0, size=100), rng.uniform(-0.9, 5.0, size=100)
    assert losscli.loss("msle", y, p, convention="sklearn") == pytest.approx(
        metrics.mean_squared_log_error(y, p), rel=RTOL
    )


@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
def test_rmse_agrees_with_sklearn(weighted: bool) -> None:
    y, p, w = _random_case(11, 1)
    weights = w if weighted else None
    expected = metrics.root_mean_squared_error(y, p, sample_weight=weights)
    assert losscli.loss("rmse", y, p, sample_weight=weights) == pytest.approx(expected, rel=RTOL)
    # Multi-output: scikit-learn averages per-output roots; losscli takes the root of
    # the pooled mean (Keras' RootMeanSquaredError). Per output they agree.
    y, p, w = _random_case(12, 3)
    raw = metrics.root_mean_squared_error(y, p, sample_weight=weights, multioutput="raw_values")
    per_column = [losscli.loss("rmse", y[:, j], p[:, j], sample_weight=weights) for j in range(3)]
    np.testing.assert_allclose(per_column, raw, rtol=RTOL)
    pooled = math.sqrt(metrics.mean_squared_error(y, p, sample_weight=weights))
    assert losscli.loss("rmse", y, p, sample_weight=weights) == pytest.approx(pooled, rel=RTOL)


# --- agreement with PyTorch ----------------------------------------------------------------


@pytest.fixture(scope="module")
def torch():
    return pytest.importorskip("torch")


TORCH_PAIRS = [
    ("mse", {}, "mse_loss", {}),
    ("mae", {}, "l1_loss", {}),
    ("huber", {}, "huber_loss", {}),
    ("huber", {"delta": 2.5}, "huber_loss", {"delta": 2.5}),
    ("huber", {"delta": 0.3}, "huber_loss", {"delta": 0.3}),
    ("smooth_l1", {}, "smooth_l1_loss", {}),
    ("smooth_l1", {"beta": 0.2}, "smooth_l1_loss", {"beta": 0.2}),
    ("smooth_l1", {"beta": 3.0}, "smooth_l1_loss", {"beta": 3.0}),
]


@pytest.mark.parametrize("k", [1, 4], ids=["single", "multi"])
@pytest.mark.parametrize(
    ("name", "params", "function", "torch_params"),
    TORCH_PAIRS,
    ids=[f"{n}-{i}" for i, (n, *_) in enumerate(TORCH_PAIRS)],
)
def test_agrees_with_torch(torch, name, params, function, torch_params, k) -> None:
    y, p, _ = _random_case(zlib.crc32(f"{name}{params}{k}".encode()), k)
    fn = getattr(torch.nn.functional, function)
    ty, tp = torch.tensor(y, dtype=torch.float64), torch.tensor(p, dtype=torch.float64)
    expected = fn(tp, ty, reduction="mean", **torch_params).item()
    got = losscli.loss(name, y, p, convention="torch", **params)
    assert got == pytest.approx(expected, rel=RTOL)
    elementwise = fn(tp, ty, reduction="none", **torch_params).numpy()
    per_sample = elementwise if k == 1 else elementwise.mean(axis=1)
    np.testing.assert_allclose(
        losscli.loss(name, y, p, convention="torch", reduction="none", **params),
        per_sample,
        rtol=RTOL,
        atol=1e-300,
    )


@pytest.mark.parametrize("log_input", [False, True])
def test_poisson_agrees_with_torch(torch, log_input: bool) -> None:
    rng = np.random.default_rng(21)
    y = rng.poisson(3.0, size=(200, 2)).astype(float)
    p = rng.normal(0.5, 1.0, size=(200, 2)) if log_input else rng.uniform(0.0, 7.0, (200, 2))
    p[0, 0] = 0.0  # a zero rate: the ε keeps the log finite
    expected = torch.nn.functional.poisson_nll_loss(
        torch.tensor(p, dtype=torch.float64),
        torch.tensor(y, dtype=torch.float64),
        log_input=log_input,
        full=False,
        eps=1e-8,
        reduction="mean",
    ).item()
    got = losscli.loss("poisson", y, p, convention="torch", log_input=log_input)
    assert got == pytest.approx(expected, rel=RTOL)


# --- validation ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "params", "message"),
    [
        ("huber", {"delta": 0.0}, r"huber: parameter 'delta' must be > 0, got 0"),
        ("huber", {"delta": -1.0}, r"'delta' must be > 0"),
        ("smooth_l1", {"beta": 0.0}, r"'beta' must be > 0"),
        ("pinball", {"quantile": 0.0}, r"'quantile' must be in \(0, 1\)"),
        ("pinball", {"quantile": 1.0}, r"'quantile' must be in \(0, 1\)"),
        ("pinball", {"quantile": 1.5}, r"'quantile' must be in \(0, 1\)"),
        ("pinball", {"alpha": 0.3}, r"unknown parameter 'alpha' \(parameters: quantile\)"),
        ("huber", {"delt": 2.0}, r"unknown parameter 'delt'.*did you mean 'delta'"),
        ("mse", {"delta": 2.0}, r"mse: unknown parameter 'delta' \(parameters: none\)"),
        ("huber", {"delta": "abc"}, r"'delta' must be a finite number"),
    ],
)
def test_invalid_parameters_raise_parameter_error(name, params, message) -> None:
    with pytest.raises(ParameterError, match=message):
        losscli.loss(name, [1.0, 2.0], [1.0, 3.0], **params)


def test_loss_option_strings_are_validated() -> None:
    spec, params = parse_loss_option("huber:delta=2.5")
    assert spec.resolve_params(params) == {"delta": 2.5}
    spec, params = parse_loss_option("pinball:quantile=1")
    with pytest.raises(ParameterError, match="quantile"):
        spec.resolve_params(params)


def test_rmse_has_only_a_mean() -> None:
    with pytest.raises(ParameterError, match="reduction='mean' only"):
        losscli.loss("rmse", [1.0], [2.0], reduction="sum")


def test_bad_inputs_raise_clear_errors() -> None:
    with pytest.raises(ShapeError, match=r"y_true has shape \(3,\) but y_pred has shape \(2,\)"):
        losscli.loss("mse", [1.0, 2.0, 3.0], [1.0, 2.0])
    with pytest.raises(InputError, match="NaN or infinite value at row 1"):
        losscli.loss("mae", [1.0, float("nan")], [1.0, 2.0])
    with pytest.raises(InputError, match="poisson: y_pred has a value below 0 at row 0"):
        losscli.loss("poisson", [1.0], [-0.5])
    with pytest.raises(InputError, match="poisson: y_true has a value below 0"):
        losscli.loss("poisson", [-1.0], [0.5])
    with pytest.raises(InputError, match="exp\\(\\) overflows"):
        losscli.loss("poisson", [1.0], [800.0], log_input=True)


def test_every_regression_spec_is_documented() -> None:
    names = {
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
    }
    for name in names:
        spec = get(name)
        assert spec.tasks == ("regression",) and spec.activation == "linear"
        assert spec.target == "values"
        assert spec.formula and spec.latex and spec.when and spec.pros and spec.cons
        assert spec.per_sample is not None and spec.per_sample.__doc__
        assert "Reference" in spec.per_sample.__doc__
    robust = {s.name for s in losscli.catalog() if s.name in names and s.robust_to_outliers}
    assert robust == {"mae", "huber", "smooth_l1", "log_cosh", "pinball"}
