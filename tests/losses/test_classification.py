"""Classification losses: hand-computed values, scikit-learn and PyTorch agreement, validation."""

from __future__ import annotations

import math

import numpy as np
import pytest
from sklearn import metrics

import losscli
from losscli.errors import InputError, ParameterError, ShapeError
from losscli.registry import get

RTOL = 1e-9  # SPEC §2 agreement target against the reference libraries
EPS = 1e-7  # the losscli/Keras clip constant


def _random_probabilities(rng: np.random.Generator, n: int, k: int) -> np.ndarray:
    raw = rng.uniform(0.05, 1.0, size=(n, k))
    return raw / raw.sum(axis=1, keepdims=True)


# --- binary cross-entropy -----------------------------------------------------------------


def test_bce_by_hand() -> None:
    y, p = [1.0, 0.0], [0.8, 0.4]
    expected = -(math.log(0.8) + math.log(0.6)) / 2
    assert losscli.loss("bce", y, p) == pytest.approx(expected, rel=1e-15)
    assert losscli.loss("bce", y, p, reduction="sum") == pytest.approx(2 * expected, rel=1e-15)
    np.testing.assert_allclose(
        losscli.loss("bce", y, p, reduction="none"), [-math.log(0.8), -math.log(0.6)], rtol=1e-15
    )
    # weighted mean: Σ w·l / Σ w
    w = [1.0, 3.0]
    assert losscli.loss("bce", y, p, sample_weight=w) == pytest.approx(
        (-math.log(0.8) - 3 * math.log(0.6)) / 4, rel=1e-15
    )


def test_bce_multilabel_is_the_mean_over_labels() -> None:
    y = [[1.0, 0.0], [0.0, 1.0]]
    p = [[0.9, 0.2], [0.3, 0.6]]
    first = -(math.log(0.9) + math.log(0.8)) / 2
    second = -(math.log(0.7) + math.log(0.6)) / 2
    np.testing.assert_allclose(
        losscli.loss("bce", y, p, reduction="none"), [first, second], rtol=1e-15
    )
    assert get("bce").tasks == ("binary", "multilabel")


def test_bce_label_smoothing_moves_targets_towards_one_half() -> None:
    # ls = 0.2: a target of 1 becomes 0.9
    expected = -(0.9 * math.log(0.8) + 0.1 * math.log(0.2))
    assert losscli.loss("bce", [1.0], [0.8], label_smoothing=0.2) == pytest.approx(expected)


def test_bce_pos_weight_from_logits_by_hand() -> None:
    # x = 0: each log term is log 2; the positive one is weighted by 3
    np.testing.assert_allclose(
        losscli.loss(
            "bce", [1.0, 0.0], [0.0, 0.0], from_logits=True, pos_weight=3.0, reduction="none"
        ),
        [3 * math.log(2), math.log(2)],
        rtol=1e-15,
    )


def test_bce_pos_weight_per_label_by_hand() -> None:
    # x = 0: every log term is log 2; label j's positive term is weighted by w_j
    w = (1.0, 4.0, 0.5)
    got = losscli.loss(
        "bce",
        [[1.0, 1.0, 0.0], [0.0, 1.0, 1.0]],
        np.zeros((2, 3)),
        from_logits=True,
        pos_weight=w,
        reduction="none",
    )
    np.testing.assert_allclose(
        got, [(1 + 4 + 1) / 3 * math.log(2), (1 + 4 + 0.5) / 3 * math.log(2)]
    )
    # on probabilities the same weights: -(w_j * y * log p + (1 - y) * log(1 - p))
    got = losscli.loss("bce", [[1.0, 0.0]], [[0.8, 0.3]], pos_weight="2;7", reduction="none")
    np.testing.assert_allclose(got, [(-2 * math.log(0.8) - math.log(0.7)) / 2], rtol=1e-15)


