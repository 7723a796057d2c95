"""Regression losses: per-sample terms averaged over outputs, then over samples.

Targets and predictions are (n,) or (n, k) arrays (k outputs); each sample's
loss is the mean over its k outputs (the Keras convention of reducing the last
axis), and samples are then averaged with their weights. Because every loss
here is a mean of element-wise terms, this equals scikit-learn's "mean per
output, then uniform average over outputs" (``multioutput="uniform_average"``),
with or without sample weights. The one exception is ``rmse``: see its entry.
"""

from __future__ import annotations

import math

import numpy as np

from losscli.conventions import KERAS_EPSILON, Convention
from losscli.errors import InputError
from losscli.losses.base import column_pair
from losscli.registry import LossSpec, Param

#: Largest x for which e^x is finite in float64 (log of the largest double ≈ 709.78).
_EXP_LIMIT = 709.0

#: Below this |error|, log cosh uses log1p(2 sinh²(x/2)); above it, the
#: overflow-free |x| + softplus(-2|x|) - log 2. Both are exact to a few ulps in
#: their own range; the first avoids the cancellation of the second near 0.
_LOG_COSH_SWITCH = 1.0


def _per_output_mean(values: np.ndarray) -> np.ndarray:
    return values if values.ndim == 1 else values.mean(axis=1)


def _refuse(bad: np.ndarray, name: str, message: str, hint: str | None = None) -> None:
    """An InputError for the first sample (row) where ``bad`` is true, if any: ``message``
    with ``{row}`` filled in, naming argument ``name`` and, for (n, k) arrays, the output
    (column) of that row where it is."""
    if not bad.any():
        return
    if bad.ndim == 1:
        row, output = int(np.flatnonzero(bad)[0]), None
    else:
        row = int(np.flatnonzero(bad.any(axis=1))[0])
        output = int(np.flatnonzero(bad[row])[0])
    raise InputError(
        message.replace("{row}", str(row)), hint=hint, row=row, argument=name, output=output
    )


def _require_at_least(values: np.ndarray, low: float, name: str, loss: str, why: str) -> None:
    """An InputError naming the first row where ``values < low``."""
    _refuse(values < low, name, f"{loss}: {name} has a value below {low:g} at row {{row}} ({why})")


# --- the per-sample terms -------------------------------------------------------------


def squared_error(y_true: np.ndarray, y_pred: np.ndarray, *, convention: Convention) -> np.ndarray:
    """Squared error per sample: mean over outputs of (y - ŷ)².

    Args:
        y_true: (n,) or (n, k) targets.
        y_pred: predictions of the same shape.
        convention: unused; every framework agrees.

    Returns:
        (n,) float64 array.

    References:
        Gauss (1809); ``torch.nn.MSELoss``, ``keras.losses.MeanSquaredError``,
        ``sklearn.metrics.mean_squared_error``.
    """
    t, p = column_pair(y_true, y_pred)
    error = np.subtract(p, t)  # a new array: squared in place (one temporary, not two)
    return _per_output_mean(np.square(error, out=error))


def absolute_error(y_true: np.ndarray, y_pred: np.ndarray, *, convention: Convention) -> np.ndarray:
    """Absolute error per sample: mean over outputs of |y - ŷ|.

    Args:
        y_true: (n,) or (n, k) targets.
        y_pred: predictions of the same shape.
        convention: unused; every framework agrees.

    Returns:
        (n,) float64 array.

    References:
        Laplace (1774); ``torch.nn.L1Loss``, ``keras.losses.MeanAbsoluteError``,
        ``sklearn.metrics.mean_absolute_error``.
    """
    t, p = column_pair(y_true, y_pred)
    error = np.subtract(p, t)
    return _per_output_mean(np.abs(error, out=error))


