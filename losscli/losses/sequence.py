"""Sequence losses: token cross-entropy with a padding mask, and CTC.

Layout (SPEC §3, long format): one row per token (time step). ``y_true`` (n,)
holds integer token ids in 0..K-1, ``y_pred`` (n, K) the per-token class
probabilities (or logits / log-probabilities with ``from_logits``), ``groups``
(n,) the sequence id of each row (rows of a sequence in time order; sequences
may interleave) and the optional ``sample_weight`` (n,) per-token weights, the
padding mask (0 for padding).

``sequence_ce`` is a sum of per-token terms, so its state is additive sums (per
sequence when ``average="sequences"``); chunks may split a sequence. ``ctc`` is a
likelihood of a whole label sequence, so every sequence must lie within one
chunk; its state keeps one negative log-likelihood per sequence and merging two
states that both hold the same sequence is reported as an error.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from losscli.conventions import LOSSCLI, Convention
from losscli.errors import InputError, ParameterError, ShapeError
from losscli.losses.base import (
    State,
    as_float_array,
    check_probabilities,
    clip_probabilities,
    log_softmax,
)
from losscli.losses.segmentation import check_ids, group_index, sorted_keys
from losscli.registry import LossSpec, Param

AVERAGES = ("tokens", "sequences")

#: Row sums of probabilities may differ from 1 by this much before it is an
#: error (SPEC §2, the same tolerance as cce/sparse_cce).
ROW_SUM_TOLERANCE = 1e-6

#: Budget (number of float64 cells, 160 MB) for one block of sequences in the
#: vectorised CTC forward pass: (sequences × time steps × extended label length).
CTC_BLOCK_CELLS = 20_000_000


def _token_arrays(y_true: Any, y_pred: Any) -> tuple[np.ndarray, np.ndarray]:
    """Token ids (n,) as integers and predictions (n, K) as float64."""
    t = as_float_array(y_true, "y_true")
    p = as_float_array(y_pred, "y_pred")
    if t.ndim == 2 and t.shape[1] == 1:
        t = t[:, 0]
    if p.ndim != 2:
        raise ShapeError(f"y_pred must be (n, K) per-token class scores, got shape {p.shape}")
    if t.ndim != 1 or t.shape[0] != p.shape[0]:
        raise ShapeError(f"y_true has shape {t.shape} but y_pred has shape {p.shape}")
    if t.shape[0] == 0:
        raise ShapeError("no tokens")
    check_ids(t, p.shape[1], "token")
    return t.astype(np.intp), p


def _option(convention: Convention, loss: str, key: str, default: Any = None) -> Any:
    return convention.option(loss, key, LOSSCLI.option(loss, key, default))


# --- sequence cross-entropy -------------------------------------------------------------


def token_log_probabilities(
    y_pred: np.ndarray,
    *,
    from_logits: bool,
    epsilon: float,
    renormalize: bool,
) -> np.ndarray:
    """log p per token and class: log-softmax of logits, or log of clipped probabilities."""
    if from_logits:
        return log_softmax(y_pred)
    check_probabilities(y_pred, "y_pred")
    sums = y_pred.sum(axis=1)
    if renormalize:
        if (sums <= 0).any():
            raise InputError(f"y_pred row {int(np.argmax(sums <= 0))} sums to 0")
        y_pred = y_pred / sums[:, None]
    else:
        off = np.abs(sums - 1.0) > ROW_SUM_TOLERANCE
        if off.any():
            row = int(np.argmax(off))
            raise InputError(
                f"y_pred row {row} sums to {sums[row]:.9g}, not 1; are these logits? "
                "(or rescale the rows with renormalize)",
                hint="--from-logits or --renormalize",
                row=row,
                argument="y_pred",
            )
    with np.errstate(divide="ignore"):  # epsilon 0 (torch profile): log 0 = -inf, as torch
        return np.log(clip_probabilities(y_pred, epsilon))


def token_cross_entropy(
    y_true: Any,
    y_pred: Any,
    *,
    from_logits: bool = False,
    label_smoothing: float = 0.0,
    epsilon: float = LOSSCLI.epsilon,
    renormalize: bool = False,
    class_weights: tuple[float, ...] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Per-token cross-entropy and the per-token denominator weight.

    With class weights c (default all 1), label smoothing ε and K classes,

        l_i = (1 − ε)·c[y_i]·(−log p[i, y_i]) + (ε/K)·Σ_k c[k]·(−log p[i, k])

    and token i counts c[y_i] in the denominator of a mean (PyTorch's
    ``cross_entropy(weight=, label_smoothing=)``).

    Returns:
        ``(l, c[y])``, both (n,) float64.
    """
    t, p = _token_arrays(y_true, y_pred)
    k = p.shape[1]
    logp = token_log_probabilities(
        p, from_logits=from_logits, epsilon=epsilon, renormalize=renormalize
    )
    if class_weights is None:
        class_weight = np.ones(k)
    else:
        class_weight = np.asarray(class_weights, dtype=np.float64)
        if class_weight.shape != (k,):
            raise ParameterError(
                f"sequence_ce: {class_weight.size} class weights given for {k} classes"
            )
        if (class_weight < 0).any():
            raise ParameterError("sequence_ce: class weights must be >= 0")
    picked = -np.take_along_axis(logp, t[:, None], axis=1)[:, 0]
    token_weight = class_weight[t]
    loss = (1.0 - label_smoothing) * token_weight * picked
    if label_smoothing > 0:
        # -Σ_k c_k log p_k; 0·(-inf) where a class weight is 0 counts as 0
        with np.errstate(invalid="ignore"):
            spread = -np.where(class_weight > 0, class_weight * logp, 0.0).sum(axis=1)
        loss = loss + (label_smoothing / k) * spread
    return loss, token_weight