@pytest.mark.parametrize(
    ("pos_weight", "message"),
    [
        ((1.0, 2.0), "pos_weight has 2 values but y_pred has 3 labels"),
        ((1.0, 2.0, 3.0, 4.0), "pos_weight has 4 values but y_pred has 3 labels"),
        ((1.0, -2.0, 3.0), "parameter 'pos_weight' must be > 0"),
        ("1;x;3", "parameter 'pos_weight' must be a number, or one number per label"),
    ],
)
def test_bce_pos_weight_per_label_errors(pos_weight, message) -> None:
    with pytest.raises(losscli.errors.ParameterError, match=message):
        losscli.loss("bce", np.ones((2, 3)), np.full((2, 3), 0.5), pos_weight=pos_weight)


def test_pos_weight_parameter_takes_a_number_or_a_list() -> None:
    from losscli import registry

    param = next(p for p in registry.get("bce").params if p.name == "pos_weight")
    assert param.coerce("bce", "2") == 2.0
    assert param.coerce("bce", "1;4;0.5") == (1.0, 4.0, 0.5)
    assert param.coerce("bce", [3]) == 3.0
    assert param.coerce("bce", np.array([1.0, 2.0])) == (1.0, 2.0)
    for bad in ("", "inf", "0", "1;0"):
        with pytest.raises(losscli.errors.ParameterError):
            param.coerce("bce", bad)


def test_bce_clip_per_convention() -> None:
    # a certain, wrong prediction: p = 0 for a positive
    assert losscli.loss("bce", [1.0], [0.0]) == pytest.approx(-math.log(EPS), rel=1e-12)
    assert losscli.loss("bce", [1.0], [0.0], convention="torch") == 100.0  # log clamped at -100
    machine_eps = np.finfo(np.float64).eps
    assert losscli.loss("bce", [1.0], [0.0], convention="sklearn") == pytest.approx(
        -math.log(machine_eps), rel=1e-12
    )
    assert losscli.loss("bce", [1.0], [0.0], epsilon=1e-3) == pytest.approx(-math.log(1e-3))
    # epsilon 0 with a perfect prediction is exactly 0 (0·log 0 = 0), and a miss is inf
    assert losscli.loss("bce", [0.0, 1.0], [0.0, 1.0], epsilon=0.0) == 0.0
    assert losscli.loss("bce", [1.0], [0.0], epsilon=0.0) == math.inf


def test_bce_logits_of_1e4_are_finite_and_exact() -> None:
    values = losscli.loss(
        "bce", [0.0, 1.0, 1.0, 0.0], [1e4, -1e4, 1e4, -1e4], from_logits=True, reduction="none"
    )
    np.testing.assert_array_equal(values, [1e4, 1e4, 0.0, 0.0])
    # soft label 0.3 on x = 1e4: (1 - 0.3)·1e4
    assert losscli.loss("bce", [0.3], [1e4], from_logits=True) == pytest.approx(7e3, rel=1e-15)


def test_bce_probabilities_outside_unit_interval_suggest_from_logits() -> None:
    with pytest.raises(InputError, match="from_logits") as info:
        losscli.loss("bce", [0.0, 1.0], [0.2, 1.5])
    assert "row 1" in str(info.value)
    with pytest.raises(InputError, match=r"outside \[0, 1\] at row 2"):
        losscli.loss("bce", [0.0, 1.0, 2.0], [0.2, 0.5, 0.5])
    with pytest.raises(ShapeError):
        losscli.loss("bce", [0.0, 1.0], [0.2, 0.5, 0.5])


def test_bce_with_sklearn_log_loss() -> None:
    rng = np.random.default_rng(1)
    y = rng.integers(0, 2, 200).astype(float)
    p = rng.uniform(0.001, 0.999, 200)
    w = rng.uniform(0.1, 3.0, 200)
    for weights in (None, w):
        expected = metrics.log_loss(y, p, sample_weight=weights)
        for convention in ("sklearn", "losscli"):  # no value near the clip: both agree
            got = losscli.loss("bce", y, p, sample_weight=weights, convention=convention)
            assert got == pytest.approx(expected, rel=RTOL)
    assert losscli.loss("bce", y, p, reduction="sum", convention="sklearn") == pytest.approx(
        metrics.log_loss(y, p, normalize=False), rel=RTOL
    )