def huber_error(
    y_true: np.ndarray, y_pred: np.ndarray, *, convention: Convention, delta: float = 1.0
) -> np.ndarray:
    """Huber loss per sample: ½e² for |e| ≤ δ, δ(|e| - ½δ) beyond, mean over outputs.

    Written branch-free as ½·min(|e|, δ)² + δ·(|e| - min(|e|, δ)) (the optax form),
    which is continuous with a continuous first derivative at |e| = δ.

    Args:
        y_true: (n,) or (n, k) targets.
        y_pred: predictions of the same shape.
        convention: unused; Keras ``Huber`` and ``torch.nn.HuberLoss`` agree.
        delta: δ > 0, the error size where the loss turns from quadratic to linear.

    Returns:
        (n,) float64 array.

    References:
        Huber, "Robust Estimation of a Location Parameter", Ann. Math. Statist. 35 (1964);
        ``keras.losses.Huber``, ``torch.nn.HuberLoss``.
    """
    t, p = column_pair(y_true, y_pred)
    # Two full-size arrays, updated in place (this is on the hot path of every streamed
    # chunk); the operations and their order are those of the formula, so the result is
    # bit-for-bit that of 0.5 * q**2 + delta * (|e| - q).
    linear = np.subtract(p, t)
    np.abs(linear, out=linear)
    quadratic = np.minimum(linear, delta)
    linear -= quadratic
    linear *= delta
    np.square(quadratic, out=quadratic)
    quadratic *= 0.5
    quadratic += linear
    return _per_output_mean(quadratic)


def smooth_l1_error(
    y_true: np.ndarray, y_pred: np.ndarray, *, convention: Convention, beta: float = 1.0
) -> np.ndarray:
    """Smooth L1 per sample (PyTorch's definition): Huber with δ = β, divided by β.

    ½e²/β for |e| < β, |e| - ½β beyond, mean over outputs. For β = 1 it equals Huber.

    Args:
        y_true: (n,) or (n, k) targets.
        y_pred: predictions of the same shape.
        convention: unused.
        beta: β > 0, the error size where the loss turns from quadratic to linear.

    Returns:
        (n,) float64 array.

    References:
        Girshick, "Fast R-CNN", ICCV 2015; ``torch.nn.SmoothL1Loss``.
    """
    return huber_error(y_true, y_pred, convention=convention, delta=beta) / beta


def log_cosh_error(y_true: np.ndarray, y_pred: np.ndarray, *, convention: Convention) -> np.ndarray:
    """log(cosh(ŷ - y)) per sample, mean over outputs, without overflow or cancellation.

    For |x| ≥ 1: |x| + softplus(-2|x|) - log 2 (finite for any x; the Keras form).
    For |x| < 1: log1p(2·sinh²(x/2)), since cosh x - 1 = 2 sinh²(x/2); this keeps
    full relative precision where log cosh x ≈ x²/2 is tiny.

    Args:
        y_true: (n,) or (n, k) targets.
        y_pred: predictions of the same shape.
        convention: unused.

    Returns:
        (n,) float64 array.

    References:
        ``keras.losses.LogCosh``; Chen et al., "Log Hyperbolic Cosine Loss Improves
        Variational Auto-Encoder" (2019).
    """
    t, p = column_pair(y_true, y_pred)
    abs_error = np.subtract(p, t)
    np.abs(abs_error, out=abs_error)
    # Three full-size arrays, updated in place. Near zero: log1p(2 sinh²(min(|x|, 1)/2))
    # (the minimum bounds sinh, so it never overflows).
    near_zero = np.minimum(abs_error, _LOG_COSH_SWITCH)
    near_zero *= 0.5
    np.sinh(near_zero, out=near_zero)
    np.square(near_zero, out=near_zero)
    near_zero *= 2.0
    np.log1p(near_zero, out=near_zero)
    # Far: |x| + softplus(-2|x|) - log 2, where softplus(z) = log1p(e^z) for z <= 0.
    far = np.multiply(abs_error, -2.0)
    np.exp(far, out=far)
    np.log1p(far, out=far)
    far += abs_error
    far -= math.log(2.0)
    np.copyto(far, near_zero, where=abs_error < _LOG_COSH_SWITCH)
    return _per_output_mean(far)


