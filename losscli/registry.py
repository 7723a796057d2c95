"""The loss catalogue: one entry per loss, the one source every command reads.

Each family module (``losscli.losses.regression`` …) declares its
:class:`LossSpec` entries in a module-level ``SPECS`` tuple; this module
collects them, resolves aliases and validates parameters.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from losscli.errors import ParameterError

TASKS = (
    "regression",
    "binary",
    "multiclass",
    "multilabel",
    "segmentation",
    "detection",
    "sequence",
)
ACTIVATIONS = ("linear", "sigmoid", "softmax")

#: What a loss expects as ``y_true``: decides how the CLI lays out the columns.
TARGET_KINDS = (
    "values",  # real numbers, (n,) or (n, k)
    "binary",  # 0/1 (or -1/+1 for hinge losses), (n,) or (n, k) for multilabel
    "labels",  # integer class indices, (n,)
    "distribution",  # one-hot or soft labels, (n, K)
    "mask",  # per-pixel 0/1 (or soft) targets, (n,) with groups = image ids
    "boxes",  # (n, 4) boxes
    "tokens",  # integer token ids, (n,) with groups = sequence ids
)


@dataclass(frozen=True)
class Param:
    """A loss parameter: its default, type and valid range."""

    name: str
    default: Any
    help: str
    type: type = float
    low: float | None = None
    high: float | None = None
    low_inclusive: bool = True
    high_inclusive: bool = True
    choices: tuple[Any, ...] | None = None
    #: For a ``None`` default that the convention decides (``epsilon``, ``smooth``):
    #: ``unset(convention, loss_name)`` -> the value the loss uses, given by the same
    #: function the loss resolves it with. Reports show that value, not ``null``.
    unset: Callable[[Any, str], Any] | None = field(default=None, compare=False, repr=False)

    def range_text(self) -> str:
        """The valid range as text, e.g. ``(0, 1)`` or ``>= 0``."""
        if self.choices is not None:
            return " | ".join(map(str, self.choices))
        if self.low is not None and self.high is not None:
            left = "[" if self.low_inclusive else "("
            right = "]" if self.high_inclusive else ")"
            return f"{left}{self.low:g}, {self.high:g}{right}"
        if self.low is not None:
            return (">= " if self.low_inclusive else "> ") + f"{self.low:g}"
        if self.high is not None:
            return ("<= " if self.high_inclusive else "< ") + f"{self.high:g}"
        return "any"

    def coerce(self, loss: str, value: Any) -> Any:
        """``value`` converted to this parameter's type and checked against its range."""
        if value is None:
            return None
        try:
            value = _convert(self.type, value)
        except (TypeError, ValueError):
            wanted = _TYPE_WORDS.get(self.type, self.type.__name__)
            raise ParameterError(
                f"{loss}: parameter {self.name!r} must be {wanted}, got {value!r}"
            ) from None
        if self.choices is not None and value not in self.choices:
            raise ParameterError(
                f"{loss}: parameter {self.name!r} must be one of {self.range_text()}, got {value!r}"
            )
        numbers = value if self.type is NumberOrList and isinstance(value, tuple) else (value,)
        if self.type in (int, float, NumberOrList) and not all(
            _in_range(self, float(number)) for number in numbers
        ):
            where = self.range_text()
            where = where if where[0] in "<>" else f"in {where}"
            raise ParameterError(f"{loss}: parameter {self.name!r} must be {where}, got {value!r}")
        return value


class NumberOrList:
    """A parameter type: one number, or one number per label (``1;2;0.5`` on the command
    line, a sequence in Python). One number stays a float; several become a tuple."""


_TYPE_WORDS = {
    float: "a finite number",
    int: "a whole number",
    bool: "true or false",
    tuple: "a list of numbers such as 1;2;0.5",
    NumberOrList: "a number, or one number per label such as 1;2;0.5",
    str: "text",
}