# --- categorical cross-entropy -------------------------------------------------------------


def test_cce_and_sparse_cce_by_hand() -> None:
    p = [[0.2, 0.7, 0.1], [0.5, 0.25, 0.25]]
    expected = [-math.log(0.7), -math.log(0.5)]
    np.testing.assert_allclose(
        losscli.loss("cce", [[0, 1, 0], [1, 0, 0]], p, reduction="none"), expected, rtol=1e-15
    )
    np.testing.assert_allclose(
        losscli.loss("sparse_cce", [1, 0], p, reduction="none"), expected, rtol=1e-15
    )
    soft = -(0.5 * math.log(0.2) + 0.5 * math.log(0.7))
    assert losscli.loss("cce", [[0.5, 0.5, 0.0]], [p[0]]) == pytest.approx(soft, rel=1e-15)


def test_categorical_label_smoothing_by_hand() -> None:
    # K = 2, ls = 0.2: the one-hot [1, 0] becomes [0.9, 0.1]
    expected = -(0.9 * math.log(0.6) + 0.1 * math.log(0.4))
    assert losscli.loss("cce", [[1, 0]], [[0.6, 0.4]], label_smoothing=0.2) == pytest.approx(
        expected, rel=1e-15
    )
    assert losscli.loss("sparse_cce", [0], [[0.6, 0.4]], label_smoothing=0.2) == pytest.approx(
        expected, rel=1e-15
    )


def test_class_weights_enter_the_denominator_by_hand() -> None:
    p = [[0.5, 0.5], [0.2, 0.8]]
    # class weights (1, 3): losses log 2 and 3·(-log 0.8); mean divides by 1 + 3
    expected = (math.log(2) - 3 * math.log(0.8)) / 4
    assert losscli.loss("sparse_cce", [0, 1], p, class_weights=(1, 3)) == pytest.approx(expected)
    assert losscli.loss("cce", [[1, 0], [0, 1]], p, class_weights=(1, 3)) == pytest.approx(expected)
    assert losscli.loss("sparse_cce", [0, 1], p, class_weights="1;3") == pytest.approx(expected)
    # with sample weights (2, 1): Σ s·w_y·l / Σ s·w_y
    expected_weighted = (2 * math.log(2) - 3 * math.log(0.8)) / (2 + 3)
    assert losscli.loss(
        "sparse_cce", [0, 1], p, class_weights=(1, 3), sample_weight=[2, 1]
    ) == pytest.approx(expected_weighted)
    # reduction="none" gives the class-weighted terms times the sample weights
    np.testing.assert_allclose(
        losscli.loss(
            "sparse_cce", [0, 1], p, class_weights=(1, 3), sample_weight=[2, 1], reduction="none"
        ),
        [2 * math.log(2), -3 * math.log(0.8)],
    )


def test_ignore_class_samples_count_nowhere() -> None:
    p = [[0.5, 0.5], [0.1, 0.9], [0.2, 0.8]]
    labels = [0, -1, 1]
    expected = (math.log(2) - math.log(0.8)) / 2
    for convention in ("losscli", "keras", "torch"):
        assert losscli.loss(
            "sparse_cce", labels, p, ignore_class=-1, convention=convention
        ) == pytest.approx(expected, rel=1e-15)
    np.testing.assert_allclose(
        losscli.loss("sparse_cce", labels, p, ignore_class=-1, reduction="none"),
        [math.log(2), 0.0, -math.log(0.8)],
    )


def test_sparse_cce_equals_cce_on_random_data() -> None:
    rng = np.random.default_rng(2)
    n, k = 300, 5
    labels = rng.integers(0, k, n)
    one_hot = np.eye(k)[labels]
    w = rng.uniform(0.2, 2.0, n)
    for from_logits in (False, True):
        p = rng.normal(size=(n, k)) * 4 if from_logits else _random_probabilities(rng, n, k)
        params = dict(from_logits=from_logits, label_smoothing=0.1, class_weights=(1, 2, 3, 0.5, 1))
        for reduction in ("mean", "sum", "none"):
            np.testing.assert_allclose(
                losscli.loss(
                    "sparse_cce", labels, p, sample_weight=w, reduction=reduction, **params
                ),
                losscli.loss("cce", one_hot, p, sample_weight=w, reduction=reduction, **params),
                rtol=1e-13,
            )