def absolute_percentage_error(
    y_true: np.ndarray, y_pred: np.ndarray, *, convention: Convention
) -> np.ndarray:
    """Absolute percentage error per sample: scale · |y - ŷ| / max(|y|, floor), mean over outputs.

    The convention supplies ``scale`` (1 under losscli/sklearn/torch: a fraction;
    100 under Keras: a percentage) and the denominator ``floor`` that keeps
    y = 0 finite (1e-7 Keras/losscli, float64 eps scikit-learn, 1.17e-6 torchmetrics).

    Args:
        y_true: (n,) or (n, k) targets.
        y_pred: predictions of the same shape.
        convention: supplies ``mape.scale`` and ``mape.denominator_floor``.

    Returns:
        (n,) float64 array.

    References:
        ``sklearn.metrics.mean_absolute_percentage_error``;
        ``keras.losses.MeanAbsolutePercentageError``.
    """
    t, p = column_pair(y_true, y_pred)
    scale = float(convention.option("mape", "scale", 1.0))
    floor = float(convention.option("mape", "denominator_floor", KERAS_EPSILON))
    denominator = np.abs(t)
    if floor > 0:
        denominator = np.maximum(denominator, floor)
    else:
        _refuse(
            denominator == 0,
            "y_true",
            "mape: y_true is 0 at row {row}; the percentage error is undefined",
            hint="use --convention losscli, which floors the denominator at 1e-7",
        )
    return _per_output_mean(scale * np.abs(p - t) / denominator)


def squared_log_error(
    y_true: np.ndarray, y_pred: np.ndarray, *, convention: Convention
) -> np.ndarray:
    """Squared logarithmic error per sample: (log(1 + ŷ) - log(1 + y))², mean over outputs.

    Values outside the domain follow the convention's ``msle.negative`` option:
    ``"error"`` (losscli, torch): any negative value is an error; ``"clip"``
    (Keras): values are first raised to ``epsilon``; ``"above_minus_one"``
    (scikit-learn ≥ 1.5): values must be greater than -1.

    Args:
        y_true: (n,) or (n, k) targets.
        y_pred: predictions of the same shape.
        convention: supplies ``msle.negative`` and, for clipping, ``epsilon``.

    Returns:
        (n,) float64 array.

    References:
        ``sklearn.metrics.mean_squared_log_error``; ``keras.losses.MeanSquaredLogarithmicError``.
    """
    t, p = column_pair(y_true, y_pred)
    rule = convention.option("msle", "negative", "error")
    if rule == "clip":
        floor = convention.epsilon if convention.epsilon > 0 else KERAS_EPSILON
        t, p = np.maximum(t, floor), np.maximum(p, floor)
    else:
        for values, name in ((t, "y_true"), (p, "y_pred")):
            if rule == "above_minus_one":
                _refuse(
                    values <= -1.0,
                    name,
                    f"msle: {name} has a value <= -1 at row {{row}} (log(1 + x) is undefined)",
                )
            else:
                _require_at_least(values, 0.0, name, "msle", "MSLE is for non-negative targets")
    return _per_output_mean(np.square(np.log1p(p) - np.log1p(t)))


def pinball_error(
    y_true: np.ndarray, y_pred: np.ndarray, *, convention: Convention, quantile: float = 0.5
) -> np.ndarray:
    """Pinball (quantile) loss per sample: max(q·(y - ŷ), (q - 1)·(y - ŷ)), mean over outputs.

    Under-prediction costs q per unit, over-prediction 1 - q; its minimiser is the
    q-th quantile of y. At q = 0.5 it is half the absolute error.

    Args:
        y_true: (n,) or (n, k) targets.
        y_pred: predictions of the same shape.
        convention: unused.
        quantile: q in (0, 1) (scikit-learn calls it ``alpha``).

    Returns:
        (n,) float64 array.

    References:
        Koenker & Bassett, "Regression Quantiles", Econometrica 46 (1978);
        ``sklearn.metrics.mean_pinball_loss``.
    """
    t, p = column_pair(y_true, y_pred)
    error = t - p
    return _per_output_mean(np.maximum(quantile * error, (quantile - 1.0) * error))