def sequence_ce_partial(
    y_true: Any,
    y_pred: Any,
    *,
    weights: np.ndarray | None,
    groups: Any,
    convention: Convention,
    average: str = "tokens",
    from_logits: bool = False,
    label_smoothing: float = 0.0,
    epsilon: float | None = None,
    renormalize: bool | None = None,
    class_weights: tuple[float, ...] | None = None,
) -> State:
    """Mergeable state of ``sequence_ce``: Σ s·l, Σ s·c[y] and n, in total and per sequence.

    ``s`` is the per-token sample weight (padding mask), ``c`` the class weights.
    """
    eps = convention.epsilon if epsilon is None else epsilon
    if renormalize is None:
        renormalize = bool(_option(convention, "sequence_ce", "renormalize", False))
    loss, token_weight = token_cross_entropy(
        y_true,
        y_pred,
        from_logits=from_logits,
        label_smoothing=label_smoothing,
        epsilon=eps,
        renormalize=renormalize,
        class_weights=class_weights,
    )
    n = loss.shape[0]
    s = np.ones(n) if weights is None else weights
    # padding tokens (s = 0) contribute exactly 0, even when their loss is inf
    with np.errstate(invalid="ignore"):
        weighted = np.where(s > 0, s * loss, 0.0)
    denominator = s * token_weight
    state: State = {
        "sum": float(weighted.sum()),
        "weight": float(denominator.sum()),
        "count": float(n),
    }
    if groups is not None:
        ids, inverse = group_index(groups, n)
        g = len(ids)
        sums = np.bincount(inverse, weights=weighted, minlength=g)
        dens = np.bincount(inverse, weights=denominator, minlength=g)
        counts = np.bincount(inverse, minlength=g)
        state["groups"] = {
            gid: {"sum": float(sums[i]), "weight": float(dens[i]), "count": float(counts[i])}
            for i, gid in enumerate(ids)
        }
    return state


def _ratio(total: float, denominator: float, what: str) -> float:
    if denominator == 0:
        if total == 0:
            return 0.0
        raise InputError(f"the token weights of {what} sum to zero")
    return total / denominator