def test_sparse_cce_logits_of_1e4_are_finite_and_exact() -> None:
    assert losscli.loss("sparse_cce", [1], [[1e4, -1e4]], from_logits=True) == 2e4
    assert losscli.loss("sparse_cce", [0], [[1e4, -1e4]], from_logits=True) == 0.0
    assert losscli.loss("cce", [[0, 1]], [[1e4, -1e4]], from_logits=True) == 2e4
    np.testing.assert_array_equal(
        losscli.loss(
            "sparse_cce",
            [2, 0],
            [[1e4, 0.0, -1e4], [-1e4, 1e4, 0.0]],
            from_logits=True,
            reduction="none",
        ),
        [2e4, 2e4],
    )


def test_rows_not_summing_to_one_are_an_error_unless_renormalised() -> None:
    p = [[0.3, 0.7], [0.6, 0.6]]
    with pytest.raises(InputError, match=r"row 1 sums to 1\.2,") as info:
        losscli.loss("sparse_cce", [1, 0], p)
    assert info.value.hint == "--renormalize to rescale the rows, or --from-logits for logits"
    expected = -(math.log(0.7) + math.log(0.5)) / 2
    assert losscli.loss("sparse_cce", [1, 0], p, renormalize=True) == pytest.approx(expected)
    # Keras always rescales the rows
    assert losscli.loss("cce", [[0, 1], [1, 0]], p, convention="keras") == pytest.approx(expected)
    # within 1e-6 of 1 is accepted as it is
    assert losscli.loss("sparse_cce", [0], [[0.5 + 4e-7, 0.5]]) == pytest.approx(
        -math.log(0.5 + 4e-7)
    )


def test_categorical_input_errors() -> None:
    p = [[0.2, 0.7, 0.1], [0.5, 0.25, 0.25]]
    with pytest.raises(InputError, match=r"class label 3 at row 1, outside 0\.\.2"):
        losscli.loss("sparse_cce", [0, 3], p)
    with pytest.raises(InputError, match="class label -1 at row 0"):
        losscli.loss("sparse_cce", [-1, 0], p)
    with pytest.raises(InputError, match=r"non-integer class label 0\.5 at row 1"):
        losscli.loss("sparse_cce", [0, 0.5], p)
    with pytest.raises(InputError, match="from_logits"):
        losscli.loss("cce", [[0, 1, 0]], [[2.0, -1.0, 0.5]])
    with pytest.raises(ShapeError):
        losscli.loss("sparse_cce", [0, 1], [0.2, 0.7])
    with pytest.raises(ShapeError):
        losscli.loss("cce", [[0, 1]], [[0.2, 0.7, 0.1]])
    with pytest.raises(ParameterError, match="class_weights has 2 values but y_pred has 3"):
        losscli.loss("sparse_cce", [0, 1], p, class_weights=(1, 2))
    with pytest.raises(ParameterError, match="label_smoothing"):
        losscli.loss("cce", [[0, 1, 0]], [p[0]], label_smoothing=1.0)
    with pytest.raises(ParameterError, match="unknown parameter 'weights'"):
        losscli.loss("cce", [[0, 1, 0]], [p[0]], weights=(1, 2, 3))


def test_sparse_cce_with_sklearn_log_loss() -> None:
    rng = np.random.default_rng(3)
    n, k = 250, 4
    labels = rng.integers(0, k, n)
    p = _random_probabilities(rng, n, k)
    w = rng.uniform(0.1, 2.0, n)
    for weights in (None, w):
        expected = metrics.log_loss(labels, p, sample_weight=weights)
        for convention in ("sklearn", "losscli"):
            got = losscli.loss(
                "sparse_cce", labels, p, sample_weight=weights, convention=convention
            )
            assert got == pytest.approx(expected, rel=RTOL)
        assert losscli.loss("cce", np.eye(k)[labels], p, sample_weight=weights) == pytest.approx(
            expected, rel=RTOL
        )


