"""Loss requests -> values, through the mergeable states of :mod:`losscli.api`.

``compute`` (one chunk), the streaming engine (many chunks) and ``compare`` all run
the same three steps:

1. :func:`resolve_requests` turns ``-l NAME:k=v`` options (or ``--all``) into
   :class:`LossRequest` objects for the task, with the global flags applied
   (``--from-logits``), each labelled as it will be reported (``huber:delta=2.5``).
2. :func:`partial_states` evaluates every request on one :class:`~losscli.layout.Layout`
   into one nested state (totals, per output, per ``--group-by`` slice); states of
   chunks merge by addition (:func:`losscli.api.merge`).
3. :func:`finish_states` turns a (merged) state into an :class:`Evaluation`.

:func:`evaluate` is ``finish_states(partial_states(layout))``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from losscli import api, registry
from losscli.conventions import Convention, get_convention
from losscli.distinct import sorted_distinct
from losscli.errors import InputError, LossCliError, ParameterError
from losscli.layout import Layout, factorize
from losscli.losses.base import finite_checked, probabilities_checked
from losscli.registry import LossSpec

#: Losses ``--all`` leaves out, and why (they need a layout compute does not build).
NOT_IN_ALL: dict[str, str] = {
    "ctc": "it needs frame-level predictions and a label sequence shorter than its frames; "
    "ask for it with -l ctc",
}


@dataclass(frozen=True)
class LossRequest:
    """One loss to compute: the task form of its spec, resolved parameters, its label."""

    spec: LossSpec
    params: dict[str, Any]
    label: str
    text: str = ""
    from_all: bool = False  # asked for by --all (left out, not an error, when it cannot run)

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def takes_probabilities(self) -> bool:
        """Whether the predictions must be probabilities for this request."""
        if self.spec.target == "boxes" or self.spec.activation == "linear":
            return False
        return not bool(self.params.get("from_logits", False))


@dataclass
class LossResult:
    """A loss value with its label, parameters and the state it was finished from."""

    label: str
    name: str
    params: dict[str, Any]
    value: float
    state: Any = field(repr=False, default=None)
    per_output: dict[str, float] | None = None


@dataclass
class Evaluation:
    """Every requested loss on the whole input, and per ``--group-by`` slice."""

    n_samples: int
    results: list[LossResult]
    slices: dict[str, list[LossResult]] = field(default_factory=dict)
    slice_sizes: dict[str, int] = field(default_factory=dict)

    def values(self) -> dict[str, float]:
        """Loss label -> value (for ``--fail-if`` checks)."""
        return {result.label: result.value for result in self.results}


# --------------------------------------------------------------------------- requests


def parse_request(
    text: str,
    task: str,
    *,
    from_logits: bool = False,
    pooled: bool = False,
    pixel_task: str | None = None,
    strict: bool = True,
) -> LossRequest | None:
    """``"huber:delta=2.5"`` -> a request for ``task`` (None if ``strict`` is False and the
    loss cannot take the global flags).

    ``pixel_task`` (``LayoutPlan.pixel_task``: ``binary`` for a 0/1 mask, ``multiclass``
    for class ids) lets a segmentation also take that task's per-pixel losses (``bce``,
    ``focal``, ``sparse_cce`` …), averaged over pixels.

    Raises:
        ParameterError: unknown loss (nearest names suggested), a bad parameter, or a loss
            that does not apply to ``task``.
    """
    spec, given = registry.parse_loss_option(text)
    return _request(
        spec,
        given,
        task,
        text=text,
        from_logits=from_logits,
        pooled=pooled,
        pixel_task=pixel_task,
        strict=strict,
    )


def _request(
    spec: LossSpec,
    given: dict[str, Any],
    task: str,
    *,
    text: str,
    from_logits: bool,
    pooled: bool = False,
    pixel_task: str | None = None,
    strict: bool,
) -> LossRequest | None:
    if task in spec.tasks:
        form = spec.for_task(task)
    elif pixel_task is not None and pixel_task in spec.tasks:
        form = spec.for_task(pixel_task)  # a per-pixel loss of a segmentation mask
    else:
        fitting = ", ".join(s.name for s in registry.specs_for_task(task))
        per_pixel = f" (and per pixel those of {pixel_task})" if pixel_task else ""
        raise ParameterError(
            f"loss {spec.name!r} does not apply to a {task} task (it is for "
            f"{', '.join(spec.tasks)}); losses for {task}: {fitting or 'none'}{per_pixel}",
            # e.g. boxes inferred as regression, a 0/1 target of a regression model
            hint=f"if the data is a {spec.tasks[0]} task, say so with --task {spec.tasks[0]}",
        )
    known = {p.name for p in form.params}
    given = dict(given)
    asked = set(given)  # the -l NAME:k=v parameters: only these appear in the label
    if from_logits and "from_logits" not in given:
        if "from_logits" in known:
            given["from_logits"] = True
        elif form.activation != "linear":
            if strict:
                raise ParameterError(
                    f"{form.name} takes probabilities and has no from-logits form; "
                    "drop --from-logits or apply the sigmoid/softmax first"
                )
            return None
    if pooled and "pooling" in known and "pooling" not in given:
        given["pooling"] = "global"  # --global: one ratio over all pixels
    params = form.resolve_params(given)
    label = request_label(form, params, asked)
    return LossRequest(spec=form, params=params, label=label, text=text or form.name)


def request_label(spec: LossSpec, params: dict[str, Any], asked: set[str]) -> str:
    """The key a request is reported under: ``huber:delta=2.5``.

    Only the parameters the user set with ``-l NAME:k=v`` that differ from the defaults;
    never the global flags (``--from-logits``, ``--renormalize``, ``--global``,
    ``--box-format``), so that the JSON keys and ``--fail-if 'bce>1'`` do not change with
    them. Booleans print lowercase (``true``), as they are typed.
    """
    shown = {name: value for name, value in params.items() if name in asked}
    label = registry.loss_label(spec.name, shown, spec)
    return label.replace("=True", "=true").replace("=False", "=false")


def resolve_requests(
    options: Sequence[str],
    task: str,
    *,
    all_losses: bool = False,
    from_logits: bool = False,
    pooled: bool = False,
    pixel_task: str | None = None,
    default: str | None = None,
    also: Sequence[str] = (),
) -> tuple[list[LossRequest], list[str]]:
    """The requests of ``-l`` options and ``--all``, without duplicate labels.

    ``default`` is computed when neither ``-l`` nor ``--all`` nor ``also`` (the losses
    ``--fail-if`` names) asks for anything; ``also`` is added after the others.

    Returns:
        (requests, warnings): warnings say which losses ``--all`` left out and why.
    """
    requests: list[LossRequest] = []
    warnings: list[str] = []
    if all_losses:
        for spec in registry.specs_for_task(task):
            if spec.name in NOT_IN_ALL:
                warnings.append(f"--all leaves out {spec.name}: {NOT_IN_ALL[spec.name]}")
                continue
            request = _request(
                spec,
                {},
                task,
                text=spec.name,
                from_logits=from_logits,
                pooled=pooled,
                strict=False,
            )
            if request is None:
                warnings.append(f"--all leaves out {spec.name}: it takes probabilities, not logits")
                continue
            requests.append(replace(request, from_all=True))
    if not options and not all_losses and not also and default is not None:
        options = [default]
    named: dict[str, str] = {}  # label -> the first -l text that asked for it
    for index, text in enumerate([*options, *also]):
        request = parse_request(
            text, task, from_logits=from_logits, pooled=pooled, pixel_task=pixel_task
        )
        assert request is not None  # strict requests raise instead
        requests.append(request)
        if index >= len(options):
            continue  # a loss --fail-if names is computed with the -l losses, not again
        if request.label in named:
            # -l logistic -l log_loss -l bce: aliases of one loss, one row, and say so
            warnings.append(
                f"-l {text} is the same loss as -l {named[request.label]} "
                f"({request.label}); it is computed once"
            )
        else:
            named[request.label] = text
    unique: dict[str, LossRequest] = {}
    for request in requests:
        unique.setdefault(request.label, request)
    if not unique:
        raise ParameterError(
            f"no loss to compute for the {task} task; name one with -l/--loss or use --all"
        )
    return list(unique.values()), warnings


def drop_unfit(
    requests: Sequence[LossRequest],
    layout: Layout,
    *,
    convention: str | Convention = "losscli",
) -> tuple[list[LossRequest], list[str]]:
    """Leave out the ``--all`` requests this layout cannot feed, with a warning each:
    hard labels from soft-label targets, and data outside the loss's domain (msle and
    poisson with negative targets, mape with zero targets under a convention that does
    not floor the denominator …), found by evaluating the loss on the layout (the head
    of the input when streaming). Explicit ``-l`` requests stay (and fail with the
    file, line and column). ``mape`` on zero targets is kept with a warning.
    """
    conv = get_convention(convention)
    kept, warnings = [], []
    for request in requests:
        if request.from_all and not layout.can_give(request.spec.target):
            warnings.append(
                f"--all leaves out {request.label}: it needs hard class labels and the "
                "targets are soft"
            )
            continue
        if request.from_all:
            try:
                _partial(layout, request, conv, _check_domain(layout, request, conv))
            except InputError as error:
                located = locate_error(error, layout)
                warnings.append(f"--all leaves out {request.label}: {located.one_line()}")
                continue
        if request.name == "mape":
            warnings.extend(_zero_target_warning(layout, request))
        kept.append(request)
    return kept, warnings


def _zero_target_warning(layout: Layout, request: LossRequest) -> list[str]:
    """MAPE divides by |y|: a zero target gives a huge term (the floor 1e-7) or an error."""
    targets = layout.target_as(request.spec.target)
    zero = np.asarray(targets) == 0
    if not zero.any():
        return []
    row = int(np.flatnonzero(zero.reshape(zero.shape[0], -1).any(axis=1))[0])
    file, line, column = layout.locate("y_true", row)
    where = f"{file}: line {line}" if line is not None else file
    named = f", column {column!r}" if column is not None else ""
    return [
        f"{request.label}: {int(zero.sum())} target(s) are 0 (first at {where}{named}); "
        "the percentage error divides by a floor of 1e-7 there, so it dominates the mean"
    ]


def locate_error(error: LossCliError, layout: Layout) -> LossCliError:
    """A loss's InputError with the file, line and column of its array row and argument
    (SPEC §6 ``file: line N: column 'c': message``); errors already naming a file stay."""
    if error.file is not None:
        return error
    argument = error.argument
    if argument is None and error.row is None:
        return error
    file, line, column = layout.locate(argument, error.row, error.output)
    if argument == "sample_weight" and error.row is None and "sum to zero" in error.message:
        weight = layout.plan.roles.weight
        if weight is not None:
            message = error.message.replace(
                "the sample weights sum to zero",
                f"the weights in column {weight.name!r} of {file} sum to zero",
            )
            return type(error)(message, hint=error.hint)
    return error.located(file=file, line=line, column=column)


#: The selection guide's first choice per task (SPEC §2/§5).
DEFAULT_LOSS = {
    "regression": "mse",
    "binary": "bce",
    "multiclass": "cce",  # sparse_cce for label targets (see default_loss)
    "multilabel": "bce",
    "segmentation": "dice",
    "detection": "iou",
    "sequence": "sequence_ce",
}


def default_loss(task: str, target_form: str = "") -> str:
    """The loss computed when neither ``-l`` nor ``--all`` is given: the guide's first
    choice for the task (sparse CCE for label targets, CCE for one-hot)."""
    if task == "multiclass" and target_form == "labels":
        return "sparse_cce"
    return DEFAULT_LOSS[task]


# --------------------------------------------------------------------------- evaluation


def _checked_domain(layout: Layout, request: LossRequest, convention: Convention) -> bool | None:
    """:func:`_check_domain`; its error names the request it was checked for
    (``error.request``), so ``compute --all`` can leave that loss out when a later chunk
    of a streamed input is outside its domain, as the in-memory path does."""
    try:
        return _check_domain(layout, request, convention)
    except InputError as error:
        error.request = request.label
        raise


def _check_domain(layout: Layout, request: LossRequest, convention: Convention) -> bool | None:
    """Probabilities must lie in [0, 1] and softmax rows sum to 1, with the file, line and
    column named (the losses themselves only know row numbers).

    Returns:
        None when the request takes no probabilities, else whether the rows were checked
        to sum to 1 as well.
    """
    if not request.takes_probabilities:
        return None
    rescaled = layout.plan.options.renormalize or bool(
        convention.option(request.name, "renormalize", False)
    )
    rows_sum_to_one = (
        request.spec.activation == "softmax" and layout.y_pred.ndim == 2 and not rescaled
    )
    layout.check_probabilities(rows_sum_to_one=rows_sum_to_one)
    return rows_sum_to_one


def _inputs(layout: Layout, request: LossRequest) -> dict[str, Any]:
    spec = request.spec
    return {
        "y_true": layout.target_as(spec.target),
        "y_pred": layout.y_pred,
        "sample_weight": layout.sample_weight,
        "groups": layout.groups if spec.grouped else None,
    }


def _partial(
    layout: Layout,
    request: LossRequest,
    convention: Convention,
    rows_checked: bool | None = None,
) -> Any:
    """The request's state on the layout; ``rows_checked`` is what :func:`_check_domain`
    returned for this layout (None: not checked), so the loss does not check it again."""
    checked = (
        contextlib.nullcontext()
        if rows_checked is None
        else probabilities_checked(rows_sum_to_one=rows_checked)
    )
    try:
        # The layout's arrays passed Table.numeric's finite check (file, line, column):
        # the losses skip their second NaN/inf scan of every chunk. errstate: an overflow
        # (1e308² in mse) is reported once, as a non-finite value (_finite), never as
        # NumPy's RuntimeWarning with a source line.
        with finite_checked(), checked, np.errstate(all="ignore"):
            return api.partial(
                request.spec,
                **_inputs(layout, request),
                convention=convention,
                task=layout.task,
                **request.params,
            )
    except InputError as error:
        raise locate_error(error, layout) from None


def partial_states(
    layout: Layout,
    requests: Sequence[LossRequest],
    *,
    convention: str | Convention = "losscli",
    per_output: bool = False,
    by_slice: bool = False,
) -> dict[str, Any]:
    """The mergeable state of every request on one chunk.

    The result is one nested dict of sums: ``{"n": rows, "losses": {label: state},
    "outputs": {label: {j: state}}, "slices": {value: {"n": rows, "losses": {…}}}}``;
    the states of two chunks merge with :func:`losscli.api.merge`.
    """
    conv = get_convention(convention)
    checked = [_checked_domain(layout, request, conv) for request in requests]
    state: dict[str, Any] = {
        "n": layout.n_samples,
        "losses": {
            r.label: _partial(layout, r, conv, rows)
            for r, rows in zip(requests, checked, strict=True)
        },
    }
    # --per-output: each regression output, or each label of a multi-label task.
    if (
        per_output
        and layout.y_true.ndim == 2
        and layout.plan.target_form in ("values", "indicators")
    ):
        state["outputs"] = {
            r.label: {
                str(j): _partial(layout.output(j), r, conv) for j in range(layout.y_true.shape[1])
            }
            for r in requests
        }
    if by_slice and layout.slices is not None:
        slices: dict[str, Any] = {}
        codes, keys = factorize(layout.slices)
        # One stable sort, then contiguous runs: each slice's rows without a pass per slice.
        order = np.argsort(codes, kind="stable")
        bounds = np.concatenate([[0], np.cumsum(np.bincount(codes, minlength=len(keys)))])
        for index in sorted(range(len(keys)), key=lambda i: _natural(str(keys[i]))):
            part = layout.subset(order[bounds[index] : bounds[index + 1]])
            slices[str(keys[index])] = {
                "n": part.n_samples,
                "losses": {r.label: _partial(part, r, conv) for r in requests},
            }
        state["slices"] = slices
    return state


def _natural(key: str) -> tuple[int, float, str]:
    try:
        return (0, float(key), key)
    except ValueError:
        return (1, 0.0, key)


def _finish(
    request: LossRequest, state: Any, convention: Convention, task: str, where: str = ""
) -> float:
    with np.errstate(all="ignore"):
        value = float(
            api.finish(request.spec, state, convention=convention, task=task, **request.params)
        )
    return _finite(request, value, where)


def _finite(request: LossRequest, value: float, where: str = "") -> float:
    """``value`` when finite; else an error (exit 2), never ``inf`` or ``nan`` in a report.

    Inputs are finite (Table.numeric checks them), so a non-finite loss means the terms or
    their sum left float64's range (mse of values near 1e308), or an unclipped log of 0
    (a convention without a probability clip). An error rather than a warning: ``inf``
    is not a JSON number, and ``--fail-if 'mse>1'`` must not pass on ``nan``.
    """
    if np.isfinite(value):
        return value
    if request.spec.activation == "linear":
        why, hint = "its terms or their sum exceed float64's range (1.8e308)", "rescale the data"
    else:
        why = "it takes the log of a probability of exactly 0 or its terms overflow float64"
        hint = "use a convention that clips probabilities (--convention losscli)"
    raise InputError(
        f"{request.label}: the value{where} is {value}, not a number: {why}", hint=hint
    )


def finish_states(
    state: dict[str, Any],
    requests: Sequence[LossRequest],
    *,
    convention: str | Convention = "losscli",
    task: str,
    output_names: Sequence[str] = (),
) -> Evaluation:
    """The loss values from a (merged) state of :func:`partial_states`."""
    conv = get_convention(convention)
    results = []
    for request in requests:
        result = LossResult(
            label=request.label,
            name=request.name,
            # the values used: epsilon 1e-7, not null (the convention decided it)
            params=request.spec.effective_params(request.params, conv),
            value=_finish(request, state["losses"][request.label], conv, task),
            state=state["losses"][request.label],
        )
        outputs = state.get("outputs", {}).get(request.label)
        if outputs:
            names = list(output_names) or [str(j) for j in range(len(outputs))]
            result.per_output = {
                names[int(j)]: _finish(request, s, conv, task, f" (output {names[int(j)]!r})")
                for j, s in outputs.items()
            }
        results.append(result)
    evaluation = Evaluation(n_samples=int(state["n"]), results=results)
    for key in sorted(state.get("slices", {}), key=_natural):
        part = state["slices"][key]
        evaluation.slice_sizes[key] = int(part["n"])
        evaluation.slices[key] = [
            LossResult(
                label=r.label,
                name=r.name,
                params=r.spec.effective_params(r.params, conv),
                value=_slice_value(r, part["losses"][r.label], conv, task, key),
                state=part["losses"][r.label],
            )
            for r in requests
        ]
    return evaluation


def _slice_value(
    request: LossRequest, state: Any, convention: Convention, task: str, key: str
) -> float:
    try:
        return _finish(request, state, convention, task)
    except InputError as error:  # e.g. every weight of the slice is zero
        raise InputError(
            f"--group-by slice {key!r}: {error.message}",
            hint=error.hint,
            argument=error.argument,
        ) from None


def evaluate(
    layout: Layout,
    requests: Sequence[LossRequest],
    *,
    convention: str | Convention = "losscli",
    per_output: bool = False,
    by_slice: bool = False,
) -> Evaluation:
    """Every request on ``layout`` (the in-memory path: one chunk)."""
    state = partial_states(
        layout, requests, convention=convention, per_output=per_output, by_slice=by_slice
    )
    return finish_states(
        state,
        requests,
        convention=convention,
        task=layout.task,
        output_names=layout.plan.target_columns,
    )


# --------------------------------------------------------------------------- per sample


@dataclass
class PerSampleValues:
    """One loss's values per sample (or per image/sequence for grouped losses)."""

    label: str
    values: np.ndarray
    unit: str  # "sample" or "group"
    keys: np.ndarray  # row indices (unit sample) or group ids (unit group)


def per_sample_values(
    layout: Layout, requests: Sequence[LossRequest], *, convention: str | Convention = "losscli"
) -> list[PerSampleValues]:
    """``--per-sample``: each loss's term for every sample, times its weight (grouped
    losses such as Dice give one value per image or sequence)."""
    conv = get_convention(convention)
    out = []
    for request in requests:
        _check_domain(layout, request, conv)
        inputs = _inputs(layout, request)
        try:
            with np.errstate(all="ignore"):  # an overflowed term is written as inf
                terms = api.per_sample(
                    request.spec, **inputs, convention=conv, task=layout.task, **request.params
                )
        except InputError as error:
            raise locate_error(error, layout) from None
        values = np.asarray(terms, dtype=np.float64).reshape(-1)
        if values.shape[0] == layout.n_samples and not (
            request.spec.grouped and inputs["groups"] is not None
        ):
            out.append(PerSampleValues(request.label, values, "sample", layout.rows))
        else:
            groups = inputs["groups"]
            keys = sorted_distinct(groups.astype(str)) if groups is not None else np.array(["all"])
            if keys.shape[0] != values.shape[0]:
                keys = np.arange(values.shape[0]).astype(str)
            out.append(PerSampleValues(request.label, values, "group", keys))
    return out
