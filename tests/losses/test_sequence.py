"""sequence_ce and ctc: hand-computed values, PyTorch agreement, chunking, errors."""

from __future__ import annotations

import math

import numpy as np
import pytest

import losscli
from losscli import api
from losscli.errors import InputError, ParameterError, ShapeError

# --- sequence_ce ------------------------------------------------------------------------

# two sequences: "a" has 2 tokens, "b" has 1 token + 1 padding token
P = np.array([[0.7, 0.2, 0.1], [0.1, 0.8, 0.1], [0.25, 0.25, 0.5], [0.6, 0.3, 0.1]])
Y = np.array([0, 1, 2, 0])
G = np.array(["a", "a", "b", "b"])
MASK = np.array([1.0, 1.0, 1.0, 0.0])


def test_sequence_ce_tokens_by_hand():
    expected = -(math.log(0.7) + math.log(0.8) + math.log(0.5)) / 3
    got = losscli.loss("sequence_ce", Y, P, groups=G, sample_weight=MASK)
    assert got == pytest.approx(expected, rel=1e-14)
    total = losscli.loss("sequence_ce", Y, P, groups=G, sample_weight=MASK, reduction="sum")
    assert total == pytest.approx(3 * expected, rel=1e-14)
    # the keras profile divides by the number of tokens, padding included
    keras = losscli.loss("sequence_ce", Y, P, groups=G, sample_weight=MASK, convention="keras")
    assert keras == pytest.approx(3 * expected / 4, rel=1e-14)


def test_sequence_ce_sequences_by_hand():
    seq_a = -(math.log(0.7) + math.log(0.8)) / 2
    seq_b = -math.log(0.5)
    got = losscli.loss("sequence_ce", Y, P, groups=G, sample_weight=MASK, average="sequences")
    assert got == pytest.approx((seq_a + seq_b) / 2, rel=1e-14)
    none = losscli.loss("sequence_ce", Y, P, groups=G, sample_weight=MASK, reduction="none")
    np.testing.assert_allclose(none, [seq_a, seq_b], rtol=1e-14)


def test_sequence_ce_label_smoothing_and_class_weights_by_hand():
    # one token, K = 3, ls = 0.3, class weights (1, 2, 3), target 1:
    # l = 0.7·2·(−log .8) + 0.1·(−log .1 − 2 log .8 − 3 log .1); mean divides by c[1] = 2
    p = np.array([[0.1, 0.8, 0.1]])
    cw = (1.0, 2.0, 3.0)
    got = losscli.loss("sequence_ce", [1], p, label_smoothing=0.3, class_weights=cw)
    lval = 0.7 * 2 * -math.log(0.8) + 0.1 * -(4 * math.log(0.1) + 2 * math.log(0.8))
    assert got == pytest.approx(lval / 2, rel=1e-14)


def test_sequence_ce_clips_probabilities():
    p = np.array([[1.0, 0.0], [0.0, 1.0]])
    got = losscli.loss("sequence_ce", [1, 1], p)
    assert got == pytest.approx(-(math.log(1e-7) + math.log(1 - 1e-7)) / 2, rel=1e-14)


def _torch_case(seed=0, n=60, k=7):
    rng = np.random.default_rng(seed)
    z = rng.normal(size=(n, k)) * 3
    y = rng.integers(0, k, n)
    mask = (rng.random(n) > 0.25).astype(float)
    groups = rng.integers(0, 5, n)
    class_weights = rng.random(k) + 0.2
    return z, y, mask, groups, class_weights