def test_chunked_state_equals_whole_with_class_weights_and_ignored_samples() -> None:
    rng = np.random.default_rng(4)
    n, k = 400, 3
    labels = rng.integers(-1, k, n)  # -1 ignored
    logits = rng.normal(size=(n, k)) * 3
    w = rng.uniform(0.0, 2.0, n)
    params = dict(from_logits=True, class_weights=(0.5, 2.0, 1.0), ignore_class=-1)
    for convention in ("losscli", "keras", "torch"):
        whole = losscli.loss(
            "sparse_cce", labels, logits, sample_weight=w, convention=convention, **params
        )
        states = [
            losscli.partial(
                "sparse_cce",
                labels[i : i + 97],
                logits[i : i + 97],
                sample_weight=w[i : i + 97],
                convention=convention,
                **params,
            )
            for i in range(0, n, 97)
        ]
        merged = losscli.finish(
            "sparse_cce", losscli.merge(*states), convention=convention, **params
        )
        assert merged == pytest.approx(whole, rel=1e-12)


# --- focal ---------------------------------------------------------------------------------


def _focal_by_formula(y, x, alpha, gamma, balanced):
    p = 1 / (1 + np.exp(-x))
    ce = -(y * np.log(p) + (1 - y) * np.log(1 - p))
    p_t = y * p + (1 - y) * (1 - p)
    alpha_t = alpha * y + (1 - alpha) * (1 - y) if balanced else 1.0
    return alpha_t * (1 - p_t) ** gamma * ce


def test_binary_focal_against_the_written_formula() -> None:
    rng = np.random.default_rng(5)
    y = rng.integers(0, 2, (100, 3)).astype(float)
    x = rng.normal(size=(100, 3)) * 3
    p = 1 / (1 + np.exp(-x))
    for alpha, gamma, balanced in ((0.25, 2.0, True), (0.6, 0.5, True), (0.25, 3.0, False)):
        expected = _focal_by_formula(y, x, alpha, gamma, balanced).mean(axis=1)
        for from_logits, pred in ((True, x), (False, p)):
            got = losscli.loss(
                "focal",
                y,
                pred,
                alpha=alpha,
                gamma=gamma,
                from_logits=from_logits,
                apply_class_balancing=balanced,
                reduction="none",
            )
            np.testing.assert_allclose(got, expected, rtol=RTOL)


def test_binary_focal_defaults_and_conventions() -> None:
    # losscli balances with alpha (Lin et al.); Keras' default leaves alpha out
    y, p = [1.0, 0.0], [0.7, 0.4]
    bce_terms = np.array([-math.log(0.7), -math.log(0.6)])
    modulated = np.array([0.3**2, 0.4**2]) * bce_terms
    assert losscli.loss("focal", y, p) == pytest.approx(
        np.mean(np.array([0.25, 0.75]) * modulated), rel=1e-14
    )
    assert losscli.loss("focal", y, p, convention="keras") == pytest.approx(
        np.mean(modulated), rel=1e-14
    )
    # gamma 0 without balancing is BCE
    assert losscli.loss("focal", y, p, gamma=0.0, apply_class_balancing=False) == pytest.approx(
        losscli.loss("bce", y, p), rel=1e-15
    )
    # logits of ±1e4: only the misclassified sample costs, α_t·1·1e4
    np.testing.assert_array_equal(
        losscli.loss("focal", [0.0, 1.0], [1e4, 1e4], from_logits=True, reduction="none"),
        [0.75 * 1e4, 0.0],
    )
    with pytest.raises(ParameterError, match="gamma"):
        losscli.loss("focal", y, p, gamma=-1.0)
    with pytest.raises(ParameterError, match="alpha"):
        losscli.loss("focal", y, p, alpha=1.5)


