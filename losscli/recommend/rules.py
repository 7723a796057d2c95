"""The decision procedure of ``recommend`` (SPEC §5): from the evidence to a loss.

Every threshold is a named constant with its source; ``docs/recommend.md`` lists them.

Regression (decided on the residuals when predictions are given, else on the targets;
skewness and excess kurtosis of all points, as SPEC §5):
    MAE   when more than 5 % of points have |modified z| > 3.5, or excess kurtosis > 7,
          or |skewness| > 2 -- unless the flagged points are a separated few (<= 5 %,
          at least 80 % of them beyond the 3×IQR fences: gross errors, not a heavy tail),
          which is Huber's case (a documented tuning, docs/recommend.md);
    MSE   when at most 0.1 % of points have |modified z| > 3.5 and at most 0.001 % lie
          beyond the 3×IQR fences (SPEC: none; tolerances from the normal tails, 0.047 %
          and 2.3e-4 %), and |skewness| < 1;
    Huber otherwise (a few outliers, or moderate skew), δ = 1.345 × 1.4826 × MAD.
    A non-negative target with skewness > 1 also gets "consider a log transform (MSLE)".

Classification (IR = majority count / minority count):
    IR <= 9                      plain cross-entropy (bce / sparse_cce / cce);
    9 < IR <= 20                 class weights n / (k·n_c) (binary: pos_weight = neg/pos);
    IR > 20 or minority < 1 %    focal loss, α = 0.25, γ = 2.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from losscli.recommend.statistics import (
    MODIFIED_Z_THRESHOLD,
    SMALL_CLASS_SAMPLES,
    ClassEvidence,
    DistributionEvidence,
    MultilabelEvidence,
    RegressionEvidence,
)

# --- regression ------------------------------------------------------------------------
# Huber (1964), "Robust estimation of a location parameter": k = 1.345 σ gives 95 %
# asymptotic efficiency at the normal distribution (Holland & Welsch 1977 tabulate it).
HUBER_EFFICIENCY_K = 1.345
# Above this share of |modified z| > 3.5 points, outliers are not "a few" (SPEC §5: "a few
# (<= 5 %)"); 5 % is also the contamination Huber's minimax estimator is tuned around.
MAE_OUTLIER_SHARE = 0.05
# Excess kurtosis above 7 (Kline 2011, Principles and Practice of Structural Equation
# Modeling, and West, Finch & Curran 1995: |kurtosis| > 7 is "substantial" non-normality).
MAE_EXCESS_KURTOSIS = 7.0
# |skewness| > 2 (West, Finch & Curran 1995; Kim 2013: |skew| > 2 is substantially
# non-normal) sends regression to MAE.
MAE_ABS_SKEW = 2.0
# |skewness| < 1 is "approximately symmetric" (Bulmer 1979, Principles of Statistics: beyond
# ±1 a distribution is highly skewed); needed for plain MSE.
MSE_ABS_SKEW = 1.0
# Tuned (docs/recommend.md): SPEC §5 asks for "no points" with |modified z| > 3.5 before
# MSE, but a normal sample has a share 2·(1 − Φ(3.5)) = 0.047 % of them, so in 10 000 normal
# residuals ~5 points would always turn MSE into Huber. We allow up to 0.1 % (about twice the
# normal tail) and still require no point beyond the 3×IQR fences (4.7 σ under normality).
MSE_OUTLIER_SHARE = 0.001
# Tuned (docs/recommend.md): SPEC §5 also asks for no point beyond the 3×IQR fences. Under
# normality the outer fence Q3 + 3·IQR is at 0.6745 + 3 × 1.349 = 4.72 σ, so a share
# 2·(1 − Φ(4.72)) ≈ 2.3e-6 of normal points lies beyond it: 23 of 10 million, and "none"
# turned every large normal sample into Huber (QA issue 4). We allow 1e-5 (about 4× the
# normal expectation): 100 points in 10 million, still 0 of any sample below 100 000 rows.
MSE_OUTER_FENCE_SHARE = 1e-5
# Gross errors versus a heavy tail (tuned, docs/recommend.md). A few gross errors (Huber's
# contamination model) sit far from the bulk: nearly all points flagged by the modified z
# lie beyond the 3×IQR fences too (measured: 98-100 % for 2-4 % contamination at 8-15 σ).
# A heavy-tailed law (Student t3, t5, Laplace) flags a continuum: only 30-45 % of its
# flagged points lie beyond the fences. At or above this fraction the outliers are "a few"
# and get Huber even when they push the whole-sample kurtosis past 7.
SEPARATED_OUTLIER_FRACTION = 0.8
# Multi-output regression: outputs whose robust scales differ by more than this factor
# cannot share one Huber δ (a choice, docs/recommend.md: 2× means δ is off by 2× for one
# output, a different loss shape).
MULTI_OUTPUT_SCALE_RATIO = 2.0
# A non-negative target with skewness above 1 (Bulmer's "highly skewed") gets the
# log-transform / MSLE note (SPEC §5).
LOG_TRANSFORM_SKEW = 1.0

# --- classification --------------------------------------------------------------------
# IR > 9 (a 90/10 split) is where class weighting starts to pay: the SPEC §5 procedure, in
# line with He & Garcia (2009), "Learning from Imbalanced Data", who call 1:10 imbalanced.
CLASS_WEIGHT_IMBALANCE = 9.0
# IR > 20 (about 95/5) or a minority under 1 %: the "extreme" imbalance where Lin et al.
# (2017) motivate focal loss (dense detection, 1:1000 foreground/background); SPEC §5.
FOCAL_IMBALANCE = 20.0
FOCAL_MINORITY_SHARE = 0.01
# Lin et al. (2017), "Focal Loss for Dense Object Detection", Table 1a/b: γ = 2 with
# α = 0.25 worked best (α weights the rare class *less* once γ down-weights easy negatives).
FOCAL_ALPHA = 0.25
FOCAL_GAMMA = 2.0
# Szegedy et al. (2016), "Rethinking the Inception Architecture": label smoothing ε = 0.1.
LABEL_SMOOTHING = 0.1
# Salehi et al. (2017), "Tversky loss function for image segmentation": α = 0.3, β = 0.7
# weights false negatives more when the foreground is small.
TVERSKY_ALPHA = 0.3
TVERSKY_BETA = 0.7

ACTIVATIONS = {
    "regression": "linear",
    "binary": "sigmoid",
    "multiclass": "softmax",
    "multilabel": "sigmoid",
    "segmentation": "sigmoid",
    "detection": "linear",
    "sequence": "softmax",
}
# Losses with a from-logits form: recommended with from_logits=True when predictions are logits.
FROM_LOGITS_LOSSES = frozenset({"bce", "cce", "sparse_cce", "focal", "sequence_ce"})


@dataclass(frozen=True)
class Alternative:
    """A ranked alternative and when it would be the better choice."""

    loss: str
    when: str
    params: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {"loss": self.loss, "when": self.when, "params": _json_params(self.params)}


@dataclass(frozen=True)
class Recommendation:
    """The loss to use, its output activation and parameters, and the reason."""

    loss: str
    activation: str
    params: dict[str, Any]
    reason: str
    rule: str  # the branch of the procedure, e.g. "regression/huber"
    alternatives: tuple[Alternative, ...] = ()
    notes: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()

    def to_dict(self) -> dict:
        return {
            "loss": self.loss,
            "activation": self.activation,
            "params": _json_params(self.params),
            "reason": self.reason,
            "rule": self.rule,
        }


def _json_params(params: dict[str, Any]) -> dict[str, Any]:
    return {k: list(v) if isinstance(v, tuple) else v for k, v in params.items()}


def _pct(share: float) -> str:
    """A share as a percentage with enough digits to compare with the thresholds:
    ``12.0%`` from 1 % up, two significant digits below (``0.048%``, ``0.00015%``)."""
    if share == 0.0 or share >= 0.01:
        return f"{share:.1%}"
    return f"{share * 100:.2g}%"


def _num(value: float) -> str:
    return f"{value:.3g}"


# --------------------------------------------------------------------------- regression


def huber_delta(evidence: DistributionEvidence) -> float:
    """δ = 1.345 × σ̂, σ̂ = 1.4826 × MAD (the robust scale; see ``statistics.robust_scale``).

    Huber (1964): with δ = 1.345σ the estimator keeps 95 % efficiency under normal errors.
    A zero scale (all values equal) falls back to Huber's default δ = 1.
    """
    scale = evidence.robust_scale
    return HUBER_EFFICIENCY_K * scale if scale > 0.0 else 1.0


def decide_regression(
    evidence: RegressionEvidence, predictions: np.ndarray | None = None
) -> Recommendation:
    """MSE, Huber or MAE from the outlier shares, skewness and kurtosis (module docstring);
    Poisson first for a single column of non-negative integer targets (counts).

    Poisson's ``log_input`` follows the predictions when given: non-negative values are
    rates (``log_input=false``), values that can be negative are log rates
    (``log_input=true``). Without predictions it stays ``log_input=true`` (a linear output
    read as log(rate)) and the reason names the rate form too.
    """
    chosen = _decide_regression(evidence)
    if evidence.per_output:
        chosen = _per_output(evidence, chosen)
    targets = evidence.targets
    if not (evidence.outputs == 1 and targets.integer_valued and targets.nonnegative):
        return chosen
    # Counts (docs/recommend.md): the Poisson deviance is the natural loss (Nelder &
    # Wedderburn 1972; McCullagh & Nelder 1989, ch. 6), with a log link: the linear output
    # is log(rate) (``log_input=true``, PyTorch's PoissonNLLLoss default), exp gives the rate.
    counts = (
        f"Because the target is non-negative integers (counts, mean {_num(targets.mean)}, "
        f"variance {_num(targets.std**2)})"
    )
    values = None if predictions is None else np.asarray(predictions, dtype=np.float64)
    if values is not None:
        values = values[np.isfinite(values)]
    if values is not None and values.size and float(values.min()) >= 0.0:
        # Non-negative predictions are rates (QA issue 4): log_input=true would read a rate
        # of 3 as e^3 ≈ 20.
        log_input, activation = False, "exp"
        reason = (
            f"{counts} and the predictions are non-negative rates (mean {_num(values.mean())}, "
            f"from {_num(values.min())} to {_num(values.max())}), the Poisson deviance fits "
            "on the rates: log_input=false (an exp or softplus output gives the rate)."
        )
        form = (
            "counts: the predictions are rates (all >= 0), so log_input=false; if they are "
            "log rates instead, use log_input=true"
        )
    elif values is not None and values.size and _on_count_scale(values, targets.mean):
        # Some negative values, yet their mean matches the counts' (not exp of it): a linear
        # model's rate predictions (QA issue 4). Neither Poisson form fits them: rates must
        # be >= 0, and read as log rates they would be e^ŷ. Keep the evidence-based loss.
        negative = float(np.mean(values < 0.0))
        note = (
            f"counts: the predictions are on the count scale (mean {_num(values.mean())} vs "
            f"the targets' {_num(targets.mean)}) but {_pct(negative)} are negative: Poisson "
            "(log_input=false) needs rates >= 0, so use an exp or softplus output (or clip) "
            "to use it"
        )
        return replace(chosen, notes=(*chosen.notes, note))
    elif values is not None and values.size:
        log_input, activation = True, "linear"
        reason = (
            f"{counts} and some predictions are negative (min {_num(values.min())}), so they "
            "are log rates: the Poisson deviance with a log link fits, a linear output read "
            "as log(rate) (exp output), log_input=true."
        )
        form = (
            "counts: the activation is linear on the log scale (log link); apply exp to get "
            "the predicted rate"
        )
    else:
        log_input, activation = True, "linear"
        reason = (
            f"{counts}, the Poisson deviance with a log link fits: a linear output read as "
            "log(rate) (exp output), log_input=true; a model whose output is the rate itself "
            "(exp or softplus) uses log_input=false."
        )
        form = (
            "counts: the activation is linear on the log scale (log link); apply exp to get "
            "the predicted rate"
        )
    first = Alternative(
        chosen.loss,
        "when the integers are measurements rather than counts, or counts so large that "
        f"they are nearly continuous ({chosen.reason[0].lower()}{chosen.reason[1:]})",
        chosen.params,
    )
    rest = tuple(a for a in chosen.alternatives if a.loss != "poisson")
    return Recommendation(
        "poisson",
        activation,
        {"log_input": log_input},
        reason,
        "regression/poisson",
        (first, *rest),
        (*chosen.notes, form),
    )


def _on_count_scale(predictions: np.ndarray, target_mean: float) -> bool:
    """Whether predictions with negative values are rates (their mean is nearer the targets'
    mean) rather than log rates (the mean of their exp is nearer)."""
    with np.errstate(over="ignore"):
        exp_mean = float(np.mean(np.exp(np.minimum(predictions, 700.0))))
    return abs(float(predictions.mean()) - target_mean) <= abs(exp_mean - target_mean)


def _per_output(evidence: RegressionEvidence, pooled: Recommendation) -> Recommendation:
    """Several outputs: the pooled decision was on standardised values; add each output's
    own decision and, for Huber, a δ per output (docs/recommend.md)."""
    decisions = [
        (name, _decide_regression(RegressionEvidence(d, d))) for name, d in evidence.per_output
    ]
    each = "; ".join(
        f"{name!r}: {r.loss}" + (f" (δ = {r.params['delta']:.4g})" if "delta" in r.params else "")
        for name, r in decisions
    )
    notes = [f"per output: {each}"]
    deltas = [huber_delta(d) for _, d in evidence.per_output]
    scale_ratio = max(deltas) / min(deltas)
    params = dict(pooled.params)
    reason = pooled.reason.replace(
        "Because ",
        f"Because, with each of the {evidence.outputs} outputs divided by its robust scale, ",
        1,
    )
    if pooled.loss == "huber":
        if scale_ratio > MULTI_OUTPUT_SCALE_RATIO:
            # One δ cannot fit outputs whose scales differ this much: standardise the outputs
            # (then δ = 1.345) or give each its own δ_j = 1.345 σ̂_j.
            params = {"delta": HUBER_EFFICIENCY_K}
            notes.append(
                f"the outputs' robust scales differ {scale_ratio:.3g}× (> "
                f"{MULTI_OUTPUT_SCALE_RATIO:g}×): divide each output by its scale and use "
                f"δ = {HUBER_EFFICIENCY_K}, or one Huber per output with δ = "
                + ", ".join(f"{d:.4g}" for d in deltas)
            )
            reason = re.sub(
                r"δ = 1\.345 × 1\.4826 × MAD = \S+",
                "δ = 1.345 on the standardised outputs (δ per output in the notes)",
                reason,
            )
        else:
            params = {"delta": float(np.median(deltas))}
            reason = re.sub(
                r"(δ = 1\.345 × 1\.4826 × MAD) = \S+",
                f"\\1 = {params['delta']:.4g} (the median over the outputs)",
                reason,
            )
    return replace(pooled, params=params, reason=reason, notes=(*pooled.notes, *notes))


def _decide_regression(evidence: RegressionEvidence) -> Recommendation:
    d = evidence.decide_on
    on = d.on
    delta = huber_delta(d)
    outliers = d.share_modified_z
    mz = f"|modified z| > {MODIFIED_Z_THRESHOLD:g}"
    notes: list[str] = []
    alternatives: list[Alternative] = []

    # Skewness and kurtosis of all points (SPEC §5). A separated few gross errors also
    # inflate them, but that is Huber's case ("a few outliers"): see
    # SEPARATED_OUTLIER_FRACTION and docs/recommend.md.
    skew, kurtosis = d.skewness, d.excess_kurtosis
    separated = (
        0.0 < outliers <= MAE_OUTLIER_SHARE
        and d.share_outside_outer >= SEPARATED_OUTLIER_FRACTION * outliers
    )
    triggers = []
    if outliers > MAE_OUTLIER_SHARE:
        triggers.append(f"{_pct(outliers)} of the {on} have {mz} (> {_pct(MAE_OUTLIER_SHARE)})")
    if not separated:
        if kurtosis > MAE_EXCESS_KURTOSIS:
            triggers.append(f"the excess kurtosis is {_num(kurtosis)} (> {MAE_EXCESS_KURTOSIS:g})")
        if abs(skew) > MAE_ABS_SKEW:
            triggers.append(f"the skewness is {_num(skew)} (|skew| > {MAE_ABS_SKEW:g})")

    if triggers:
        loss, params, rule = "mae", {}, "regression/mae"
        reason = (
            f"Because {' and '.join(triggers)}, outliers dominate: MAE grows linearly with "
            "the error and reads in the target's units."
        )
        alternatives += [
            Alternative(
                "huber",
                "when you want squared-error behaviour (smooth gradients) for small errors but "
                "linear cost for the outliers",
                {"delta": delta},
            ),
            Alternative(
                "pinball",
                "when an asymmetric cost or a quantile other than the median is the target "
                "(quantile=0.5 equals MAE/2)",
                {"quantile": 0.5},
            ),
            Alternative(
                "mse", "when the outliers are errors you have removed or the mean is required"
            ),
        ]
    elif (
        outliers <= MSE_OUTLIER_SHARE
        and d.share_outside_outer <= MSE_OUTER_FENCE_SHARE
        and abs(skew) < MSE_ABS_SKEW
    ):
        loss, params, rule = "mse", {}, "regression/mse"
        few = (
            f"no {on[:-1]} has {mz}"
            if outliers == 0.0
            else f"only {_pct(outliers)} of the {on} have {mz} (normal tails give 0.047%, "
            f"the limit is {_pct(MSE_OUTLIER_SHARE)})"
        )
        fences = (
            "none lies beyond the 3×IQR fences"
            if d.share_outside_outer == 0.0
            else f"{_pct(d.share_outside_outer)} lie beyond the 3×IQR fences (normal tails give "
            f"0.00023%, the limit is {_pct(MSE_OUTER_FENCE_SHARE)})"
        )
        reason = (
            f"Because {few}, {fences} and the skewness is {_num(skew)} "
            f"(|skew| < {MSE_ABS_SKEW:g}), the errors look normal enough for MSE."
        )
        alternatives += [
            Alternative(
                "huber",
                "when a few large errors appear (any point beyond the 3×IQR fences)",
                {"delta": delta},
            ),
            Alternative("mae", "when the error must read in the target's units, or outliers grow"),
            Alternative(
                "log_cosh", "when you want MSE near 0 and MAE far out, twice differentiable"
            ),
        ]
    else:
        loss, params, rule = "huber", {"delta": delta}, "regression/huber"
        if outliers > MSE_OUTLIER_SHARE or d.share_outside_outer > MSE_OUTER_FENCE_SHARE:
            seen = (
                f"{_pct(outliers)} of the {on} have {mz} (limit for MSE "
                f"{_pct(MSE_OUTLIER_SHARE)}) and {_pct(d.share_outside_outer)} lie beyond the "
                f"3×IQR fences (limit {_pct(MSE_OUTER_FENCE_SHARE)})"
            )
            if separated and (kurtosis > MAE_EXCESS_KURTOSIS or abs(skew) > MAE_ABS_SKEW):
                seen += (
                    f", a separated few (gross errors, not a heavy tail: they explain the "
                    f"skewness {_num(skew)} and excess kurtosis {_num(kurtosis)})"
                )
        else:
            seen = f"the {on} are skewed (skewness {_num(skew)}, 1 <= |skew| <= 2)"
        reason = (
            f"Because {seen}, Huber balances MSE and MAE; δ = 1.345 × 1.4826 × MAD = "
            f"{delta:.4g} keeps 95 % efficiency under normal errors."
        )
        alternatives += [
            Alternative(
                "smooth_l1",
                "when you train with PyTorch's SmoothL1Loss (same shape, scaled by 1/β)",
                {"beta": delta},
            ),
            Alternative("mae", "when the share of outliers grows beyond 5 %"),
            Alternative("mse", "when the outliers turn out to be data errors you can remove"),
        ]

    targets = evidence.targets
    if targets.nonnegative and targets.skewness > LOG_TRANSFORM_SKEW:
        notes.append(
            f"the target is non-negative and right-skewed (skewness {_num(targets.skewness)} > "
            f"{LOG_TRANSFORM_SKEW:g}): consider a log transform (MSLE)"
        )
        alternatives.insert(
            0,
            Alternative(
                "msle",
                "when relative errors matter more than absolute ones on this right-skewed, "
                "non-negative target (a log transform)",
            ),
        )
    return Recommendation(
        loss,
        "linear",
        params,
        reason,
        rule,
        tuple(alternatives),
        tuple(notes),
    )


# --------------------------------------------------------------------------- classification


def imbalance_level(imbalance_ratio: float, minority_share: float) -> str:
    """``balanced`` (IR <= 9), ``imbalanced`` (9 < IR <= 20) or ``heavy`` (IR > 20 or < 1 %)."""
    if imbalance_ratio > FOCAL_IMBALANCE or minority_share < FOCAL_MINORITY_SHARE:
        return "heavy"
    if imbalance_ratio > CLASS_WEIGHT_IMBALANCE:
        return "imbalanced"
    return "balanced"


def balanced_class_weights(counts: tuple[int, ...]) -> tuple[float, ...]:
    """n / (k · n_c) per class: scikit-learn's ``class_weight="balanced"`` (King & Zeng 2001).

    A class that never occurs gets weight 0 (it contributes no terms anyway).
    """
    n = sum(counts)
    k = len(counts)
    return tuple(n / (k * c) if c > 0 else 0.0 for c in counts)


def _imbalance_text(ir: float, minority: object, share: float) -> str:
    return f"imbalance ratio {_num(ir)} (minority {_label(minority)} at {_pct(share)})"


def _label(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return repr(str(int(value)))
    return repr(str(value))


def decide_binary(evidence: ClassEvidence, *, positive_index: int = 1) -> Recommendation:
    """BCE with sigmoid; ``pos_weight`` for 9 < IR <= 20; focal beyond (module docstring)."""
    ir = evidence.imbalance_ratio
    level = imbalance_level(ir, evidence.minority_share)
    positives = evidence.counts[positive_index]
    negatives = evidence.n - positives
    pos_weight = negatives / positives
    seen = _imbalance_text(ir, evidence.minority_class, evidence.minority_share)
    swap = ""
    if positives > negatives:
        # The positive class is the majority: a pos_weight < 1 would down-weight the
        # majority instead of up-weighting the rare class. Make the minority the positive.
        pos_weight = positives / negatives
        swap = (
            f" with --positive {_label(evidence.minority_class)} (the minority as the "
            "positive class; the current positive label is the majority)"
        )
    hinge = Alternative(
        "hinge",
        "for a margin classifier (SVM-style) that outputs raw scores with -1/+1 labels",
    )
    if level == "balanced":
        return Recommendation(
            "bce",
            "sigmoid",
            {},
            f"Because the target has 2 classes with {seen}, at most "
            f"{CLASS_WEIGHT_IMBALANCE:g}, plain binary cross-entropy with a sigmoid output fits.",
            "binary/bce",
            (
                hinge,
                Alternative("focal", "when easy examples swamp the hard ones", _focal_params()),
                Alternative("brier", "when calibrated probabilities matter more than log loss"),
            ),
        )
    if level == "imbalanced":
        return Recommendation(
            "bce",
            "sigmoid",
            {"pos_weight": pos_weight},
            f"Because the {seen} exceeds {CLASS_WEIGHT_IMBALANCE:g}, binary cross-entropy "
            f"with pos_weight = neg/pos = {pos_weight:.4g}{swap} balances the classes.",
            "binary/weighted",
            (
                Alternative(
                    "focal",
                    f"when the imbalance grows beyond {FOCAL_IMBALANCE:g}:1 or easy negatives "
                    "dominate",
                    _focal_params(),
                ),
                Alternative(
                    "bce",
                    "when predicted probabilities must stay calibrated to the base rate "
                    "(weights shift them)",
                ),
                hinge,
            ),
        )
    return Recommendation(
        "focal",
        "sigmoid",
        _focal_params(),
        f"Because the {seen} is heavy (> {FOCAL_IMBALANCE:g}:1 or minority < "
        f"{_pct(FOCAL_MINORITY_SHARE)}), focal loss (α = {FOCAL_ALPHA:g}, γ = {FOCAL_GAMMA:g})"
        f"{swap} down-weights the many easy negatives.",
        "binary/focal",
        (
            Alternative(
                "bce",
                f"when a simpler loss is preferred: weight the positives by neg/pos{swap}",
                {"pos_weight": pos_weight},
            ),
            Alternative("bce", "when calibrated probabilities matter more than recall"),
        ),
    )


def _focal_params() -> dict[str, float]:
    return {"alpha": FOCAL_ALPHA, "gamma": FOCAL_GAMMA}


def _count_like(classes: tuple) -> bool:
    """Non-negative integer labels: the classes could be counts (SPEC §5 "counts or ordinal?")."""
    return all(isinstance(c, (int, float)) and c >= 0 and float(c).is_integer() for c in classes)


POISSON_WHEN = (
    "when the labels are counts (non-negative integers): Poisson deviance with a log link, "
    "i.e. a linear output read as log(rate) with log_input=true (exp output); run with "
    "--task regression"
)


def decide_multiclass(
    evidence: ClassEvidence, *, one_hot: bool, ambiguous: bool = False
) -> Recommendation:
    """Sparse CCE (labels) or CCE (one-hot) with softmax; class weights or focal if imbalanced."""
    base = "cce" if one_hot else "sparse_cce"
    form = "one-hot columns" if one_hot else "integer or text labels"
    k = len(evidence.classes)
    ir = evidence.imbalance_ratio
    level = imbalance_level(ir, evidence.minority_share)
    seen = _imbalance_text(ir, evidence.minority_class, evidence.minority_share)
    weights = balanced_class_weights(evidence.counts)
    ordinal: list[Alternative] = []
    if ambiguous and not one_hot:
        if _count_like(evidence.classes):
            # Count-like labels lead with Poisson regression (QA issue 4, docs/recommend.md).
            ordinal.append(Alternative("poisson", POISSON_WHEN, {"log_input": True}))
        ordinal.append(
            Alternative(
                "mae",
                "when the labels are ordered scores or counts rather than classes "
                "(run with --task regression)",
            )
        )
    smoothing = Alternative(
        base,
        "when labels are noisy or the model is over-confident (label smoothing 0.1)",
        {"label_smoothing": LABEL_SMOOTHING},
    )
    if level == "balanced":
        return Recommendation(
            base,
            "softmax",
            {},
            f"Because the target has {k} classes as {form} with {seen}, at most "
            f"{CLASS_WEIGHT_IMBALANCE:g}, {base} with a softmax output fits.",
            f"multiclass/{base}",
            (
                *ordinal,
                smoothing,
                Alternative("focal", "when easy examples swamp the hard ones", _focal_params()),
                Alternative(
                    "categorical_hinge", "for a margin classifier that outputs raw class scores"
                ),
            ),
        )
    if level == "imbalanced":
        return Recommendation(
            base,
            "softmax",
            {"class_weights": weights},
            f"Because the {seen} exceeds {CLASS_WEIGHT_IMBALANCE:g}, {base} with class weights "
            "n / (k·n_c) balances the classes.",
            "multiclass/weighted",
            (
                *ordinal,
                Alternative(
                    "focal",
                    f"when the imbalance grows beyond {FOCAL_IMBALANCE:g}:1 or easy examples "
                    "dominate",
                    _focal_params(),
                ),
                Alternative(base, "when predicted probabilities must match the class frequencies"),
                smoothing,
            ),
        )
    return Recommendation(
        "focal",
        "softmax",
        _focal_params(),
        f"Because the {seen} is heavy (> {FOCAL_IMBALANCE:g}:1 or minority < "
        f"{_pct(FOCAL_MINORITY_SHARE)}), focal loss (α = {FOCAL_ALPHA:g}, γ = {FOCAL_GAMMA:g}) "
        "down-weights the easy, frequent classes.",
        "multiclass/focal",
        (
            *ordinal,
            Alternative(
                base,
                "when a simpler loss is preferred: class weights n / (k·n_c)",
                {"class_weights": weights},
            ),
            Alternative(base, "when predicted probabilities must match the class frequencies"),
        ),
    )


def decide_multilabel(evidence: MultilabelEvidence) -> Recommendation:
    """BCE per label with sigmoid; per-label pos_weight or focal when labels are rare."""
    ir = evidence.imbalance_ratio
    level = imbalance_level(ir, evidence.rarest_rate)
    pos_weight = tuple((evidence.n - p) / p if p > 0 else 0.0 for p in evidence.positives)
    k = len(evidence.labels)
    seen = (
        f"{k} independent 0/1 labels (cardinality {_num(evidence.label_cardinality)} a row), "
        f"the rarest {evidence.rarest_label!r} positive in {_pct(evidence.rarest_rate)} of rows"
    )
    if level == "balanced":
        return Recommendation(
            "bce",
            "sigmoid",
            {},
            f"Because the target has {seen} and every label's imbalance ratio is at most "
            f"{CLASS_WEIGHT_IMBALANCE:g}, binary cross-entropy per label with a sigmoid each fits.",
            "multilabel/bce",
            (
                Alternative("focal", "when some labels become rare", _focal_params()),
                Alternative("hinge", "for margin classifiers with raw scores per label"),
            ),
        )
    if level == "imbalanced":
        return Recommendation(
            "bce",
            "sigmoid",
            {"pos_weight": pos_weight},
            f"Because the target has {seen} and a label's imbalance ratio reaches {_num(ir)} "
            f"(> {CLASS_WEIGHT_IMBALANCE:g}), BCE per label with pos_weight = neg/pos per label "
            "balances them.",
            "multilabel/weighted",
            (
                Alternative("focal", "when labels become rarer still", _focal_params()),
                Alternative("bce", "when per-label probabilities must stay calibrated"),
            ),
        )
    return Recommendation(
        "focal",
        "sigmoid",
        _focal_params(),
        f"Because the target has {seen} (imbalance ratio {_num(ir)} > {FOCAL_IMBALANCE:g} or "
        f"a rate < {_pct(FOCAL_MINORITY_SHARE)}), focal loss per label down-weights the easy "
        "negatives.",
        "multilabel/focal",
        (
            Alternative(
                "bce",
                "when a simpler loss is preferred: pos_weight = neg/pos per label",
                {"pos_weight": pos_weight},
            ),
            Alternative("bce", "when per-label probabilities must stay calibrated"),
        ),
    )


# --------------------------------------------------------------------------- grouped tasks


def decide_segmentation(evidence: ClassEvidence) -> Recommendation:
    """Soft Dice (Milletari et al. 2016), with Tversky for small foregrounds."""
    binary = len(evidence.classes) == 2
    activation = "sigmoid" if binary else "softmax"
    share = evidence.minority_share
    return Recommendation(
        "dice",
        activation,
        {},
        f"Because the target is a per-pixel mask ({len(evidence.classes)} classes, the rarest "
        f"{_pct(share)} of pixels), soft Dice scores the overlap regardless of the background "
        "size.",
        "segmentation/dice",
        (
            Alternative("jaccard", "when the metric you report is IoU (soft Jaccard)"),
            Alternative(
                "tversky",
                "when missed foreground costs more than false alarms (small structures)",
                {"alpha": TVERSKY_ALPHA, "beta": TVERSKY_BETA},
            ),
            Alternative("bce", "combined with Dice, for stable early training per pixel"),
        ),
    )


def decide_detection(share_no_overlap: float | None) -> Recommendation:
    """IoU loss (1 − IoU); GIoU when predicted boxes miss their targets (Rezatofighi 2019)."""
    if share_no_overlap:
        return Recommendation(
            "giou",
            "linear",
            {},
            f"Because {_pct(share_no_overlap)} of the predicted boxes do not overlap their "
            "target, where 1 − IoU is flat, generalised IoU still gives a gradient.",
            "detection/giou",
            (Alternative("iou", "when predicted boxes always overlap their targets"),),
        )
    return Recommendation(
        "iou",
        "linear",
        {},
        "Because the targets are matched boxes, 1 − IoU scores them scale-invariantly.",
        "detection/iou",
        (
            Alternative("giou", "when predicted boxes may miss their targets entirely"),
            Alternative("smooth_l1", "on the box coordinates, the classic regression form"),
        ),
    )


def decide_sequence(evidence: ClassEvidence) -> Recommendation:
    """Token cross-entropy with softmax over the vocabulary."""
    return Recommendation(
        "sequence_ce",
        "softmax",
        {},
        f"Because the target is one token a row grouped into sequences ({len(evidence.classes)} "
        "token values), token cross-entropy averaged over the sequence fits.",
        "sequence/sequence_ce",
        (
            Alternative("ctc", "when the alignment between inputs and target tokens is unknown"),
            Alternative(
                "sequence_ce",
                "when the model is over-confident (label smoothing 0.1)",
                {"label_smoothing": LABEL_SMOOTHING},
            ),
        ),
    )


def small_class_warning(classes: tuple, counts: tuple[int, ...]) -> str | None:
    """The classes with fewer than 10 samples, as one warning line (None when there are none)."""
    small = [(c, k) for c, k in zip(classes, counts, strict=True) if k < SMALL_CLASS_SAMPLES]
    if not small:
        return None
    listed = ", ".join(f"{_label(c)} ({k})" for c, k in small[:8])
    more = f" and {len(small) - 8} more" if len(small) > 8 else ""
    return (
        f"{len(small)} class{'es' if len(small) > 1 else ''} with fewer than "
        f"{SMALL_CLASS_SAMPLES} samples: {listed}{more}"
    )