@pytest.mark.parametrize("label_smoothing", [0.0, 0.2])
@pytest.mark.parametrize("use_class_weights", [False, True])
def test_sequence_ce_agrees_with_torch(label_smoothing, use_class_weights):
    torch = pytest.importorskip("torch")
    z, y, mask, groups, cw = _torch_case()
    weight = torch.tensor(cw) if use_class_weights else None
    target = torch.tensor(np.where(mask > 0, y, -100))  # padding -> ignore_index
    params = dict(
        from_logits=True,
        label_smoothing=label_smoothing,
        class_weights=tuple(cw) if use_class_weights else None,
    )
    for reduction in ("mean", "sum"):
        ref = torch.nn.functional.cross_entropy(
            torch.tensor(z),
            target,
            weight=weight,
            ignore_index=-100,
            label_smoothing=label_smoothing,
            reduction=reduction,
        ).item()
        got = losscli.loss(
            "sequence_ce", y, z, groups=groups, sample_weight=mask, reduction=reduction, **params
        )
        assert got == pytest.approx(ref, rel=1e-9)
    # average="sequences": torch's per-token losses averaged within each sequence
    per_token = torch.nn.functional.cross_entropy(
        torch.tensor(z),
        target,
        weight=weight,
        ignore_index=-100,
        label_smoothing=label_smoothing,
        reduction="none",
    ).numpy()
    token_weight = (cw[y] if use_class_weights else np.ones_like(mask)) * mask
    per_seq = [
        per_token[groups == g].sum() / token_weight[groups == g].sum() for g in np.unique(groups)
    ]
    got = losscli.loss(
        "sequence_ce", y, z, groups=groups, sample_weight=mask, average="sequences", **params
    )
    assert got == pytest.approx(np.mean(per_seq), rel=1e-9)