def test_categorical_focal_against_the_written_formula() -> None:
    rng = np.random.default_rng(6)
    n, k = 80, 4
    labels = rng.integers(0, k, n)
    one_hot = np.eye(k)[labels]
    z = rng.normal(size=(n, k)) * 2
    p = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    alpha, gamma = 0.4, 1.5
    expected = -(alpha * (1 - p) ** gamma * one_hot * np.log(p)).sum(axis=1)
    for from_logits, pred in ((True, z), (False, p)):
        for target in (one_hot, labels):
            got = losscli.loss(
                "focal",
                target,
                pred,
                task="multiclass",
                alpha=alpha,
                gamma=gamma,
                from_logits=from_logits,
                reduction="none",
            )
            np.testing.assert_allclose(got, expected, rtol=RTOL)
    assert get("focal").for_task("multiclass").target == "distribution"


# --- hinge family --------------------------------------------------------------------------


def test_hinge_by_hand_and_label_mapping() -> None:
    scores = [0.5, -2.0, 0.3]
    # labels 1, 0, 0 -> +1, -1, -1: margins 0.5, 0 (clipped from -1), 1.3
    expected = [0.5, 0.0, 1.3]
    np.testing.assert_allclose(losscli.loss("hinge", [1, 0, 0], scores, reduction="none"), expected)
    np.testing.assert_allclose(
        losscli.loss("hinge", [1, -1, -1], scores, reduction="none"), expected
    )
    np.testing.assert_allclose(
        losscli.loss("squared_hinge", [1, 0, 0], scores, reduction="none"),
        np.square(expected),
    )
    # scikit-learn maps any two labels, the greater to +1; losscli refuses them
    np.testing.assert_allclose(
        losscli.loss("hinge", [2, 0, 0], scores, convention="sklearn", reduction="none"), expected
    )
    with pytest.raises(InputError, match="labels 0/1 or -1/\\+1, found 0, 2"):
        losscli.loss("hinge", [2, 0, 0], scores)
    # Keras maps only when every label is 0 or 1: with a -1 present, 0 stays 0
    np.testing.assert_allclose(
        losscli.loss("hinge", [1, 0, -1], scores, convention="keras", reduction="none"),
        [0.5, 1.0, 1.3],
    )


def test_hinge_with_sklearn() -> None:
    rng = np.random.default_rng(7)
    y = rng.integers(0, 2, 150)
    scores = rng.normal(size=150) * 2
    w = rng.uniform(0.1, 2.0, 150)
    for labels in (y, 2 * y - 1):
        for weights in (None, w):
            expected = metrics.hinge_loss(labels, scores, sample_weight=weights)
            got = losscli.loss("hinge", labels, scores, sample_weight=weights, convention="sklearn")
            assert got == pytest.approx(expected, rel=RTOL)
            assert losscli.loss("hinge", labels, scores, sample_weight=weights) == pytest.approx(
                expected, rel=RTOL
            )
    # multiclass: Crammer-Singer on (n, K) decision values
    labels = rng.integers(0, 4, 150)
    decision = rng.normal(size=(150, 4))
    expected = metrics.hinge_loss(labels, decision, sample_weight=w)
    assert losscli.loss("hinge", labels, decision, sample_weight=w) == pytest.approx(
        expected, rel=RTOL
    )
    assert losscli.loss(
        "hinge", labels, decision, sample_weight=w, task="multiclass"
    ) == pytest.approx(expected, rel=RTOL)


def test_categorical_hinge_by_hand() -> None:
    # true class score 0.9, best rival 0.3: 1 + 0.3 - 0.9
    assert losscli.loss("categorical_hinge", [[0, 1, 0]], [[0.3, 0.9, -0.2]]) == pytest.approx(0.4)
    assert losscli.loss("categorical_hinge", [1], [[0.3, 0.9, -0.2]]) == pytest.approx(0.4)
    # a margin beyond 1 costs nothing
    assert losscli.loss("categorical_hinge", [[1, 0]], [[3.0, 1.0]]) == 0.0


# --- KL divergence and Brier ---------------------------------------------------------------


