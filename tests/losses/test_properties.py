"""Properties every loss in the registry must have, checked with hypothesis.

Parametrized over ``losscli.registry.all_specs()`` (and each task form of a
multi-form loss such as ``focal``), so a loss is covered as soon as its family
module registers it. Inputs are generated per ``spec.target`` kind:

- values: real (n,) or (n, k); non-negative for losses defined only there (msle, poisson);
- binary: 0/1 labels (n,) and probabilities (n,) (scores for linear-output hinge losses);
- labels: integer class ids (n,) and probability rows (n, K);
- distribution: one-hot rows (n, K) and probability rows (n, K);
- mask: 0/1 pixels (n,), probabilities (n,), image ids as ``groups``;
- boxes: (n, 4) xyxy boxes with x2 > x1, y2 > y1;
- tokens: integer token ids (n,), probability rows (n, K), sequence ids as ``groups``.

Properties (all under the default ``losscli`` profile):

1. non-negative, except the losses in ``MAY_BE_NEGATIVE``;
2. zero (to a stated tolerance) when the predictions are perfect, for the losses in
   ``ZERO_AT_PERFECT``; every loss must be in exactly one of that table and
   ``NOT_ZERO_AT_PERFECT``, so a new loss cannot slip through unclassified;
3. chunked equals whole to 1e-12 relative: ``partial`` per chunk, ``merge``, ``finish``;
   grouped losses are cut both at a group boundary and inside a group;
4. invariance to a permutation of the rows;
5. integer sample weights equal repeating each row that many times.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import losscli
from losscli import api
from losscli.registry import LossSpec, all_specs

PROPERTY_SETTINGS = settings(
    max_examples=25,
    deadline=None,
    derandomize=True,  # the same examples on every run, so a failure reproduces
    suppress_health_check=[HealthCheck.too_slow],
)

RTOL = 1e-12  # SPEC §2/issue 2: chunked equals whole to 1e-12 relative

#: Losses whose value can be below zero, and why.
MAY_BE_NEGATIVE: dict[str, str] = {
    "poisson": "the log(y!) term is dropped (Keras, PyTorch), so ŷ - y·log ŷ can be < 0",
}

#: Losses that are zero at perfect predictions, with the absolute tolerance: 0 for exact
#: zeros; 1e-6 where probabilities are clipped to [1e-7, 1 - 1e-7], so a perfect
#: prediction costs about -log(1 - 1e-7) ≈ 1e-7.
ZERO_AT_PERFECT: dict[str, float] = {
    "mse": 0.0,
    "mae": 0.0,
    "rmse": 0.0,
    "huber": 0.0,
    "smooth_l1": 0.0,
    "log_cosh": 0.0,
    "mape": 0.0,
    "msle": 0.0,
    "pinball": 0.0,
    "bce": 1e-6,
    "focal": 1e-6,
    "hinge": 0.0,
    "squared_hinge": 0.0,
    "cce": 1e-6,
    "sparse_cce": 1e-6,
    "categorical_hinge": 0.0,
    "kl_divergence": 1e-6,
    "brier": 1e-12,
    "dice": 1e-12,
    "jaccard": 1e-12,
    "tversky": 1e-12,
    "iou": 1e-12,
    "giou": 1e-12,
    "sequence_ce": 1e-6,
}

#: Losses that are not zero at a perfect prediction, and why.
NOT_ZERO_AT_PERFECT: dict[str, str] = {
    "poisson": "the minimum of ŷ - y·log ŷ at ŷ = y is y - y·log y, not 0",
    "ctc": "a perfect frame-level prediction still sums over alignments; no zero by design",
}

#: Target layouts the generators cannot produce yet, with the reason. A loss is skipped
#: only when it is listed here, and the skip message says why. Empty: all are covered.
PENDING_LAYOUTS: dict[str, str] = {}

#: Losses whose rows are time steps in order within each group: a chunk may not split a
#: group, and only whole groups may be permuted.
ROW_ORDER_MATTERS: dict[str, str] = {
    "ctc": "a sequence is one likelihood over its frames in time order",
}

#: Losses whose sample_weight is a 0/1 mask rather than a weight.
WEIGHT_IS_A_MASK: dict[str, str] = {
    "ctc": "sample_weight is a 0/1 frame mask (PyTorch's input_lengths), not a weight",
}

#: Losses defined only for non-negative values.
NON_NEGATIVE_DOMAIN = {"msle", "poisson"}


@dataclass
class Case:
    """Generated inputs for one loss: arrays, optional groups, and a perfect prediction."""

    y_true: np.ndarray
    y_pred: np.ndarray
    groups: np.ndarray | None
    perfect: np.ndarray

    @property
    def n(self) -> int:
        return self.y_true.shape[0]

    def take(self, rows: np.ndarray) -> Case:
        return Case(
            self.y_true[rows],
            self.y_pred[rows],
            None if self.groups is None else self.groups[rows],
            self.perfect[rows],
        )


def _probability_rows(rng: np.random.Generator, n: int, k: int) -> np.ndarray:
    rows = rng.dirichlet(np.ones(k), size=n)
    return rows / rows.sum(axis=1, keepdims=True)


def _one_hot(labels: np.ndarray, k: int) -> np.ndarray:
    return np.eye(k)[labels]


def _contiguous_groups(rng: np.random.Generator, n: int) -> np.ndarray:
    """Sorted ids 0..g-1 in runs, so cuts can fall between or inside groups."""
    g = int(rng.integers(1, min(4, n) + 1))
    cuts = np.sort(rng.choice(np.arange(1, n), size=g - 1, replace=False)) if g > 1 else []
    ids = np.zeros(n, dtype=np.int64)
    for c in cuts:
        ids[c:] += 1
    return ids


def values_case(spec: LossSpec, rng: np.random.Generator, n: int) -> Case:
    k = int(rng.integers(1, 4))
    shape = (n,) if k == 1 else (n, k)
    if spec.name in NON_NEGATIVE_DOMAIN:
        y_true = rng.gamma(2.0, 2.0, size=shape) * (rng.random(shape) < 0.9)  # some zeros
        y_pred = rng.gamma(2.0, 2.0, size=shape)
    else:
        y_true = rng.normal(0.0, 5.0, size=shape)
        y_pred = y_true + rng.standard_t(2, size=shape)
    return Case(y_true, y_pred, None, y_true.copy())


def binary_case(spec: LossSpec, rng: np.random.Generator, n: int) -> Case:
    y_true = rng.integers(0, 2, size=n).astype(float)
    if spec.activation == "linear":  # margin losses take scores; ±1 meets the margin
        return Case(y_true, rng.normal(0.0, 2.0, size=n), None, 2.0 * y_true - 1.0)
    return Case(y_true, rng.uniform(0.0, 1.0, size=n), None, y_true.copy())


def labels_case(spec: LossSpec, rng: np.random.Generator, n: int) -> Case:
    k = int(rng.integers(2, 6))
    labels = rng.integers(0, k, size=n)
    return Case(labels, _probability_rows(rng, n, k), None, _one_hot(labels, k))


def distribution_case(spec: LossSpec, rng: np.random.Generator, n: int) -> Case:
    k = int(rng.integers(2, 6))
    one_hot = _one_hot(rng.integers(0, k, size=n), k)
    return Case(one_hot, _probability_rows(rng, n, k), None, one_hot.copy())


def mask_case(spec: LossSpec, rng: np.random.Generator, n: int) -> Case:
    y_true = rng.integers(0, 2, size=n).astype(float)
    y_pred = rng.uniform(0.0, 1.0, size=n)
    return Case(y_true, y_pred, _contiguous_groups(rng, n), y_true.copy())


def boxes_case(spec: LossSpec, rng: np.random.Generator, n: int) -> Case:
    def boxes() -> np.ndarray:
        corner = rng.uniform(0.0, 50.0, size=(n, 2))
        size = rng.uniform(0.5, 30.0, size=(n, 2))
        return np.hstack([corner, corner + size])

    y_true = boxes()
    y_pred = np.where(rng.random((n, 1)) < 0.7, y_true + rng.normal(0, 3, (n, 4)), boxes())
    # keep x2 > x1 and y2 > y1 after the jitter
    y_pred[:, 2:] = np.maximum(y_pred[:, 2:], y_pred[:, :2] + 0.1)
    return Case(y_true, y_pred, None, y_true.copy())


def tokens_case(spec: LossSpec, rng: np.random.Generator, n: int) -> Case:
    k = int(rng.integers(2, 7))
    tokens = rng.integers(0, k, size=n)
    return Case(
        tokens, _probability_rows(rng, n, k), _contiguous_groups(rng, n), _one_hot(tokens, k)
    )


def ctc_case(spec: LossSpec, rng: np.random.Generator, n: int) -> Case:
    """Frames as rows; each sequence's y_true column holds its label (ids 1..K-1) padded
    with the blank 0. A label of L <= T/2 symbols always fits in T frames, even with
    repeats (which need a blank between them)."""
    k = int(rng.integers(2, 6))
    groups = _contiguous_groups(rng, n)
    y_true = np.zeros(n, dtype=np.int64)
    for g in np.unique(groups):
        rows = np.flatnonzero(groups == g)
        length = int(rng.integers(0, rows.size // 2 + 1))
        y_true[rows[:length]] = rng.integers(1, k, size=length)
    y_pred = _probability_rows(rng, n, k)
    return Case(y_true, y_pred, groups, y_pred.copy())


#: Generators for one loss whose layout differs from its target kind's usual one.
NAMED_GENERATORS: dict[str, Callable[[LossSpec, np.random.Generator, int], Case]] = {
    "ctc": ctc_case,
}

GENERATORS: dict[str, Callable[[LossSpec, np.random.Generator, int], Case]] = {
    "values": values_case,
    "binary": binary_case,
    "labels": labels_case,
    "distribution": distribution_case,
    "mask": mask_case,
    "boxes": boxes_case,
    "tokens": tokens_case,
}


def _entries() -> list[tuple[str, str | None, LossSpec]]:
    """(name, task, spec) for every loss and every task form of a multi-form loss."""
    entries = []
    for spec in all_specs():
        entries.append((spec.name, None, spec))
        for task, form in spec.forms.items():
            entries.append((spec.name, task, form))
    return entries


ENTRIES = _entries()
IDS = [name if task is None else f"{name}[{task}]" for name, task, _ in ENTRIES]


def _generator(name: str, spec: LossSpec) -> Callable[..., Case]:
    if name in PENDING_LAYOUTS:
        pytest.skip(f"{name}: {PENDING_LAYOUTS[name]}")
    if name in NAMED_GENERATORS:
        return NAMED_GENERATORS[name]
    assert spec.target in GENERATORS, f"{name}: no generator for target kind {spec.target!r}"
    return GENERATORS[spec.target]


def _loss(name: str, task: str | None, case: Case, **kwargs: Any) -> Any:
    return losscli.loss(name, case.y_true, case.y_pred, groups=case.groups, task=task, **kwargs)


seeds = st.integers(min_value=0, max_value=2**32 - 1)
sizes = st.integers(min_value=4, max_value=40)


def _close(got: float, expected: float, scale: float = 1.0) -> bool:
    return abs(got - expected) <= RTOL * abs(expected) + 1e-14 * scale


def test_every_target_kind_has_a_generator() -> None:
    from losscli.registry import TARGET_KINDS

    assert set(GENERATORS) == set(TARGET_KINDS)


def test_every_loss_is_classified_for_the_zero_property() -> None:
    names = {spec.name for spec in all_specs()}
    unclassified = names - set(ZERO_AT_PERFECT) - set(NOT_ZERO_AT_PERFECT)
    assert not unclassified, f"add these to ZERO_AT_PERFECT or NOT_ZERO_AT_PERFECT: {unclassified}"
    assert not set(ZERO_AT_PERFECT) & set(NOT_ZERO_AT_PERFECT)


@pytest.mark.parametrize(("name", "task", "spec"), ENTRIES, ids=IDS)
@PROPERTY_SETTINGS
@given(seed=seeds, n=sizes)
def test_non_negative(name: str, task: str | None, spec: LossSpec, seed: int, n: int) -> None:
    if name in MAY_BE_NEGATIVE:
        pytest.skip(f"{name}: {MAY_BE_NEGATIVE[name]}")
    case = _generator(name, spec)(spec, np.random.default_rng(seed), n)
    assert _loss(name, task, case) >= -1e-12
    values = np.asarray(_loss(name, task, case, reduction="none"))
    assert (values >= -1e-12).all()


@pytest.mark.parametrize(("name", "task", "spec"), ENTRIES, ids=IDS)
@PROPERTY_SETTINGS
@given(seed=seeds, n=sizes)
def test_zero_at_perfect_predictions(
    name: str, task: str | None, spec: LossSpec, seed: int, n: int
) -> None:
    if name in NOT_ZERO_AT_PERFECT:
        pytest.skip(f"{name}: {NOT_ZERO_AT_PERFECT[name]}")
    case = _generator(name, spec)(spec, np.random.default_rng(seed), n)
    perfect = Case(case.y_true, case.perfect, case.groups, case.perfect)
    value = _loss(name, task, perfect)
    assert abs(value) <= ZERO_AT_PERFECT[name], f"{name} at perfect predictions: {value!r}"


def _chunks(rng: np.random.Generator, case: Case, spec: LossSpec) -> list[list[np.ndarray]]:
    """Ways to cut the rows into 2-3 contiguous chunks: random cuts, and for grouped
    losses one cut exactly at a group boundary and one strictly inside a group."""
    n = case.n
    ways = []
    if spec.name in ROW_ORDER_MATTERS:  # whole groups per chunk only
        boundaries = np.flatnonzero(np.diff(case.groups) != 0) + 1
        m = min(int(rng.integers(2, 4)) - 1, boundaries.size)
        cuts = np.sort(rng.choice(boundaries, size=m, replace=False))
        return [np.split(np.arange(n), cuts)]
    m = int(rng.integers(2, 4))
    cuts = np.sort(rng.choice(np.arange(1, n), size=m - 1, replace=False))
    ways.append(np.split(np.arange(n), cuts))
    if case.groups is not None:
        boundaries = np.flatnonzero(np.diff(case.groups) != 0) + 1
        if boundaries.size:
            ways.append(np.split(np.arange(n), [int(rng.choice(boundaries))]))
        inside = [i for i in range(1, n) if case.groups[i] == case.groups[i - 1]]
        if inside:
            ways.append(np.split(np.arange(n), [int(rng.choice(inside))]))
    return ways


@pytest.mark.parametrize(("name", "task", "spec"), ENTRIES, ids=IDS)
@PROPERTY_SETTINGS
@given(seed=seeds, n=sizes, weighted=st.booleans())
def test_chunked_equals_whole(
    name: str, task: str | None, spec: LossSpec, seed: int, n: int, weighted: bool
) -> None:
    rng = np.random.default_rng(seed)
    case = _generator(name, spec)(spec, rng, n)
    weights = rng.uniform(0.1, 3.0, size=n) if weighted and name not in WEIGHT_IS_A_MASK else None
    whole = _loss(name, task, case, sample_weight=weights)
    for way in _chunks(rng, case, spec):
        states = [
            api.partial(
                name,
                case.y_true[rows],
                case.y_pred[rows],
                sample_weight=None if weights is None else weights[rows],
                groups=None if case.groups is None else case.groups[rows],
                task=task,
            )
            for rows in way
        ]
        merged = api.finish(name, api.merge(*states), task=task)
        assert _close(merged, whole, scale=abs(whole) + 1.0), (
            f"{name}: chunks {[len(r) for r in way]} give {merged!r}, whole {whole!r}"
        )


@pytest.mark.parametrize(("name", "task", "spec"), ENTRIES, ids=IDS)
@PROPERTY_SETTINGS
@given(seed=seeds, n=sizes, from_logits=st.booleans())
def test_inputs_are_never_written(
    name: str, task: str | None, spec: LossSpec, seed: int, n: int, from_logits: bool
) -> None:
    """The streaming engine hands a loss views of the reader's arrays (the head it planned
    from is the first chunk): a loss that wrote into its inputs would change later sums.
    Read-only arrays make any in-place write raise."""
    from losscli.losses.base import finite_checked

    case = _generator(name, spec)(spec, np.random.default_rng(seed), n)
    frozen = Case(*(None if a is None else a.copy() for a in vars(case).values()))
    for array in (frozen.y_true, frozen.y_pred, frozen.groups):
        if array is not None:
            array.flags.writeable = False
    takes_logits = any(p.name == "from_logits" for p in spec.params)
    logits = {"from_logits": True} if from_logits and takes_logits else {}
    with finite_checked():
        for reduction in ("mean", "none"):
            _loss(name, task, frozen, reduction=reduction, **logits)
    np.testing.assert_array_equal(frozen.y_true, case.y_true)
    np.testing.assert_array_equal(frozen.y_pred, case.y_pred)


@pytest.mark.parametrize(("name", "task", "spec"), ENTRIES, ids=IDS)
@PROPERTY_SETTINGS
@given(seed=seeds, n=sizes)
def test_permutation_invariance(
    name: str, task: str | None, spec: LossSpec, seed: int, n: int
) -> None:
    rng = np.random.default_rng(seed)
    case = _generator(name, spec)(spec, rng, n)
    weights = None if name in WEIGHT_IS_A_MASK else rng.uniform(0.1, 3.0, size=n)
    if name in ROW_ORDER_MATTERS:  # move whole groups, keep the order inside each
        rank = rng.permutation(int(case.groups.max()) + 1)
        order = np.argsort(rank[case.groups], kind="stable")
    else:
        order = rng.permutation(n)
    shuffled = case.take(order)
    before = _loss(name, task, case, sample_weight=weights)
    after = _loss(name, task, shuffled, sample_weight=None if weights is None else weights[order])
    assert _close(after, before, scale=abs(before) + 1.0)
    if not spec.grouped:
        per_sample = np.asarray(_loss(name, task, case, reduction="none"))
        per_sample_shuffled = np.asarray(_loss(name, task, shuffled, reduction="none"))
        np.testing.assert_allclose(per_sample_shuffled, per_sample[order], rtol=RTOL, atol=0)


@pytest.mark.parametrize(("name", "task", "spec"), ENTRIES, ids=IDS)
@PROPERTY_SETTINGS
@given(seed=seeds, n=sizes)
def test_integer_weights_equal_repeated_rows(
    name: str, task: str | None, spec: LossSpec, seed: int, n: int
) -> None:
    if name in WEIGHT_IS_A_MASK:
        pytest.skip(f"{name}: {WEIGHT_IS_A_MASK[name]}")
    rng = np.random.default_rng(seed)
    case = _generator(name, spec)(spec, rng, n)
    # A zero weight drops a row; for grouped losses a group whose rows all have weight 0
    # still exists in the weighted data but not in the repeated data, so they get >= 1.
    low = 1 if spec.grouped else 0
    weights = rng.integers(low, 4, size=n)
    weights[rng.integers(0, n)] = max(1, weights.max())  # at least one row survives
    repeated = case.take(np.repeat(np.arange(n), weights))
    weighted = _loss(name, task, case, sample_weight=weights.astype(float))
    unweighted = _loss(name, task, repeated)
    assert _close(weighted, unweighted, scale=abs(unweighted) + 1.0), (
        f"{name}: weighted {weighted!r} vs repeated rows {unweighted!r}"
    )
    if not spec.grouped and spec.transform is None:
        weighted_sum = _loss(name, task, case, sample_weight=weights.astype(float), reduction="sum")
        repeated_sum = _loss(name, task, repeated, reduction="sum")
        assert _close(weighted_sum, repeated_sum, scale=abs(repeated_sum) + 1.0)


FROM_LOGITS = [(n, t, s) for n, t, s in ENTRIES if any(p.name == "from_logits" for p in s.params)]


@pytest.mark.parametrize(
    ("name", "task", "spec"),
    FROM_LOGITS,
    ids=[n if t is None else f"{n}[{t}]" for n, t, _ in FROM_LOGITS],
)
@PROPERTY_SETTINGS
@given(seed=seeds, n=sizes)
def test_huge_logits_give_finite_values(
    name: str, task: str | None, spec: LossSpec, seed: int, n: int
) -> None:
    rng = np.random.default_rng(seed)
    case = _generator(name, spec)(spec, rng, n)
    # Logits of ±1e4 (SPEC §2): the stable forms must stay finite.
    logits = np.where(rng.random(case.y_pred.shape) < 0.5, -1e4, 1e4)
    value = losscli.loss(name, case.y_true, logits, groups=case.groups, task=task, from_logits=True)
    assert np.isfinite(value) and value >= -1e-12