def sequence_ce_finish(
    state: State,
    *,
    reduction: str,
    convention: Convention,
    average: str = "tokens",
    **params: Any,
) -> float | np.ndarray:
    """Token cross-entropy of sequences with a padding mask.

    ``average="tokens"`` (default): Σ s·l / Σ s·c[y] over every token of every
    sequence (averaged across timesteps and batch, as Keras' and PyTorch's
    sequence losses with a mask / ``ignore_index``; the keras profile divides by
    the number of tokens instead, Keras' ``sum_over_batch_size``).
    ``average="sequences"``: the same mean within each sequence, then the plain
    mean over sequences (sequences whose weights are all 0 are left out).
    ``reduction="sum"``: Σ s·l (tokens) or the sum of the per-sequence means;
    ``"none"``: the per-sequence means in sorted sequence-id order.

    References:
        Sutskever, Vinyals & Le, "Sequence to Sequence Learning with Neural
        Networks", NeurIPS 2014; ``torch.nn.functional.cross_entropy``
        (``ignore_index``, ``weight``, ``label_smoothing``); Szegedy et al. 2016
        (label smoothing).
    """
    if reduction == "none" or average == "sequences":
        table = state.get("groups")
        if table is None:  # no groups: the whole input is one sequence
            table = {None: state}
        keys = [g for g in sorted_keys(table) if table[g]["weight"] > 0 or table[g]["sum"] != 0]
        per_sequence = np.array(
            [_ratio(table[g]["sum"], table[g]["weight"], f"sequence {g!r}") for g in keys]
        )
        if reduction == "none":
            return per_sequence
        if reduction == "sum":
            return float(per_sequence.sum())
        if per_sequence.size == 0:  # every sequence fully masked: 0, as finish_mean does
            return 0.0
        return float(per_sequence.mean())
    if reduction == "sum":
        return float(state["sum"])
    denominator = state["count"] if convention.weighted_mean == "elements" else state["weight"]
    return _ratio(state["sum"], denominator, "the input")


# --- CTC ------------------------------------------------------------------------------


def ctc_negative_log_likelihood(
    log_probs: list[np.ndarray], labels: list[np.ndarray], *, blank: int
) -> np.ndarray:
    """−log p(label | x) of each sequence by the CTC forward algorithm, in log space.

    The label l (length L) is extended with blanks to l' = (b, l1, b, l2, …, lL, b)
    (length S = 2L + 1). With y_t(k) = log p_t(k),

        α_0(0) = y_0(b),  α_0(1) = y_0(l'_1),
        α_t(s) = logsumexp(α_{t−1}(s), α_{t−1}(s−1), [α_{t−1}(s−2)]) + y_t(l'_s),

    where the s−2 term is allowed at label positions whose symbol differs from the
    previous label's; log p(l | x) = logsumexp(α_{T−1}(S−1), α_{T−1}(S−2)).
    Sequences are processed together (sorted by length, in blocks), vectorised over
    sequences and extended positions; the loop runs over time steps only.

    Args:
        log_probs: per sequence, a (T, K) array of log-probabilities.
        labels: per sequence, the (L,) integer label (blank allowed only where a
            profile's label rule puts it).
        blank: the blank class index.

    Returns:
        (B,) array; ``inf`` where the label cannot be emitted in T steps.

    References:
        Graves, Fernández, Gomez & Schmidhuber, "Connectionist Temporal
        Classification", ICML 2006, §4.1.
    """
    count = len(log_probs)
    out = np.empty(count)
    steps = np.array([lp.shape[0] for lp in log_probs], dtype=np.intp)
    order = np.argsort(steps, kind="stable")
    start = 0
    while start < count:
        # grow the block while the padded (B, T, S) array stays within budget
        stop = start + 1
        max_s = 2 * len(labels[order[start]]) + 1
        while stop < count:
            s_next = max(max_s, 2 * len(labels[order[stop]]) + 1)
            if (stop + 1 - start) * max(1, steps[order[stop]]) * s_next > CTC_BLOCK_CELLS:
                break
            max_s = s_next
            stop += 1
        block = order[start:stop]
        out[block] = _ctc_block([log_probs[i] for i in block], [labels[i] for i in block], blank)
        start = stop
    return out