def test_kl_divergence_by_hand() -> None:
    expected = 0.5 * math.log(0.5 / 0.25) + 0.5 * math.log(0.5 / 0.75)
    assert losscli.loss("kl_divergence", [[0.5, 0.5]], [[0.25, 0.75]]) == pytest.approx(
        expected, rel=1e-14
    )
    # 0·log 0 = 0: a zero target contributes nothing, whatever the prediction
    assert losscli.loss("kl_divergence", [[1.0, 0.0]], [[0.5, 0.5]]) == pytest.approx(math.log(2))
    # identical distributions: exactly 0 in the exact profile
    assert losscli.loss("kl_divergence", [[0.2, 0.8]], [[0.2, 0.8]]) == 0.0
    # from logits: log-softmax
    assert losscli.loss(
        "kl_divergence", [[0.5, 0.5]], [[0.0, math.log(3.0)]], from_logits=True
    ) == pytest.approx(expected, rel=1e-14)
    with pytest.raises(InputError, match="negative value at row 0"):
        losscli.loss("kl_divergence", [[-0.1, 1.1]], [[0.5, 0.5]])


def test_brier_by_hand_and_with_sklearn() -> None:
    assert losscli.loss("brier", [1, 0], [0.8, 0.4]) == pytest.approx((0.04 + 0.16) / 2)
    # -1/+1 labels are outcomes 0/1
    assert losscli.loss("brier", [1, -1], [0.8, 0.4]) == pytest.approx(0.1)
    # multiclass: sum over classes
    multi = (0.2**2 + 0.3**2 + 0.1**2) + (0.5**2 + 0.5**2 + 0.0)
    assert losscli.loss("brier", [1, 0], [[0.2, 0.7, 0.1], [0.5, 0.5, 0.0]]) == pytest.approx(
        multi / 2
    )
    rng = np.random.default_rng(8)
    y = rng.integers(0, 2, 120)
    p = rng.uniform(size=120)
    w = rng.uniform(0.1, 2, 120)
    assert losscli.loss("brier", y, p, sample_weight=w) == pytest.approx(
        metrics.brier_score_loss(y, p, sample_weight=w), rel=RTOL
    )
    labels = rng.integers(0, 3, 120)
    probs = _random_probabilities(rng, 120, 3)
    assert losscli.loss("brier", labels, probs, task="multiclass") == pytest.approx(
        metrics.brier_score_loss(labels, probs), rel=RTOL
    )
    # K = 2 columns: scikit-learn halves the sum (scale_by_half="auto"), its profile too
    two = _random_probabilities(rng, 120, 2)
    assert losscli.loss("brier", y, two, convention="sklearn") == pytest.approx(
        metrics.brier_score_loss(y, two), rel=RTOL
    )
    assert losscli.loss("brier", y, two) == pytest.approx(
        2 * metrics.brier_score_loss(y, two), rel=RTOL
    )
    with pytest.raises(InputError):
        losscli.loss("brier", [0, 2], [0.5, 0.5])


# --- PyTorch, float64 ----------------------------------------------------------------------


def test_bce_with_torch() -> None:
    torch = pytest.importorskip("torch")
    functional = torch.nn.functional
    rng = np.random.default_rng(9)
    y = rng.uniform(size=(60, 3))  # soft targets
    y[:20] = np.round(y[:20])
    p = rng.uniform(size=(60, 3))
    p[0, 0], p[1, 1], p[2, 2] = 0.0, 1.0, 1e-300  # the -100 clamp and log1p's precision
    w = rng.uniform(0.1, 2.0, 60)
    expected = functional.binary_cross_entropy(
        torch.tensor(p), torch.tensor(y), reduction="none"
    ).numpy()
    got = losscli.loss("bce", y, p, convention="torch", reduction="none")
    np.testing.assert_allclose(got, expected.mean(axis=1), rtol=RTOL)
    weighted = losscli.loss("bce", y, p, sample_weight=w, convention="torch")
    assert weighted == pytest.approx((w * expected.mean(axis=1)).sum() / w.sum(), rel=RTOL)
    x = rng.normal(size=(60, 3)) * 5
    x[0, 0], x[1, 1] = 1e4, -1e4
    for pos_weight in (1.0, 3.5, (0.5, 4.0, 1.25)):  # a number, or one per label
        expected = functional.binary_cross_entropy_with_logits(
            torch.tensor(x),
            torch.tensor(y),
            pos_weight=torch.tensor(pos_weight, dtype=torch.float64),
        ).item()
        for convention in ("torch", "losscli"):
            got = losscli.loss(
                "bce", y, x, from_logits=True, pos_weight=pos_weight, convention=convention
            )
            assert got == pytest.approx(expected, rel=RTOL)