def poisson_error(
    y_true: np.ndarray, y_pred: np.ndarray, *, convention: Convention, log_input: bool = False
) -> np.ndarray:
    """Poisson negative log-likelihood per sample (without the log(y!) term), mean over outputs.

    ``log_input=False`` (default; ŷ is the rate): ŷ - y·log(ŷ + ε), the form of Keras
    ``Poisson`` (ε = 1e-7) and ``torch.nn.PoissonNLLLoss(log_input=False)`` (ε = 1e-8);
    the convention's ``poisson.epsilon`` picks ε. ``log_input=True`` (ŷ is the log
    rate): e^ŷ - y·ŷ, PyTorch's default. This is not scikit-learn's
    ``mean_poisson_deviance`` (2·(y·log(y/ŷ) - y + ŷ)), which differs by terms
    depending on y alone; the value can be negative.

    Args:
        y_true: (n,) or (n, k) non-negative counts.
        y_pred: predicted rates (non-negative), or log rates with ``log_input``.
        convention: supplies ``poisson.epsilon``.
        log_input: whether ``y_pred`` is the log of the rate.

    Returns:
        (n,) float64 array.

    References:
        ``keras.losses.Poisson``; ``torch.nn.PoissonNLLLoss``.
    """
    t, p = column_pair(y_true, y_pred)
    _require_at_least(t, 0.0, "y_true", "poisson", "Poisson targets are counts")
    if log_input:
        _refuse(
            p > _EXP_LIMIT,
            "y_pred",
            f"poisson: y_pred is a log rate above {_EXP_LIMIT:g} at row {{row}}; exp() "
            "overflows (is log_input right?)",
        )
        return _per_output_mean(np.exp(p) - t * p)
    _require_at_least(p, 0.0, "y_pred", "poisson", "a rate cannot be negative; log_input=true?")
    epsilon = float(convention.option("poisson", "epsilon", KERAS_EPSILON))
    return _per_output_mean(p - t * np.log(p + epsilon))


# --- the catalogue entries -------------------------------------------------------------

_REGRESSION = ("regression",)

