"""Keras' own test vectors for dice, tversky and ctc (tests/data/peer_vectors.json).

Keras computes these on 2-D (batch, features) or 4-D (batch, H, W, C) tensors. In
losscli's long format every element is a row and the batch index is the group
(image or sequence) id. ``axis=None`` (the Keras default) pools the whole batch:
``pooling="global"``, the keras profile's default; ``axis=(1, 2, 3)`` scores each
image: ``pooling="per_image"``. The keras profile supplies the rest of the small
print (no smoothing, 1e-7 added to the denominator, no range check).
"""

from __future__ import annotations

import numpy as np
import pytest

import losscli
from tests.conftest import peer_close, peer_vectors

OVERLAP_CASES = peer_vectors("dice", "tversky")
CTC_CASES = peer_vectors("ctc")


def test_the_cases_are_there():
    # no silent skips: the file holds 3 dice, 6 tversky and 1 ctc case
    assert len([c for c in OVERLAP_CASES if c["loss"] == "dice"]) == 3
    assert len([c for c in OVERLAP_CASES if c["loss"] == "tversky"]) == 6
    assert len(CTC_CASES) == 1


@pytest.mark.parametrize("case", OVERLAP_CASES, ids=lambda c: c["id"])
def test_overlap_peer_vector(case):
    y_true = np.asarray(case["y_true"], dtype=float)
    y_pred = np.asarray(case["y_pred"], dtype=float)
    batch = y_true.shape[0]
    groups = np.repeat(np.arange(batch), y_true[0].size)  # batch index -> image id
    params = {k: v for k, v in case["params"].items() if k != "axis"}
    axis = case["params"]["axis"]
    if axis is None:
        pooling = None  # the keras profile's default: the whole batch
    else:
        assert tuple(axis) == tuple(range(1, y_true.ndim))  # every non-batch axis
        pooling = "per_image"
    reduction = {"none": "none", "sum_over_batch_size": "mean"}[case["reduction"]]
    got = losscli.loss(
        case["loss"],
        y_true.reshape(-1),
        y_pred.reshape(-1),
        groups=groups,
        convention="keras",
        reduction=reduction,
        pooling=pooling,
        **params,
    )
    assert peer_close(got, case), (got, case["expected"])
    # in float64 we reproduce the exact formula: agree with the float64 recomputation
    np.testing.assert_allclose(got, case["recomputed_float64"], rtol=1e-12)


@pytest.mark.parametrize("case", CTC_CASES, ids=lambda c: c["id"])
def test_ctc_peer_vector(case):
    # keras.losses.CTC: y_pred (batch, T, K) logits (log-softmax applied inside), y_true
    # (batch, T) labels padded with 0; in long format one row per time step, the batch
    # index as the sequence id. The keras profile reads the first count_nonzero entries
    # as the label and averages over sequences.
    y_true = np.asarray(case["y_true"], dtype=float)
    y_pred = np.asarray(case["y_pred"], dtype=float)
    batch, steps, k = y_pred.shape
    assert y_true.shape == (batch, steps)
    assert case["params"] == {"blank_index": 0}
    assert case["reduction"] == "sum_over_batch_size"
    got = losscli.loss(
        "ctc",
        y_true.reshape(-1),
        y_pred.reshape(-1, k),
        groups=np.repeat(np.arange(batch), steps),
        convention="keras",
        from_logits=True,
        blank=0,
    )
    assert peer_close(got, case), (got, case["expected"])
    np.testing.assert_allclose(got, case["recomputed_float64"], rtol=1e-12)