def _ctc_block(log_probs: list[np.ndarray], labels: list[np.ndarray], blank: int) -> np.ndarray:
    b = len(log_probs)
    k = log_probs[0].shape[1]
    steps = np.array([lp.shape[0] for lp in log_probs], dtype=np.intp)
    ext_len = np.array([2 * len(lab) + 1 for lab in labels], dtype=np.intp)
    t_max = int(steps.max())
    s_max = int(ext_len.max())
    if t_max == 0:  # no frames at all: only the empty label has probability 1
        return np.where(ext_len == 1, 0.0, np.inf)
    padded = np.zeros((b, t_max, k))
    ext = np.full((b, s_max), blank, dtype=np.intp)
    for i, (lp, lab) in enumerate(zip(log_probs, labels, strict=True)):
        padded[i, : lp.shape[0]] = lp
        ext[i, 1 : 2 * len(lab) + 1 : 2] = lab
    positions = np.arange(s_max)
    inside = positions[None, :] < ext_len[:, None]
    # the s-2 jump: into a label position (odd s >= 3) whose symbol differs from the
    # previous label's (positions, not values, say what is a blank: the keras profile
    # may put the blank symbol inside a label)
    skip = np.zeros((b, s_max), dtype=bool)
    skip[:, 3::2] = ext[:, 3::2] != ext[:, 1:-2:2]
    emit = np.take_along_axis(padded, np.broadcast_to(ext[:, None, :], (b, t_max, s_max)), axis=2)
    emit = np.where(inside[:, None, :], emit, -np.inf)
    alpha = np.full((b, s_max), -np.inf)
    alpha[:, 0] = emit[:, 0, 0]
    if s_max > 1:
        alpha[:, 1] = emit[:, 0, 1]
    no_path = np.full((b, 1), -np.inf)
    for t in range(1, t_max):
        one_back = np.concatenate([no_path, alpha[:, :-1]], axis=1)
        two_back = np.concatenate([no_path, no_path, alpha[:, :-2]], axis=1)[:, :s_max]
        two_back = np.where(skip, two_back, -np.inf)
        new = np.logaddexp(np.logaddexp(alpha, one_back), two_back) + emit[:, t, :]
        alpha = np.where((t < steps)[:, None], new, alpha)  # finished sequences keep α
    rows = np.arange(b)
    last = alpha[rows, ext_len - 1]
    before = np.where(ext_len > 1, alpha[rows, np.maximum(ext_len - 2, 0)], -np.inf)
    log_likelihood = np.logaddexp(last, before)
    log_likelihood = np.where(steps == 0, np.where(ext_len == 1, 0.0, -np.inf), log_likelihood)
    return -log_likelihood


def _ctc_label(targets: np.ndarray, blank: int, rule: str) -> np.ndarray:
    """The label of one sequence from its y_true column (padded with the blank)."""
    if rule == "first_count_nonzero":
        # Keras: label_length = count of non-blank entries; the first that many are the
        # label, so a blank inside the label is emitted as an ordinary symbol
        return targets[: int(np.count_nonzero(targets != blank))]
    return targets[targets != blank]


