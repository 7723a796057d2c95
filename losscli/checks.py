"""``--fail-if`` thresholds: ``'mse>0.3'``, ``'huber:delta=2.5 >= 1e-2'``.

A check is ``LOSS OP NUMBER`` where ``LOSS`` is written as for ``--loss`` (a
name or alias with optional parameters) and ``OP`` one of ``> >= < <= == !=``.
The check fails when the comparison is true (``--fail-if 'mse>0.3'`` fails when
the MSE exceeds 0.3). A loss named only in a check is computed too.
"""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from losscli.errors import ParameterError

OPERATORS: Mapping[str, Callable[[float, float], bool]] = {
    ">=": operator.ge,
    "<=": operator.le,
    "==": operator.eq,
    "!=": operator.ne,
    ">": operator.gt,
    "<": operator.lt,
}

# The loss part is matched lazily, so the comparison is the last operator followed by a
# number: 'huber:delta=2.5>0.3' splits as ('huber:delta=2.5', '>', '0.3').
_CHECK = re.compile(
    r"^\s*(?P<loss>\S.*?)\s*(?P<op>>=|<=|==|!=|>|<)\s*(?P<threshold>[^<>=!\s]+)\s*$"
)


@dataclass(frozen=True)
class Check:
    """One parsed ``--fail-if`` expression."""

    text: str
    loss: str  # the loss as written, e.g. "huber:delta=2.5"
    op: str
    threshold: float

    def fails(self, value: float) -> bool:
        """True when the check's condition holds (so the run must fail).

        A NaN value always fails: a gate must not pass on a number it cannot compare.
        """
        if value is None or math.isnan(value):
            return True
        return OPERATORS[self.op](value, self.threshold)


@dataclass(frozen=True)
class CheckResult:
    """A check with the label and value it was evaluated on."""

    check: Check
    label: str
    value: float | None
    failed: bool

    def as_dict(self) -> dict[str, object]:
        return {
            "check": self.check.text,
            "loss": self.label,
            "op": self.check.op,
            "threshold": self.check.threshold,
            "value": self.value,
            "failed": self.failed,
        }

    def message(self) -> str:
        """One line for people: ``check failed: mse > 0.3 (mse = 0.4217)``."""
        shown = "nan" if self.value is None else f"{self.value:.6g}"
        verdict = "failed" if self.failed else "passed"
        return (
            f"check {verdict}: {self.label} {self.check.op} {self.check.threshold:g} "
            f"({self.label} = {shown})"
        )


def parse_check(text: str) -> Check:
    """``'mse>0.3'`` -> Check(loss='mse', op='>', threshold=0.3).

    Raises:
        ParameterError: the text is not ``LOSS OP NUMBER``.
    """
    match = _CHECK.match(text)
    if match is None or match["loss"][-1] in "=<>!":
        raise ParameterError(
            f"cannot read --fail-if {text!r}; write LOSS OP NUMBER, e.g. 'mse>0.3' "
            "(OP is one of > >= < <= == !=)"
        )
    try:
        threshold = float(match["threshold"])
    except ValueError:
        raise ParameterError(
            f"cannot read --fail-if {text!r}: {match['threshold']!r} is not a number"
        ) from None
    if math.isnan(threshold):
        raise ParameterError(f"cannot read --fail-if {text!r}: the threshold is NaN")
    return Check(text=text, loss=match["loss"], op=match["op"], threshold=threshold)


def evaluate_checks(
    checks: list[tuple[Check, str]], values: Mapping[str, float | None]
) -> list[CheckResult]:
    """Each (check, label) pair against ``values`` (loss label -> value)."""
    results = []
    for check, label in checks:
        value = values.get(label)
        results.append(CheckResult(check, label, value, check.fails(value)))
    return results