SPECS: tuple[LossSpec, ...] = (
    LossSpec(
        name="mse",
        aliases=("l2", "mean_squared_error", "squared_error"),
        tasks=_REGRESSION,
        activation="linear",
        target="values",
        formula="mean((y - ŷ)²)",
        latex=r"\frac{1}{n}\sum_i (y_i - \hat y_i)^2",
        when="The default for regression when errors are roughly normal and large errors "
        "should cost more than small ones.",
        pros=("smooth, convex, gradient proportional to the error", "optimal for Gaussian noise"),
        cons=("a few outliers dominate it", "reads in squared target units"),
        reference="Gauss (1809); torch.nn.MSELoss; sklearn.metrics.mean_squared_error",
        per_sample=squared_error,
    ),
    LossSpec(
        name="mae",
        aliases=("l1", "mean_absolute_error", "absolute_error"),
        tasks=_REGRESSION,
        activation="linear",
        target="values",
        formula="mean(|y - ŷ|)",
        latex=r"\frac{1}{n}\sum_i \lvert y_i - \hat y_i \rvert",
        when="When outliers or heavy tails are part of the data and should not steer the "
        "fit, or when the error must read in the target's own units.",
        pros=(
            "robust: every error pulls with the same force",
            "in the units of the target",
            "estimates the conditional median",
        ),
        cons=(
            "gradient does not shrink near the optimum (needs a decaying step size)",
            "not differentiable at zero error",
        ),
        reference="Laplace (1774); torch.nn.L1Loss; sklearn.metrics.mean_absolute_error",
        robust_to_outliers=True,
        per_sample=absolute_error,
    ),
    LossSpec(
        name="rmse",
        aliases=("root_mean_squared_error",),
        tasks=_REGRESSION,
        activation="linear",
        target="values",
        formula="sqrt(mean((y - ŷ)²))",
        latex=r"\sqrt{\frac{1}{n}\sum_i (y_i - \hat y_i)^2}",
        when="To report MSE in the target's units; as a training loss it ranks models "
        "exactly as MSE does.",
        pros=("same units as the target", "same minimiser as MSE"),
        cons=(
            "as sensitive to outliers as MSE",
            "not a mean of per-sample terms: only reduction='mean' applies, and with "
            "several outputs it is the root of the pooled mean, not scikit-learn's "
            "average of per-output roots",
        ),
        reference="sklearn.metrics.root_mean_squared_error; keras.metrics.RootMeanSquaredError",
        per_sample=squared_error,
        transform=math.sqrt,
    ),
    LossSpec(
        name="huber",
        aliases=("huber_loss",),
        tasks=_REGRESSION,
        activation="linear",
        target="values",
        formula="mean(½e² if |e| ≤ δ else δ·(|e| - ½δ)), e = y - ŷ",
        latex=r"\frac{1}{n}\sum_i \begin{cases} \tfrac12 e_i^2 & |e_i| \le \delta \\ "
        r"\delta\,(|e_i| - \tfrac12\delta) & \text{otherwise} \end{cases}",
        when="Mostly Gaussian errors with some outliers: quadratic for errors below δ, "
        "linear above it. Pick δ around the size of a 'normal' error.",
        pros=("smooth like MSE near zero, robust like MAE in the tails", "δ tunes the balance"),
        cons=("one more hyperparameter, in target units", "scale-dependent δ"),
        reference="Huber (1964), Ann. Math. Statist. 35; keras.losses.Huber; torch.nn.HuberLoss",
        robust_to_outliers=True,
        params=(
            Param(
                "delta",
                1.0,
                "error size where the loss turns from quadratic to linear",
                low=0.0,
                low_inclusive=False,
            ),
        ),
        per_sample=huber_error,
    ),
    LossSpec(
        name="smooth_l1",
        aliases=("smoothl1", "smooth_l1_loss"),
        tasks=_REGRESSION,
        activation="linear",
        target="values",
        formula="mean(½e²/β if |e| < β else |e| - ½β) = huber(δ=β)/β",
        latex=r"\frac{1}{n}\sum_i \begin{cases} \tfrac{1}{2\beta} e_i^2 & |e_i| < \beta \\ "
        r"|e_i| - \tfrac12\beta & \text{otherwise} \end{cases}",
        when="Box regression and other PyTorch recipes that name it; an L1 loss with a "
        "rounded bottom of width β.",
        pros=(
            "slope bounded by 1 for any β, so the gradient scale stays that of L1",
            "robust to outliers",
        ),
        cons=(
            "β < 1 makes it close to L1 (less smooth)",
            "differs from Huber by the factor 1/β, which confuses comparisons",
        ),
        reference="Girshick, Fast R-CNN (ICCV 2015); torch.nn.SmoothL1Loss",
        robust_to_outliers=True,
        params=(
            Param(
                "beta",
                1.0,
                "width of the quadratic zone (PyTorch's beta)",
                low=0.0,
                low_inclusive=False,
            ),
        ),
        per_sample=smooth_l1_error,
    ),
    LossSpec(
        name="log_cosh",
        aliases=("logcosh", "log_cosh_error"),
        tasks=_REGRESSION,
        activation="linear",
        target="values",
        formula="mean(log(cosh(ŷ - y)))",
        latex=r"\frac{1}{n}\sum_i \log\cosh(\hat y_i - y_i)",
        when="A Huber-like loss without a δ: about e²/2 for small errors, |e| - log 2 "
        "for large ones, twice differentiable everywhere.",
        pros=(
            "smooth everywhere (second-order optimisers like it)",
            "robust in the tails",
            "no hyperparameter",
        ),
        cons=(
            "the quadratic-to-linear switch is fixed at |e| ≈ 1, so it depends on the "
            "target's scale"
        ),
        reference="keras.losses.LogCosh",
        robust_to_outliers=True,
        per_sample=log_cosh_error,
    ),
    LossSpec(
        name="mape",
        aliases=("mean_absolute_percentage_error",),
        tasks=_REGRESSION,
        activation="linear",
        target="values",
        formula="mean(|y - ŷ| / max(|y|, floor)) × scale",
        latex=r"\frac{s}{n}\sum_i \frac{\lvert y_i - \hat y_i \rvert}{\max(\lvert y_i\rvert, "
        r"\epsilon)}",
        when="When errors matter relative to the size of the target (forecasts across "
        "series of different scale) and targets stay well away from zero.",
        pros=("scale-free, easy to explain", "compares across series"),
        cons=(
            "explodes for targets near zero",
            "asymmetric: favours under-prediction",
            "a fraction in losscli/scikit-learn, a percentage (×100) in Keras",
        ),
        reference="sklearn.metrics.mean_absolute_percentage_error; "
        "keras.losses.MeanAbsolutePercentageError",
        per_sample=absolute_percentage_error,
    ),
    LossSpec(
        name="msle",
        aliases=("mean_squared_log_error", "mean_squared_logarithmic_error"),
        tasks=_REGRESSION,
        activation="linear",
        target="values",
        formula="mean((log(1 + ŷ) - log(1 + y))²)",
        latex=r"\frac{1}{n}\sum_i \left(\log(1 + \hat y_i) - \log(1 + y_i)\right)^2",
        when="Non-negative targets spanning orders of magnitude (prices, counts) where "
        "relative error matters more than absolute error.",
        pros=("penalises ratios, not differences", "tames very large targets"),
        cons=(
            "undefined for negative values (losscli errors, Keras clips to 1e-7)",
            "penalises under-prediction more than over-prediction",
        ),
        reference="sklearn.metrics.mean_squared_log_error; "
        "keras.losses.MeanSquaredLogarithmicError",
        per_sample=squared_log_error,
    ),
    LossSpec(
        name="pinball",
        aliases=("quantile", "quantile_loss", "mean_pinball_loss"),
        tasks=_REGRESSION,
        activation="linear",
        target="values",
        formula="mean(max(q·(y - ŷ), (q - 1)·(y - ŷ)))",
        latex=r"\frac{1}{n}\sum_i \max\left(q (y_i - \hat y_i),\ (q - 1)(y_i - \hat y_i)\right)",
        when="Quantile regression and prediction intervals: the loss is minimised by the "
        "q-th quantile of the target.",
        pros=(
            "asymmetric costs of under- and over-prediction",
            "robust like MAE",
            "q = 0.5 gives half the MAE",
        ),
        cons=("one model per quantile", "not differentiable at zero error"),
        reference="Koenker & Bassett (1978), Econometrica 46; sklearn.metrics.mean_pinball_loss",
        robust_to_outliers=True,
        params=(
            Param(
                "quantile",
                0.5,
                "target quantile q (scikit-learn's alpha)",
                low=0.0,
                high=1.0,
                low_inclusive=False,
                high_inclusive=False,
            ),
        ),
        per_sample=pinball_error,
    ),
    LossSpec(
        name="poisson",
        aliases=(),
        tasks=_REGRESSION,
        activation="linear",
        target="values",
        formula="mean(ŷ - y·log(ŷ + ε)); with log_input: mean(e^ŷ - y·ŷ)",
        latex=r"\frac{1}{n}\sum_i \left(\hat y_i - y_i \log(\hat y_i + \epsilon)\right)",
        when="Count targets (events per interval) whose variance grows with the mean; "
        "the model predicts a rate (exp activation, or log rate with log_input).",
        pros=("the likelihood of count data", "weights errors by the expected count"),
        cons=(
            "can be negative (the log(y!) constant is dropped), so read it relatively",
            "needs non-negative rates",
            "not scikit-learn's Poisson deviance",
        ),
        reference="keras.losses.Poisson; torch.nn.PoissonNLLLoss",
        params=(
            Param(
                "log_input", False, "y_pred is the log of the rate (PyTorch's default)", type=bool
            ),
        ),
        per_sample=poisson_error,
    ),
)