def ctc_partial(
    y_true: Any,
    y_pred: Any,
    *,
    weights: np.ndarray | None,
    groups: Any,
    convention: Convention,
    blank: int = 0,
    from_logits: bool = False,
    zero_infinity: bool = False,
) -> State:
    """Mergeable state of ``ctc``: one negative log-likelihood per sequence.

    ``{"groups": {seq_id: {"loss": −log p, "target_length": L, "sequences": 1}}}``.
    ``sample_weight`` is a 0/1 frame mask: frames with weight 0 are dropped
    (PyTorch's ``input_lengths``); the label is read from all rows.
    """
    t, p = _token_arrays(y_true, y_pred)
    n, k = p.shape
    if blank >= k:
        raise ParameterError(f"ctc: blank index {blank} but y_pred has only {k} classes")
    if from_logits:
        logp = log_softmax(p)  # log-probabilities pass through unchanged
    else:
        check_probabilities(p, "y_pred")
        with np.errstate(divide="ignore"):
            logp = np.log(p)  # no clip: a zero probability is an impossible path
    keep = np.ones(n, dtype=bool)
    if weights is not None:
        bad = (weights != 0) & (weights != 1)
        if bad.any():
            row = int(np.argmax(bad))
            raise InputError(
                f"ctc: sample_weight is a 0/1 frame mask, got {weights[row]:g} at row {row}",
                row=row,
                argument="sample_weight",
            )
        keep = weights == 1
    ids, inverse = group_index(groups, n)
    order = np.argsort(inverse, kind="stable")  # rows of each sequence, in time order
    bounds = np.concatenate([[0], np.cumsum(np.bincount(inverse, minlength=len(ids)))])
    rule = _option(convention, "ctc", "labels", "nonblank")
    log_probs, labels = [], []
    for i in range(len(ids)):
        rows = order[bounds[i] : bounds[i + 1]]
        labels.append(_ctc_label(t[rows], blank, rule))
        log_probs.append(logp[rows[keep[rows]]])
    nll = ctc_negative_log_likelihood(log_probs, labels, blank=blank)
    impossible = ~np.isfinite(nll)
    if impossible.any():
        if not zero_infinity:
            i = int(np.argmax(impossible))
            raise InputError(
                f"ctc: sequence {ids[i]!r} cannot emit its label of length {len(labels[i])} "
                f"in {len(log_probs[i])} frames (probability 0)",
                hint="ctc:zero_infinity=true scores such sequences 0, as PyTorch's option",
            )
        nll = np.where(impossible, 0.0, nll)
    return {
        "groups": {
            gid: {"loss": float(nll[i]), "target_length": float(len(labels[i])), "sequences": 1.0}
            for i, gid in enumerate(ids)
        }
    }


def ctc_finish(
    state: State,
    *,
    reduction: str,
    convention: Convention,
    **params: Any,
) -> float | np.ndarray:
    """CTC loss: −log p(label | x) per sequence, then the mean over sequences.

    ``reduction="mean"`` averages over sequences (Keras ``sum_over_batch_size``);
    the torch profile first divides each sequence's loss by its target length
    (at least 1), as ``torch.nn.CTCLoss(reduction="mean")``. ``"sum"`` adds the
    per-sequence losses, ``"none"`` returns them in sorted sequence-id order.

    References:
        Graves et al., ICML 2006; ``torch.nn.functional.ctc_loss``; ``keras.losses.CTC``.
    """
    table = state["groups"]
    keys = sorted_keys(table)
    split = [g for g in keys if table[g]["sequences"] != 1]
    if split:
        raise InputError(
            f"ctc: sequence {split[0]!r} is split across chunks; CTC needs each sequence's "
            "rows in one chunk",
            hint="sort the file by sequence id",
        )
    losses = np.array([table[g]["loss"] for g in keys])
    if reduction == "none":
        return losses
    if reduction == "sum":
        return float(losses.sum())
    if _option(convention, "ctc", "mean", "per_sequence") == "per_target_length":
        lengths = np.array([table[g]["target_length"] for g in keys])
        losses = losses / np.maximum(lengths, 1.0)
    return float(losses.mean())


# --- the catalogue entries ------------------------------------------------------------

#: What the two share: per-token softmax scores, one group per sequence.
_TOKEN_LOSS: dict[str, Any] = dict(
    tasks=("sequence",), activation="softmax", target="tokens", grouped=True
)