def _convert(kind: type, value: Any) -> Any:
    if kind is bool:
        if isinstance(value, str):
            lowered = value.strip().lower()
            if lowered in ("1", "true", "yes", "on"):
                return True
            if lowered in ("0", "false", "no", "off"):
                return False
            raise ValueError(value)
        return bool(value)
    if kind is float:
        number = float(value)
        if not math.isfinite(number):
            raise ValueError(value)
        return number
    if kind is int:
        if isinstance(value, float) and not value.is_integer():
            raise ValueError(value)
        return int(value)
    if kind is tuple:  # a list of floats: "1;2;3" on the command line
        if isinstance(value, str):
            value = [v for v in value.replace(";", " ").replace("|", " ").split() if v]
        return tuple(float(v) for v in value)
    if kind is NumberOrList:
        if isinstance(value, str):
            value = [v for v in value.replace(";", " ").replace("|", " ").split() if v]
        if isinstance(value, (list, tuple)) or getattr(value, "ndim", 0) == 1:
            numbers = tuple(_convert(float, v) for v in value)
            if not numbers:
                raise ValueError(value)
            return numbers[0] if len(numbers) == 1 else numbers
        return _convert(float, value)
    return kind(value)


def _in_range(param: Param, value: float) -> bool:
    if param.low is not None and (
        value < param.low or (value == param.low and not param.low_inclusive)
    ):
        return False
    return not (
        param.high is not None
        and (value > param.high or (value == param.high and not param.high_inclusive))
    )


