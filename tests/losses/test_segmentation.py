"""Dice, Jaccard and Tversky: hand-computed values, pooling, classes, chunking, errors."""

from __future__ import annotations

import numpy as np
import pytest

import losscli
from losscli import api
from losscli.errors import InputError, ShapeError

# Two images of two pixels each (hand-computed below).
T = np.array([1.0, 0.0, 1.0, 1.0])
P = np.array([0.9, 0.2, 0.8, 0.4])
G = np.array([7, 7, 3, 3])


def test_dice_per_image_by_hand():
    # image 3: I = .8 + .4 = 1.2, P = 1.2, T = 2 -> 1 - (2.4 + 1) / (3.2 + 1) = 0.8 / 4.2
    # image 7: I = .9, P = 1.1, T = 1 -> 1 - 2.8 / 3.1 = 0.3 / 3.1
    per_image = [0.8 / 4.2, 0.3 / 3.1]
    got = losscli.loss("dice", T, P, groups=G, reduction="none")
    np.testing.assert_allclose(got, per_image, rtol=1e-13)  # sorted id order: 3, 7
    assert losscli.loss("dice", T, P, groups=G) == pytest.approx(np.mean(per_image), rel=1e-13)
    assert losscli.loss("dice", T, P, groups=G, reduction="sum") == pytest.approx(
        sum(per_image), rel=1e-13
    )


def test_dice_global_and_smooth():
    # all pixels: I = 2.1, P = 2.3, T = 3; smooth 0 -> 1 - 4.2 / 5.3
    got = losscli.loss("dice", T, P, groups=G, pooling="global", smooth=0.0)
    assert got == pytest.approx(1.1 / 5.3, rel=1e-13)
    # without groups the whole input is one image: same as global
    assert losscli.loss("dice", T, P, smooth=0.0) == pytest.approx(1.1 / 5.3, rel=1e-13)
    assert losscli.loss("dice", T, P) == pytest.approx(1 - 5.2 / 6.3, rel=1e-13)


def test_dice_sample_weights_weight_pixels():
    w = np.array([1.0, 0.0, 2.0, 1.0])
    # image 3: I = 1.6 + .4 = 2.0, P = 2.0, T = 3 -> 1 - 5/6
    # image 7: I = .9, P = .9, T = 1 -> 1 - 2.8/2.9
    got = losscli.loss("dice", T, P, groups=G, sample_weight=w, reduction="none")
    np.testing.assert_allclose(got, [1 / 6, 0.1 / 2.9], rtol=1e-14)


def test_jaccard_and_tversky_by_hand():
    # image 3: I = 1.2, P = 1.2, T = 2; image 7: I = .9, P = 1.1, T = 1
    jac = [1 - 2.2 / 3.0, 1 - 1.9 / 2.2]
    np.testing.assert_allclose(
        losscli.loss("jaccard", T, P, groups=G, reduction="none"), jac, rtol=1e-14
    )
    # tversky alpha=.3 beta=.7: FP = P - I, FN = T - I
    # image 3: FP = 0, FN = .8 -> 1 - 2.2 / (1.2 + .56 + 1); image 7: FP = .2, FN = .1
    tv = [1 - 2.2 / 2.76, 1 - 1.9 / (0.9 + 0.06 + 0.07 + 1)]
    np.testing.assert_allclose(
        losscli.loss("tversky", T, P, groups=G, alpha=0.3, beta=0.7, reduction="none"),
        tv,
        rtol=1e-14,
    )


def test_tversky_reduces_to_dice_and_jaccard_without_smoothing():
    rng = np.random.default_rng(0)
    t = (rng.random(50) > 0.5).astype(float)
    p = rng.random(50)
    g = rng.integers(0, 5, 50)
    dice = losscli.loss("dice", t, p, groups=g, smooth=0.0)
    jac = losscli.loss("jaccard", t, p, groups=g, smooth=0.0)
    assert losscli.loss("tversky", t, p, groups=g, smooth=0.0) == pytest.approx(dice, rel=1e-13)
    tv1 = losscli.loss("tversky", t, p, groups=g, smooth=0.0, alpha=1.0, beta=1.0)
    assert tv1 == pytest.approx(jac, rel=1e-13)