SPECS: tuple[LossSpec, ...] = (
    LossSpec(
        name="sequence_ce",
        aliases=("seq_ce", "token_ce", "sequence_cross_entropy", "sequence_loss"),
        **_TOKEN_LOSS,
        formula="Σ_tokens w·(−log p[y]) / Σ_tokens w over all sequences (average=tokens), or "
        "that mean per sequence then the mean over sequences (average=sequences)",
        latex=r"\frac{\sum_{s}\sum_{t} w_{st}\,(-\log p_{st}[y_{st}])}{\sum_s\sum_t w_{st}}",
        when="Sequence models that predict one token per step (language models, taggers, "
        "seq2seq decoders): the per-token cross-entropy with padding masked out.",
        pros=(
            "the maximum-likelihood objective; exp of it is the perplexity",
            "the padding mask keeps padded positions from counting",
        ),
        cons=(
            "token averaging lets long sequences dominate; sequence averaging favours short ones",
            "needs aligned targets (one label per step); use CTC when alignment is unknown",
        ),
        reference="Sutskever et al., NeurIPS 2014; torch.nn.functional.cross_entropy "
        "(ignore_index, weight, label_smoothing)",
        params=(
            Param(
                "average",
                "tokens",
                "tokens: one mean over every token; sequences: mean per sequence, then over "
                "sequences",
                type=str,
                choices=AVERAGES,
            ),
            Param("from_logits", False, "predictions are logits (log-softmax applied)", type=bool),
            Param(
                "label_smoothing",
                0.0,
                "targets move towards uniform: (1-ls)·onehot + ls/K",
                low=0.0,
                high=1.0,
                high_inclusive=False,
            ),
            Param(
                "epsilon",
                None,
                "probabilities are clipped to [epsilon, 1-epsilon]; default: the convention's",
                low=0.0,
                high=0.5,
                high_inclusive=False,
                unset=lambda convention, loss: convention.epsilon,
            ),
            Param(
                "renormalize",
                None,
                "rescale probability rows to sum 1 (default: the convention's; keras does)",
                type=bool,
                unset=lambda convention, loss: bool(
                    _option(convention, loss, "renormalize", False)
                ),
            ),
            Param(
                "class_weights",
                None,
                "one non-negative weight per class (K values, ';'-separated); means divide by "
                "the summed class weights of the tokens, as PyTorch",
                type=tuple,
            ),
        ),
        partial=sequence_ce_partial,
        finish=sequence_ce_finish,
    ),
    LossSpec(
        name="ctc",
        aliases=("ctc_loss", "connectionist_temporal_classification"),
        **_TOKEN_LOSS,
        formula="−log Σ_{paths π collapsing to the label} Π_t p_t(π_t), per sequence, "
        "then the mean over sequences",
        latex=r"-\log \sum_{\pi \in \mathcal{B}^{-1}(l)} \prod_{t=1}^{T} p_t(\pi_t)",
        when="Sequence labelling without a frame-level alignment (speech and handwriting "
        "recognition): the label is shorter than the input and where each symbol sits is "
        "unknown.",
        pros=(
            "needs no alignment between input frames and label symbols",
            "exact likelihood over all alignments by dynamic programming",
        ),
        cons=(
            "assumes outputs are independent across time given the input",
            "the label must fit in the frames (L plus repeats <= T), else the loss is infinite",
        ),
        reference="Graves et al., Connectionist Temporal Classification, ICML 2006",
        params=(
            Param("blank", 0, "index of the blank class (also the label padding)", type=int, low=0),
            Param(
                "from_logits",
                False,
                "predictions are logits or log-probabilities (log-softmax applied)",
                type=bool,
            ),
            Param(
                "zero_infinity",
                False,
                "score sequences whose label cannot be emitted 0 instead of failing",
                type=bool,
            ),
        ),
        partial=ctc_partial,
        finish=ctc_finish,
    ),
)