@dataclass(frozen=True)
class LossSpec:
    """A loss and everything the commands need to know about it.

    The maths lives in ``per_sample`` (one value per sample, no reduction) or,
    for losses that are not a mean of per-sample terms (Dice, IoU of masks,
    per-sequence means), in a custom ``partial``/``finish`` pair whose states
    merge by addition (see :mod:`losscli.losses.base`).
    """

    name: str
    aliases: tuple[str, ...]
    tasks: tuple[str, ...]
    activation: str
    target: str
    formula: str
    latex: str
    when: str
    pros: tuple[str, ...]
    cons: tuple[str, ...]
    reference: str
    robust_to_outliers: bool = False
    params: tuple[Param, ...] = ()
    #: ``per_sample(y_true, y_pred, *, convention, **params) -> (n,) array``.
    per_sample: Callable[..., Any] | None = None
    #: ``partial(y_true, y_pred, *, weights, groups, convention, **params) -> State``.
    partial: Callable[..., Any] | None = None
    #: ``finish(state, *, reduction, convention, **params) -> float | array``.
    finish: Callable[..., Any] | None = None
    #: applied to the weighted mean (``rmse`` takes its square root).
    transform: Callable[[float], float] | None = None
    #: True when ``groups`` (image or sequence ids) change the value.
    grouped: bool = False
    #: Task-specific forms under one name (``focal``): task -> spec.
    forms: Mapping[str, LossSpec] = field(default_factory=dict)

    def param(self, name: str) -> Param:
        for p in self.params:
            if p.name == name:
                return p
        raise ParameterError(self._unknown_param_message(name))

    def _unknown_param_message(self, name: str) -> str:
        known = [p.name for p in self.params]
        close = difflib.get_close_matches(name, known, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        listed = ", ".join(known) if known else "none"
        return f"{self.name}: unknown parameter {name!r} (parameters: {listed}){hint}"

    def resolve_params(self, given: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """Defaults overlaid with ``given``, each coerced and range-checked."""
        given = dict(given or {})
        resolved = {}
        for p in self.params:
            value = given.pop(p.name, p.default)
            resolved[p.name] = p.coerce(self.name, value)
        if given:
            raise ParameterError(self._unknown_param_message(next(iter(given))))
        return resolved

    def effective_params(self, params: Mapping[str, Any], convention: Any) -> dict[str, Any]:
        """``params`` with each unset (``None``) value the convention decides replaced by
        the value the loss uses under ``convention`` (epsilon 1e-7, smooth 1.0 …)."""
        effective = dict(params)
        for p in self.params:
            if effective.get(p.name) is None and p.unset is not None:
                effective[p.name] = p.unset(convention, self.name)
        return effective

    def for_task(self, task: str | None) -> LossSpec:
        """The form of this loss for ``task`` (itself when it has one form)."""
        if task is not None and task in self.forms:
            return self.forms[task]
        return self


def _family_modules() -> tuple[Any, ...]:
    from losscli.losses import classification, detection, regression, segmentation, sequence

    return (regression, classification, segmentation, detection, sequence)


_REGISTRY: dict[str, LossSpec] | None = None
_ALIASES: dict[str, str] = {}


def _load() -> dict[str, LossSpec]:
    global _REGISTRY
    if _REGISTRY is None:
        registry: dict[str, LossSpec] = {}
        for module in _family_modules():
            for spec in module.SPECS:
                if spec.name in registry:
                    raise RuntimeError(f"loss {spec.name!r} is registered twice")
                registry[spec.name] = spec
        for spec in registry.values():
            for alias in (spec.name, *spec.aliases):
                key = normalise_name(alias)
                if _ALIASES.get(key, spec.name) != spec.name:
                    raise RuntimeError(f"alias {alias!r} names two losses")
                _ALIASES[key] = spec.name
        _REGISTRY = registry
    return _REGISTRY


def normalise_name(name: str) -> str:
    """Names match case-insensitively, with ``-`` and ``_`` alike."""
    return name.strip().lower().replace("-", "_")


def all_specs() -> tuple[LossSpec, ...]:
    """Every loss in the catalogue, in catalogue order."""
    return tuple(_load().values())


#: Framework names that are deliberately not aliases: the framework's function takes
#: other inputs (logits, log-probabilities, a log rate) than the losscli loss of the same
#: idea, so an alias would silently compute something else. ``get`` says what to write.
NOT_ALIASES: dict[str, str] = {
    "bce_with_logits": "-l bce --from-logits",
    "sigmoid_focal": "-l focal --from-logits (torchvision's sigmoid_focal_loss takes logits)",
    "cross_entropy": "-l cce --from-logits, or -l sparse_cce --from-logits for class ids "
    "(PyTorch's cross_entropy takes logits)",
    "softmax_cross_entropy": "-l cce --from-logits",
    "nll": "-l sparse_cce --from-logits on the log-probabilities (PyTorch's NLLLoss takes "
    "log-probabilities, whose log-softmax is themselves)",
    "kl_div": "-l kl_divergence --from-logits on the log-probabilities (PyTorch's kl_div "
    "takes log-probabilities)",
    "poisson_nll": "-l poisson:log_input=true (PyTorch's PoissonNLLLoss takes the log rate "
    "by default)",
    "poisson_nll_loss": "-l poisson:log_input=true (PyTorch's poisson_nll_loss takes the "
    "log rate by default)",
}


def get(name: str) -> LossSpec:
    """The entry for ``name`` or one of its aliases."""
    registry = _load()
    key = normalise_name(name)
    if key in _ALIASES:
        return registry[_ALIASES[key]]
    if key in NOT_ALIASES:
        raise ParameterError(
            f"{name!r} is not a losscli loss name; write {NOT_ALIASES[key]}",
        )
    close = difflib.get_close_matches(key, list(_ALIASES), n=3, cutoff=0.6)
    hint = f"; did you mean {', '.join(sorted({_ALIASES[c] for c in close}))}?" if close else ""
    raise ParameterError(f"unknown loss {name!r}{hint} (see 'losscli list')")


def specs_for_task(task: str) -> tuple[LossSpec, ...]:
    """The losses that apply to ``task``, in catalogue order."""
    return tuple(s for s in _load().values() if task in s.tasks)


def parse_loss_option(text: str) -> tuple[LossSpec, dict[str, str]]:
    """``"huber:delta=2.5,foo=1"`` -> (spec of huber, {"delta": "2.5", "foo": "1"}).

    The values stay strings; :meth:`LossSpec.resolve_params` converts and checks them.
    """
    name, _, rest = text.partition(":")
    spec = get(name)
    params: dict[str, str] = {}
    for item in filter(None, (part.strip() for part in rest.split(","))):
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ParameterError(
                f"cannot read {item!r} in {text!r}; write parameters as NAME:key=value,key=value"
            )
        params[key.strip()] = value.strip()
    return spec, params


def loss_label(name: str, params: Mapping[str, Any], spec: LossSpec | None = None) -> str:
    """The key a loss is reported under: ``huber:delta=2.5`` (only non-default values)."""
    spec = spec or get(name)
    shown = []
    for p in spec.params:
        if p.name in params and params[p.name] != p.default:
            shown.append(f"{p.name}={_format_value(params[p.name])}")
    return spec.name + (":" + ",".join(shown) if shown else "")


def _format_value(value: Any) -> str:
    if isinstance(value, bool):  # as typed on the command line: bce:from_logits=true
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, Sequence) and not isinstance(value, str):
        return ";".join(_format_value(v) for v in value)
    return str(value)
