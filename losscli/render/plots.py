"""Terminal line plots of a loss and its gradient against the error, drawn with Rich.

The curves are computed from the library's own per-sample functions (the code that
``compute`` runs), not from a restated formula: a loss is probed on a grid of
errors and its gradient is the central finite difference

    g(x) ≈ (L(x + h) − L(x − h)) / 2h,   h = 1e-6 · max(1, |x|),

so a kink (MAE at 0, hinge at 1) shows the mean of the two one-sided slopes.

The x axis depends on what the loss reads:

- regression (``values``): the residual r = y − ŷ, with the target fixed at 0 (or at 1
  for losses that are not translation invariant, such as MAPE, MSLE and Poisson);
- probabilities (sigmoid/softmax outputs, masks, tokens): the predicted probability of
  the true class, two classes where the loss needs a distribution;
- scores (hinge losses): the raw score of a positive example;
- boxes: the horizontal offset of a unit box, in box widths.

:class:`LinePlot` draws with Unicode braille (2 × 4 dots per character cell).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from rich.console import Console, ConsoleOptions, RenderResult
from rich.text import Text

from losscli.registry import LossSpec

POINTS = 121
SERIES_STYLES = ("cyan", "magenta", "yellow", "green", "blue", "red", "bright_white")


@dataclass(frozen=True)
class Axis:
    """One kind of x axis: curves that share it can be overlaid."""

    kind: str
    label: str
    low: float
    high: float


RESIDUAL = Axis("residual", "residual r = y − ŷ", -3.0, 3.0)
RELATIVE_RESIDUAL = Axis("residual_at_1", "residual r = y − ŷ (target y = 1)", -3.0, 3.0)
PROBABILITY = Axis("probability", "predicted probability of the true class", 0.02, 0.98)
SCORE = Axis("score", "score of a positive example (label +1)", -3.0, 3.0)
BOX_OFFSET = Axis("box_offset", "horizontal offset of the predicted box (box widths)", -1.5, 1.5)


@dataclass(frozen=True)
class Curve:
    """A loss and its gradient on a grid of the x axis (NaN where the loss is undefined)."""

    label: str
    axis: Axis
    x: np.ndarray
    loss: np.ndarray
    gradient: np.ndarray

    def as_dict(self) -> dict[str, Any]:
        def finite(values: np.ndarray) -> list[float | None]:
            return [float(v) if np.isfinite(v) else None for v in values]

        return {
            "x": self.axis.kind,
            "x_label": self.axis.label,
            "points": {
                "x": finite(self.x),
                "loss": finite(self.loss),
                "gradient": finite(self.gradient),
            },
        }


class CurveUnavailable(Exception):
    """The loss cannot be probed on any of the axes (its reason is the message)."""


# --- probing the library's per-sample functions --------------------------------------

Inputs = tuple[np.ndarray, np.ndarray, np.ndarray | None]


def _values_at(spec: LossSpec, params: Mapping[str, Any], inputs: Inputs) -> np.ndarray:
    """One loss value per probe point: the per-sample (or per-group) terms, transformed."""
    from losscli import api

    y_true, y_pred, groups = inputs
    with np.errstate(all="ignore"):
        values = np.asarray(
            api.per_sample(spec, y_true, y_pred, groups=groups, **params), dtype=np.float64
        ).reshape(-1)
        if spec.transform is not None:  # rmse: sqrt of the mean of one squared error
            values = np.array([spec.transform(float(v)) for v in values])
    return values


def _evaluate(
    spec: LossSpec, params: Mapping[str, Any], build: Callable[[np.ndarray], Inputs], x: np.ndarray
) -> np.ndarray:
    """The loss at every x; points where the loss raises (outside its domain) are NaN."""
    try:
        values = _values_at(spec, params, build(x))
        if values.shape == x.shape:
            return np.where(np.isfinite(values), values, np.nan)
    except Exception:  # an input outside the loss's domain somewhere on the grid
        pass
    out = np.full(x.shape, np.nan)
    for i, point in enumerate(x):  # a plot has ~100 points: per-point retries are cheap
        try:
            value = _values_at(spec, params, build(np.array([point])))
        except Exception:
            continue
        if value.shape == (1,) and np.isfinite(value[0]):
            out[i] = value[0]
    return out


def _two_class(p: np.ndarray) -> np.ndarray:
    return np.column_stack([p, 1.0 - p])


def _box_builder(params: Mapping[str, Any]) -> Callable[[np.ndarray], Inputs]:
    box_format = str(params.get("box_format", "xyxy"))

    def build(offset: np.ndarray) -> Inputs:
        n = offset.shape[0]
        zeros, ones = np.zeros(n), np.ones(n)
        if box_format == "xywh":
            truth = np.column_stack([zeros, zeros, ones, ones])
            pred = np.column_stack([offset, zeros, ones, ones])
        elif box_format == "cxcywh":
            truth = np.column_stack([zeros + 0.5, zeros + 0.5, ones, ones])
            pred = np.column_stack([offset + 0.5, zeros + 0.5, ones, ones])
        else:
            truth = np.column_stack([zeros, zeros, ones, ones])
            pred = np.column_stack([offset, zeros, offset + 1.0, ones])
        return truth, pred, None

    return build


def _builders(spec: LossSpec, params: Mapping[str, Any]) -> list[tuple[Axis, Callable]]:
    """Candidate (axis, input builder) pairs for ``spec``, the most natural first."""
    scores = spec.activation == "linear"
    kind = spec.target
    if kind == "values":

        def at(centre: float) -> Callable[[np.ndarray], Inputs]:
            return lambda r: (np.full(r.shape, centre), centre - r, None)

        return [(RESIDUAL, at(0.0)), (RELATIVE_RESIDUAL, at(1.0))]
    if kind == "binary":
        axis = SCORE if scores else PROBABILITY
        return [(axis, lambda x: (np.ones(x.shape), x, None))]
    if kind == "labels":
        if scores:
            return [(SCORE, lambda s: (np.zeros(s.shape, dtype=np.int64), _scores(s), None))]
        return [(PROBABILITY, lambda p: (np.zeros(p.shape, dtype=np.int64), _two_class(p), None))]
    if kind == "distribution":
        if scores:
            return [(SCORE, lambda s: (_two_class(np.ones(s.shape)), _scores(s), None))]
        return [(PROBABILITY, lambda p: (_two_class(np.ones(p.shape)), _two_class(p), None))]
    if kind == "mask":
        return [
            (PROBABILITY, lambda p: (np.ones(p.shape), p, np.arange(p.shape[0]))),
            (PROBABILITY, lambda p: (np.ones(p.shape), _two_class(p), np.arange(p.shape[0]))),
        ]
    if kind == "boxes":
        return [(BOX_OFFSET, _box_builder(params))]
    if kind == "tokens":
        # the true token must not be CTC's blank, or the label would be empty
        true_class = 1 if params.get("blank") == 0 else 0

        def tokens(p: np.ndarray) -> Inputs:
            probabilities = _two_class(p) if true_class == 0 else _two_class(1.0 - p)
            labels = np.full(p.shape, true_class, dtype=np.int64)
            return labels, probabilities, np.arange(p.shape[0])

        return [(PROBABILITY, tokens)]
    return []


def _scores(s: np.ndarray) -> np.ndarray:
    return np.column_stack([s, np.zeros(s.shape)])


def _translation_invariant(spec: LossSpec, params: Mapping[str, Any]) -> bool:
    """True when L(y, ŷ) depends on y − ŷ only (MSE, MAE, Huber …), probed at two targets."""
    r = np.linspace(-2.0, 2.0, 9)
    try:
        at_zero = _values_at(spec, params, (np.zeros(r.shape), -r, None))
        shifted = _values_at(spec, params, (np.full(r.shape, 3.7), 3.7 - r, None))
    except Exception:
        return False
    return bool(
        np.all(np.isfinite(at_zero)) and np.allclose(at_zero, shifted, rtol=1e-9, atol=1e-12)
    )


def loss_curve(
    spec: LossSpec,
    params: Mapping[str, Any] | None = None,
    *,
    label: str | None = None,
    points: int = POINTS,
) -> Curve:
    """The loss and its central-difference gradient along the natural error axis of ``spec``.

    Raises:
        CurveUnavailable: no probe gives finite values (the reason is in the message).
    """
    if spec.forms:  # focal: the first task's form (binary) stands for the loss
        spec = spec.for_task(spec.tasks[0])
    resolved = spec.resolve_params(params or {})
    candidates = _builders(spec, resolved)
    if spec.target == "values" and not _translation_invariant(spec, resolved):
        candidates = candidates[::-1]  # MAPE, MSLE, Poisson: relative to a target of 1
    for axis, build in candidates:
        x = np.linspace(axis.low, axis.high, points)
        loss = _evaluate(spec, resolved, build, x)
        if np.count_nonzero(np.isfinite(loss)) < 2:
            continue
        h = 1e-6 * np.maximum(1.0, np.abs(x))
        upper = _evaluate(spec, resolved, build, x + h)
        lower = _evaluate(spec, resolved, build, x - h)
        gradient = (upper - lower) / (2.0 * h)
        return Curve(label or spec.name, axis, x, loss, gradient)
    raise CurveUnavailable(
        f"{spec.name}: no plot (the loss could not be probed on a 1-D error axis)"
    )


# --- drawing ------------------------------------------------------------------------

# Braille dot bits: column 0 rows 0-3, then column 1 rows 0-3 (Unicode U+2800 block).
_DOT_BITS = np.array([[0x01, 0x08], [0x02, 0x10], [0x04, 0x20], [0x40, 0x80]])


@dataclass(frozen=True)
class Series:
    label: str
    x: np.ndarray
    y: np.ndarray
    style: str = "cyan"


def _tick(value: float) -> str:
    if value == 0:
        return "0"
    return f"{value:.3g}"


class LinePlot:
    """A Rich renderable: one or more series drawn as braille lines on shared axes.

    Args:
        series: the lines; NaN points are gaps.
        title: a line printed above the plot.
        x_label: printed under the x axis.
        width: plot width in character cells (shrinks to fit the console).
        height: plot height in character rows.
    """

    def __init__(
        self,
        series: Sequence[Series],
        *,
        title: str = "",
        x_label: str = "",
        width: int = 60,
        height: int = 12,
        x_range: tuple[float, float] | None = None,
    ) -> None:
        self.series = list(series)
        self.x_range = x_range
        self.title = title
        self.x_label = x_label
        self.width = width
        self.height = height

    def _bounds(self) -> tuple[float, float, float, float]:
        xs = np.concatenate([s.x[np.isfinite(s.y)] for s in self.series] or [np.zeros(1)])
        ys = np.concatenate([s.y[np.isfinite(s.y)] for s in self.series] or [np.zeros(1)])
        if xs.size == 0:
            xs, ys = np.zeros(1), np.zeros(1)
        x_low, x_high = self.x_range or (float(xs.min()), float(xs.max()))
        y_low, y_high = float(ys.min()), float(ys.max())
        if y_high - y_low < 1e-12 * max(1.0, abs(y_high)):
            y_low, y_high = y_low - 1.0, y_high + 1.0
        if x_high == x_low:
            x_low, x_high = x_low - 1.0, x_high + 1.0
        return x_low, x_high, y_low, y_high

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        x_low, x_high, y_low, y_high = self._bounds()
        ticks = [_tick(y_high), _tick((y_low + y_high) / 2), _tick(y_low)]
        margin = max(len(t) for t in ticks) + 1
        cols = max(10, min(self.width, options.max_width - margin - 2))
        rows = max(3, self.height)
        dots_x, dots_y = 2 * cols, 4 * rows
        bits = np.zeros((rows, cols), dtype=np.int64)
        owner = np.full((rows, cols), -1)

        def plot_dots(px: np.ndarray, py: np.ndarray, index: int) -> None:
            keep = (px >= 0) & (px < dots_x) & (py >= 0) & (py < dots_y)
            px, py = px[keep], py[keep]
            np.bitwise_or.at(bits, (py // 4, px // 2), _DOT_BITS[py % 4, px % 2])
            owner[py // 4, px // 2] = index

        def to_dots(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            px = (x - x_low) / (x_high - x_low) * (dots_x - 1)
            py = (y_high - y) / (y_high - y_low) * (dots_y - 1)
            return px, py

        if y_low < 0 < y_high:  # the zero line, faint, so the gradient's sign reads at once
            _, zero = to_dots(np.zeros(1), np.zeros(1))
            px = np.arange(0, dots_x, 4)
            plot_dots(px, np.full(px.shape, round(float(zero[0]))), len(self.series))
        for index, series in enumerate(self.series):
            px, py = to_dots(series.x, series.y)
            for i in range(len(px) - 1):  # join neighbours; a NaN leaves a gap
                if not (np.isfinite(py[i]) and np.isfinite(py[i + 1])):
                    continue
                steps = int(max(abs(px[i + 1] - px[i]), abs(py[i + 1] - py[i]))) + 1
                t = np.linspace(0.0, 1.0, steps + 1)
                line_x = np.rint(px[i] + t * (px[i + 1] - px[i])).astype(np.int64)
                line_y = np.rint(py[i] + t * (py[i + 1] - py[i])).astype(np.int64)
                plot_dots(line_x, line_y, index)
            lone = np.isfinite(py)
            plot_dots(np.rint(px[lone]).astype(np.int64), np.rint(py[lone]).astype(np.int64), index)

        styles = [s.style for s in self.series] + ["dim"]
        text = Text(no_wrap=True, overflow="crop")
        if self.title:
            text.append(self.title + "\n", style="bold")
        tick_rows = {0: ticks[0], rows // 2: ticks[1], rows - 1: ticks[2]}
        for r in range(rows):
            tick = tick_rows.get(r)
            text.append((tick or "").rjust(margin - 1) + (" ┤" if tick else " │"), style="dim")
            for c in range(cols):
                # an empty cell is a space: some fonts draw the blank braille pattern as dots
                cell = chr(0x2800 + int(bits[r, c])) if bits[r, c] else " "
                text.append(cell, style=styles[owner[r, c]] if owner[r, c] >= 0 else "")
            text.append("\n")
        text.append(" " * margin + "└" + "─" * cols + "\n", style="dim")
        left, middle, right = _tick(x_low), _tick((x_low + x_high) / 2), _tick(x_high)
        axis = [" "] * (cols + 1)
        for position, label in ((0, left), ((cols - len(middle)) // 2, middle)):
            axis[position : position + len(label)] = label
        axis[cols + 1 - len(right) :] = right
        text.append(" " * margin + "".join(axis)[: cols + 1] + "\n", style="dim")
        if self.x_label:
            text.append(" " * margin + self.x_label.center(cols) + "\n", style="dim")
        for series in self.series:
            text.append(" " * margin + "⣿⣿ ", style=series.style)
            text.append(series.label + "\n")
        text.rstrip()
        yield text


def _style(index: int) -> str:
    return SERIES_STYLES[index % len(SERIES_STYLES)]


def curve_plots(curves: Iterable[Curve], *, width: int = 60, height: int = 12) -> list[LinePlot]:
    """A loss plot and a gradient plot per x axis, the curves on the same axis overlaid."""
    by_axis: dict[str, list[Curve]] = {}
    for curve in curves:
        by_axis.setdefault(curve.axis.kind, []).append(curve)
    plots: list[LinePlot] = []
    for group in by_axis.values():
        axis = group[0].axis
        names = ", ".join(c.label for c in group)
        defined = np.concatenate([c.x[np.isfinite(c.loss)] for c in group])
        x_range = (float(defined.min()), float(defined.max()))
        for what, attribute in (("loss", "loss"), ("gradient d(loss)/dx", "gradient")):
            series = [
                Series(c.label, c.x, getattr(c, attribute), _style(i)) for i, c in enumerate(group)
            ]
            plots.append(
                LinePlot(
                    series,
                    title=f"{names}: {what}",
                    x_label=axis.label,
                    width=width,
                    height=height,
                    x_range=x_range,
                )
            )
    return plots


def plain_text(figures: Sequence[LinePlot], *, width: int = 80) -> str:
    """The figures as plain text in a fenced code block (for Markdown), without colour."""
    buffer = Console(width=width, no_color=True, color_system=None, record=True, file=_Sink())
    for index, figure in enumerate(figures):
        if index:
            buffer.print()
        buffer.print(figure)
    body = "\n".join(line.rstrip() for line in buffer.export_text().splitlines())
    return f"```text\n{body}\n```"


class _Sink:
    """A file that discards what is written: the console only records."""

    def write(self, text: str) -> int:
        return len(text)

    def flush(self) -> None:
        pass