def test_sequence_ce_probabilities_agree_with_torch_nll():
    torch = pytest.importorskip("torch")
    z, y, mask, groups, _ = _torch_case(seed=3)
    p = np.exp(z - z.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    ref = torch.nn.functional.nll_loss(
        torch.log(torch.tensor(p)), torch.tensor(np.where(mask > 0, y, -100)), ignore_index=-100
    ).item()
    got = losscli.loss("sequence_ce", y, p, groups=groups, sample_weight=mask, convention="torch")
    assert got == pytest.approx(ref, rel=1e-9)


@pytest.mark.parametrize("average", ["tokens", "sequences"])
def test_sequence_ce_chunked_equals_whole(average):
    z, y, mask, groups, _ = _torch_case(seed=5, n=120)
    whole = losscli.loss(
        "sequence_ce", y, z, groups=groups, sample_weight=mask, average=average, from_logits=True
    )
    states = [
        api.partial(
            "sequence_ce",
            y[s],
            z[s],
            groups=groups[s],
            sample_weight=mask[s],
            average=average,
            from_logits=True,
        )
        for s in (slice(0, 50), slice(50, 51), slice(51, 120))
    ]
    merged = api.finish("sequence_ce", api.merge(*states), average=average, from_logits=True)
    assert merged == pytest.approx(whole, rel=1e-12)


def test_sequence_ce_logits_of_1e4_are_finite_and_exact():
    z = np.array([[1e4, -1e4, 0.0], [-1e4, 1e4, 0.0]])
    assert losscli.loss("sequence_ce", [0, 0], z, from_logits=True) == pytest.approx(1e4)


def test_sequence_ce_errors():
    with pytest.raises(InputError, match=r"token ids must be integers in 0\.\.2"):
        losscli.loss("sequence_ce", [0, 3], P[:2])
    with pytest.raises(InputError, match="sums to"):
        losscli.loss("sequence_ce", [0, 1], P[:2] * 1.1)
    assert losscli.loss("sequence_ce", [0], [[0.7, 0.7]], renormalize=True) == pytest.approx(
        math.log(2)
    )
    with pytest.raises(InputError, match="from-logits"):
        losscli.loss("sequence_ce", [0, 1], P[:2] * 3)
    with pytest.raises(ParameterError, match="2 class weights given for 3 classes"):
        losscli.loss("sequence_ce", Y, P, class_weights=(1, 2))
    with pytest.raises(ParameterError):
        losscli.loss("sequence_ce", Y, P, average="batch")
    with pytest.raises(ShapeError):
        losscli.loss("sequence_ce", Y, P[:, 0])
    with pytest.raises(InputError, match="NaN"):
        losscli.loss("sequence_ce", Y, P, groups=[0.0, np.nan, 1.0, 1.0])
    # everything masked: 0, as the base reduction does for zero weights and a zero sum
    for average in ("tokens", "sequences"):
        assert losscli.loss("sequence_ce", Y, P, sample_weight=np.zeros(4), average=average) == 0


# --- ctc ----------------------------------------------------------------------------


def test_ctc_by_hand():
    # T = 2, K = 2 (blank 0), label [1]: paths 11, 01, 10
    p = np.array([[0.6, 0.4], [0.3, 0.7]])
    expected = -math.log(0.4 * 0.7 + 0.6 * 0.7 + 0.4 * 0.3)
    assert losscli.loss("ctc", [1, 0], p) == pytest.approx(expected, rel=1e-14)
    # T = 3, label [1, 1]: only the path 1 0 1
    p3 = np.array([[0.2, 0.8], [0.5, 0.5], [0.1, 0.9]])
    assert losscli.loss("ctc", [1, 1, 0], p3) == pytest.approx(
        -math.log(0.8 * 0.5 * 0.9), rel=1e-14
    )
    # empty label: all blanks
    assert losscli.loss("ctc", [0, 0, 0], p3) == pytest.approx(
        -math.log(0.2 * 0.5 * 0.1), rel=1e-14
    )


def test_ctc_two_interleaved_sequences_by_hand():
    p = np.array([[0.6, 0.4], [0.2, 0.8], [0.3, 0.7], [0.5, 0.5]])
    groups = np.array([1, 2, 1, 2])  # sequence 1: rows 0, 2; sequence 2: rows 1, 3
    seq1 = -math.log(0.4 * 0.7 + 0.6 * 0.7 + 0.4 * 0.3)
    seq2 = -math.log(0.2 * 0.5)  # empty label
    got = losscli.loss("ctc", [1, 0, 0, 0], p, groups=groups, reduction="none")
    np.testing.assert_allclose(got, [seq1, seq2], rtol=1e-14)
    assert losscli.loss("ctc", [1, 0, 0, 0], p, groups=groups) == pytest.approx(
        (seq1 + seq2) / 2, rel=1e-14
    )
    # the torch profile divides by the target length, at least 1
    assert losscli.loss("ctc", [1, 0, 0, 0], p, groups=groups, convention="torch") == (
        pytest.approx((seq1 / 1 + seq2 / 1) / 2, rel=1e-14)
    )


def _ctc_batch(seed=0, batch=6, steps=15, k=5, masked=False):
    rng = np.random.default_rng(seed)
    z = rng.normal(size=(batch, steps, k)) * 2
    lengths = rng.integers(0, 6, batch)
    lengths[0] = 5
    labels = [rng.integers(1, k, n) for n in lengths]
    labels[0] = np.array([2, 2, 3, 3, 2])  # repeats need blanks in between
    frames = rng.integers(11, steps + 1, batch) if masked else np.full(batch, steps)
    y_true = np.zeros((batch, steps))
    for i, lab in enumerate(labels):
        y_true[i, : len(lab)] = lab
    mask = (np.arange(steps)[None, :] < frames[:, None]).astype(float)
    return z, labels, lengths, frames, y_true, mask


@pytest.mark.parametrize("masked", [False, True])
def test_ctc_agrees_with_torch(masked):
    torch = pytest.importorskip("torch")
    z, labels, lengths, frames, y_true, mask = _ctc_batch(masked=masked)
    batch, steps, k = z.shape
    log_probs = torch.log_softmax(torch.tensor(z), dim=-1).permute(1, 0, 2)
    targets = torch.tensor(np.concatenate(labels).astype(np.int64))

    def ref(reduction):
        return torch.nn.functional.ctc_loss(
            log_probs,
            targets,
            torch.tensor(frames),
            torch.tensor(lengths),
            blank=0,
            reduction=reduction,
        ).numpy()

    groups = np.repeat(np.arange(batch), steps)
    kwargs = dict(
        groups=groups, from_logits=True, sample_weight=mask.reshape(-1) if masked else None
    )
    flat_t, flat_z = y_true.reshape(-1), z.reshape(-1, k)
    np.testing.assert_allclose(
        losscli.loss("ctc", flat_t, flat_z, reduction="none", **kwargs), ref("none"), rtol=1e-9
    )
    assert losscli.loss("ctc", flat_t, flat_z, reduction="sum", **kwargs) == pytest.approx(
        float(ref("sum")), rel=1e-9
    )
    assert losscli.loss("ctc", flat_t, flat_z, convention="torch", **kwargs) == pytest.approx(
        float(ref("mean")), rel=1e-9
    )
    # probabilities in, not logits: the same value
    probs = np.exp(log_probs.permute(1, 0, 2).numpy()).reshape(-1, k)
    kwargs["from_logits"] = False
    np.testing.assert_allclose(
        losscli.loss("ctc", flat_t, probs, reduction="none", **kwargs), ref("none"), rtol=1e-9
    )


def test_ctc_blank_index_other_than_zero():
    torch = pytest.importorskip("torch")
    z, labels, lengths, frames, y_true, _ = _ctc_batch(seed=2)
    batch, steps, k = z.shape
    blank = k - 1
    # relabel: blank k-1, symbols shift down by 1 (0..k-2), padding with the blank
    labels = [lab - 1 for lab in labels]
    y_true = np.full((batch, steps), float(blank))
    for i, lab in enumerate(labels):
        y_true[i, : len(lab)] = lab
    log_probs = torch.log_softmax(torch.tensor(z), dim=-1).permute(1, 0, 2)
    ref = torch.nn.functional.ctc_loss(
        log_probs,
        torch.tensor(np.concatenate(labels).astype(np.int64)),
        torch.tensor(frames),
        torch.tensor(lengths),
        blank=blank,
        reduction="none",
    ).numpy()
    got = losscli.loss(
        "ctc",
        y_true.reshape(-1),
        z.reshape(-1, k),
        groups=np.repeat(np.arange(batch), steps),
        from_logits=True,
        blank=blank,
        reduction="none",
    )
    np.testing.assert_allclose(got, ref, rtol=1e-9)


def test_ctc_keras_label_rule_keeps_an_interior_blank():
    # Keras takes the first count_nonzero entries: [1, 0, 2] -> label [1, 0]; losscli drops
    # every blank -> label [1, 2]
    p = np.array([[0.5, 0.3, 0.2], [0.4, 0.4, 0.2], [0.1, 0.2, 0.7]])
    t = [1, 0, 2]
    # label [1, 2]: paths over 3 frames: 1 1 2, 1 2 2, 1 0 2, 0 1 2, 1 2 0
    lab12 = 0.3 * 0.4 * 0.7 + 0.3 * 0.2 * 0.7 + 0.3 * 0.4 * 0.7 + 0.5 * 0.4 * 0.7 + 0.3 * 0.2 * 0.1
    assert losscli.loss("ctc", t, p) == pytest.approx(-math.log(lab12), rel=1e-14)
    # label [1, z] where the symbol z = 0 is read from the blank column: extended b 1 b z b;
    # the state paths over 3 frames are (0,1,3) (1,1,3) (1,2,3) (1,3,3) (1,3,4) (0 -> 2 is
    # not a move): .5·.4·.1 + 4 × .3·.4·.1 = 0.068
    got = losscli.loss("ctc", t, p, convention="keras")
    assert got == pytest.approx(-math.log(0.068), rel=1e-14)


def test_ctc_impossible_label():
    p = np.array([[0.5, 0.5], [0.5, 0.5]])
    with pytest.raises(InputError, match="cannot emit its label of length 2 in 2 frames"):
        losscli.loss("ctc", [1, 1], p)
    assert losscli.loss("ctc", [1, 1], p, zero_infinity=True) == 0.0


def test_ctc_chunks_must_hold_whole_sequences():
    z, _, _, _, y_true, _ = _ctc_batch(seed=4)
    batch, steps, k = z.shape
    groups = np.repeat(np.arange(batch), steps)
    t, zz = y_true.reshape(-1), z.reshape(-1, k)
    whole = losscli.loss("ctc", t, zz, groups=groups, from_logits=True)
    cut = 2 * steps  # at a sequence boundary
    states = [
        api.partial("ctc", t[s], zz[s], groups=groups[s], from_logits=True)
        for s in (slice(0, cut), slice(cut, None))
    ]
    assert api.finish("ctc", api.merge(*states)) == pytest.approx(whole, rel=1e-12)
    cut += 3  # inside a sequence
    states = [
        api.partial("ctc", t[s], zz[s], groups=groups[s], from_logits=True, zero_infinity=True)
        for s in (slice(0, cut), slice(cut, None))
    ]
    with pytest.raises(InputError, match="sequence 2 is split across chunks"):
        api.finish("ctc", api.merge(*states))


def test_ctc_errors():
    p = np.array([[0.6, 0.4], [0.3, 0.7]])
    with pytest.raises(InputError, match="0/1 frame mask"):
        losscli.loss("ctc", [1, 0], p, sample_weight=[0.5, 1.0])
    with pytest.raises(ParameterError, match="blank index 2"):
        losscli.loss("ctc", [1, 0], p, blank=2)
    with pytest.raises(InputError, match="token ids"):
        losscli.loss("ctc", [1, 2], p)
    with pytest.raises(InputError, match="from-logits"):
        losscli.loss("ctc", [1, 0], p * 3)