def test_cross_entropy_with_torch() -> None:
    torch = pytest.importorskip("torch")
    functional = torch.nn.functional
    rng = np.random.default_rng(10)
    n, k = 90, 4
    labels = rng.integers(0, k, n)
    labels[:7] = -100  # torch's default ignore_index
    z = rng.normal(size=(n, k)) * 3
    class_weights = (0.5, 2.0, 1.0, 3.0)
    for weight in (None, class_weights):
        for smoothing in (0.0, 0.15):
            tw = None if weight is None else torch.tensor(weight, dtype=torch.float64)
            expected = functional.cross_entropy(
                torch.tensor(z), torch.tensor(labels), weight=tw, label_smoothing=smoothing
            ).item()
            got = losscli.loss(
                "sparse_cce",
                labels,
                z,
                from_logits=True,
                class_weights=weight,
                label_smoothing=smoothing,
                ignore_class=-100,
                convention="torch",
            )
            assert got == pytest.approx(expected, rel=RTOL)
            # probability targets: torch divides by n whatever the class weights
            soft = _random_probabilities(rng, n, k)
            expected = functional.cross_entropy(
                torch.tensor(z), torch.tensor(soft), weight=tw, label_smoothing=smoothing
            ).item()
            got = losscli.loss(
                "cce",
                soft,
                z,
                from_logits=True,
                class_weights=weight,
                label_smoothing=smoothing,
                convention="torch",
            )
            assert got == pytest.approx(expected, rel=RTOL)
    # probabilities through NLL of their log (torch's profile does not clip)
    p = _random_probabilities(rng, n, k)
    valid = labels >= 0
    expected = functional.nll_loss(
        torch.log(torch.tensor(p[valid])), torch.tensor(labels[valid])
    ).item()
    got = losscli.loss("sparse_cce", labels, p, ignore_class=-100, convention="torch")
    assert got == pytest.approx(expected, rel=RTOL)


def test_kl_divergence_with_torch() -> None:
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(11)
    y = _random_probabilities(rng, 50, 5)
    y[0, 1] = 0.0  # 0·log 0
    p = _random_probabilities(rng, 50, 5)
    expected = torch.nn.functional.kl_div(
        torch.log(torch.tensor(p)), torch.tensor(y), reduction="batchmean"
    ).item()
    for convention in ("torch", "losscli"):
        got = losscli.loss("kl_divergence", y, p, convention=convention)
        assert got == pytest.approx(expected, rel=RTOL)


# --- catalogue entries -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "bce",
        "focal",
        "hinge",
        "squared_hinge",
        "cce",
        "sparse_cce",
        "categorical_hinge",
        "kl_divergence",
        "brier",
    ],
)
def test_catalogue_entries_are_complete(name: str) -> None:
    spec = get(name)
    assert spec.formula and spec.latex and spec.when and spec.pros and spec.cons
    assert spec.reference and spec.activation in ("linear", "sigmoid", "softmax")
    for form in spec.forms.values():
        assert form.name == spec.name and form.formula and form.tasks


def test_aliases() -> None:
    assert get("binary_crossentropy").name == "bce"
    assert get("log_loss").name == "bce"
    assert get("sparse_categorical_crossentropy").name == "sparse_cce"
    assert get("categorical-crossentropy").name == "cce"
    assert get("KLD").name == "kl_divergence"
    assert get("binary_focal_crossentropy").name == "focal"