def test_multiclass_dice_is_the_mean_over_classes():
    t = np.array([1, 0, 2, 1])
    p = np.array([[0.1, 0.9, 0.0], [0.5, 0.2, 0.3], [0.2, 0.2, 0.6], [0.3, 0.3, 0.4]])
    g = np.array([0, 0, 1, 1])
    # image 0, smooth 1: class 0: I=.5 P=.6 T=1 -> 1-2/2.6; class 1: I=.9 P=1.1 T=1 -> 1-2.8/3.1;
    # class 2: I=0 P=.3 T=0 -> 1-1/1.3
    img0 = np.mean([1 - 2 / 2.6, 1 - 2.8 / 3.1, 1 - 1 / 1.3])
    # image 1: class 0: I=0 P=.5 T=0 -> 1-1/1.5; class 1: I=.3 P=.5 T=1 -> 1-1.6/2.5;
    # class 2: I=.6 P=1.0 T=1 -> 1-2.2/3
    img1 = np.mean([1 - 1 / 1.5, 1 - 1.6 / 2.5, 1 - 2.2 / 3.0])
    got = losscli.loss("dice", t, p, groups=g, reduction="none")
    np.testing.assert_allclose(got, [img0, img1], rtol=1e-14)
    # one-hot targets give the same value
    onehot = np.eye(3)[t]
    assert losscli.loss("dice", onehot, p, groups=g) == pytest.approx(np.mean([img0, img1]))
    # logits: softmax applied
    logits = np.log(p + 1e-300)
    got_logits = losscli.loss("dice", t, logits, groups=g, from_logits=True, reduction="none")
    np.testing.assert_allclose(got_logits, [img0, img1], rtol=1e-12)


def test_binary_from_logits_applies_sigmoid():
    x = np.array([2.0, -1.0, 0.5, -3.0])
    p = 1 / (1 + np.exp(-x))
    assert losscli.loss("dice", T, x, groups=G, from_logits=True) == pytest.approx(
        losscli.loss("dice", T, p, groups=G), rel=1e-14
    )


def test_empty_mask_predicted_empty_is_perfect():
    t = np.zeros(3)
    p = np.zeros(3)
    assert losscli.loss("dice", t, p) == 0.0
    assert losscli.loss("dice", t, p, smooth=0.0) == 0.0  # 0/0 defined as a perfect score
    assert losscli.loss("jaccard", t, p, smooth=0.0) == 0.0


@pytest.mark.parametrize("name", ["dice", "jaccard", "tversky"])
@pytest.mark.parametrize("pooling", ["per_image", "global"])
def test_chunked_equals_whole_with_images_split_across_chunks(name, pooling):
    rng = np.random.default_rng(1)
    n = 200
    t = (rng.random(n) > 0.7).astype(float)
    p = rng.random(n)
    w = rng.random(n)
    g = rng.integers(0, 6, n)  # every image is spread over all chunks
    whole = losscli.loss(name, t, p, groups=g, sample_weight=w, pooling=pooling)
    states = [
        api.partial(name, t[s], p[s], groups=g[s], sample_weight=w[s], pooling=pooling)
        for s in (slice(0, 37), slice(37, 150), slice(150, n))
    ]
    chunked = api.finish(name, api.merge(*states), pooling=pooling)
    assert chunked == pytest.approx(whole, rel=1e-12)


def test_per_image_differs_from_global():
    per_image = losscli.loss("dice", T, P, groups=G, smooth=0.0)
    global_ = losscli.loss("dice", T, P, groups=G, smooth=0.0, pooling="global")
    assert per_image == pytest.approx(np.mean([1 - 2.4 / 3.2, 1 - 1.8 / 2.1]), rel=1e-14)
    assert per_image != pytest.approx(global_)


def test_string_and_float_group_ids():
    by_str = losscli.loss("dice", T, P, groups=np.array(["b", "b", "a", "a"]), reduction="none")
    by_float = losscli.loss("dice", T, P, groups=G.astype(float), reduction="none")
    np.testing.assert_allclose(by_str, by_float, rtol=0)


def test_bad_groups_are_errors():
    with pytest.raises(InputError, match=r"NaN.*row 2"):
        losscli.loss("dice", T, P, groups=[0.0, 0.0, np.nan, 1.0])
    with pytest.raises(ShapeError, match="groups"):
        losscli.loss("dice", T, P, groups=[0, 1])


def test_bad_values_are_errors():
    with pytest.raises(InputError, match=r"outside \[0, 1\].*row 1"):
        losscli.loss("dice", T, [0.1, 1.5, 0.2, 0.3])
    with pytest.raises(InputError, match="class ids"):
        losscli.loss("dice", [0, 3], [[0.5, 0.5], [0.5, 0.5]])
    with pytest.raises(ShapeError):
        losscli.loss("dice", T, P[:3])
    with pytest.raises(losscli.errors.ParameterError):
        losscli.loss("dice", T, P, pooling="batchwise")
    with pytest.raises(losscli.errors.ParameterError):
        losscli.loss("tversky", T, P, alpha=-1)


def test_keras_profile_adds_epsilon_to_the_denominator():
    # keras.losses.Dice: 1 - 2I / (P + T + 1e-7), pooled over the whole batch
    got = losscli.loss("dice", T, P, groups=G, convention="keras")
    assert got == pytest.approx(1 - 4.2 / (5.3 + 1e-7), rel=1e-13)
