"""The live training curves as small static SVG: the same lines as ``charts``, cheap for a browser to paint.

While a training runs its curves are redrawn every few seconds. A browser on the
same small machine spent a fifth of a core on Plotly's redraws, taken from the
training (BENCHMARKS.md, "The app"); a static SVG shown as an image is decoded
and painted natively, with no script. Once the training has ended the page draws
the interactive Plotly charts instead. Pure Python: strings in, a string out.
"""
from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from html import escape

import numpy as np

from .charts import CHANGE_INK, batch_series, color, epoch_points, held_out_name

INK, GRID = "#2a3f5f", "#ebf0f8"  # plotly_white's text and grid, so both kinds of chart look alike
FONT = "Helvetica, Arial, sans-serif"
HEIGHT = 300                      # viewBox units; the widths suit the page's 3:2 columns, so both scale alike
BATCH_WIDTH, EPOCH_WIDTH = 600, 400
TOP, BOTTOM = 50, 250             # the plot area's top and bottom: title and legend above, x axis below
LEGEND_Y, LEGEND_ROW = 34, 16     # the legend's first row, and the height of each further row
LEFT, RIGHT = 56, 14              # room left of each plot for its y axis, and right of it


@dataclass(frozen=True)
class _Line:
    x: np.ndarray          # data coordinates, shape (M,); non-finite points are left out
    y: np.ndarray
    label: str             # in the legend
    color: str
    width: float = 2.0
    opacity: float = 1.0
    dash: bool = False
    markers: bool = False  # a dot on each point, as Plotly's lines+markers


def batch_curves(steps: Sequence[int], loss: Sequence[float], accuracy: Sequence[float], *,
                 smooth: int = 20, max_points: int = 500, marks: Sequence[tuple[float, str]] = ()) -> str:
    """``charts.batch_curves`` as an SVG string: loss (left) and accuracy (right, 0-100%) per batch.

    steps, loss, accuracy: arrays of shape (N,). Each value faint, its ``smooth``-batch
    moving average bold; at most ``max_points`` points a line. marks: (batch, text) of each
    change made during the training, a dotted line (``charts.mark_changes``).
    """
    x, series = batch_series(steps, loss, accuracy, smooth=smooth, max_points=max_points)
    panels = []
    for i, (name, (raw, average)) in enumerate(series.items()):
        lines = [_Line(x, raw, "per batch", color(i), width=1, opacity=0.3 if average is not None else 1.0)]
        if average is not None:
            lines.append(_Line(x, average, f"{smooth}-batch average", color(i)))
        panels.append(_panel(i * BATCH_WIDTH / 2, BATCH_WIDTH / 2, lines, title=name.capitalize(),
                             xlabel="Batch", percent=name == "accuracy", marks=marks))
    return _svg(BATCH_WIDTH, panels)


def epoch_curves(histories: Mapping[str, Sequence[Mapping[str, float]]], *, metric: str = "accuracy",
                 held_out: Mapping[str, str] | None = None, marks: Sequence[tuple[float, str]] = ()) -> str:
    """``charts.epoch_curves`` as an SVG string: train dashed, validation solid, one colour per run.

    histories: {run label: [{"epoch": 1, "loss": .., "accuracy": .., "val_loss": .., ...}, ...]}.
    An accuracy axis runs from 0 to 100%, a loss axis from 0. marks: (epochs trained, text) of
    each change made during the training.
    """
    lines = []
    for i, (label, rows) in enumerate(histories.items()):
        for key, kind, dash in ((metric, "train", True), (f"val_{metric}", held_out_name(held_out, label), False)):
            if points := epoch_points(rows, key):
                epochs, values = (np.asarray(v, dtype=np.float64) for v in zip(*points))
                lines.append(_Line(epochs, values, f"{label} {kind}".strip(), color(i), dash=dash, markers=True))
    name = metric.replace("_", " ").capitalize()
    panel = _panel(0, EPOCH_WIDTH, lines, title=f"{name} per epoch", xlabel="Epoch", ylabel=name,
                   percent="accuracy" in metric, marks=marks)
    return _svg(EPOCH_WIDTH, [panel])


def _svg(width: float, parts: list[str]) -> str:
    # no width or height: the viewBox alone, so that it scales to the column and keeps its shape
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width:g} {HEIGHT}" '
            f'font-family="{FONT}" font-size="13" fill="{INK}">'
            f'<rect width="{width:g}" height="{HEIGHT}" fill="white"/>{"".join(parts)}</svg>')


def _panel(x0: float, width: float, lines: list[_Line], *, title: str, xlabel: str,
           ylabel: str | None = None, percent: bool = False, marks: Sequence[tuple[float, str]] = ()) -> str:
    """One plot with its grid, tick labels, axis titles, title and legend, in [x0, x0 + width] of the picture."""
    left, right = x0 + LEFT, x0 + width - RIGHT
    legend, rows = _legend(left, x0 + width, lines)
    top = TOP + LEGEND_ROW * (rows - 1)  # a legend of several rows pushes the plot down
    xlo, xhi, xticks = _x_axis(lines, most=max(3, int((right - left) // 40)))
    yticks = np.linspace(0, 1, 5) if percent else _ticks(0, _highest(lines), most=5, round_up=True)

    def px(v):
        return left + (np.asarray(v, dtype=np.float64) - xlo) / (xhi - xlo) * (right - left)

    def py(v):
        return BOTTOM - np.asarray(v, dtype=np.float64) / yticks[-1] * (BOTTOM - top)

    out = ['<g class="panel">']
    for v, label in zip(yticks, _labels(yticks, percent)):
        y = py(v)
        out.append(f'<line x1="{left:.1f}" x2="{right:.1f}" y1="{y:.1f}" y2="{y:.1f}" stroke="{GRID}" '
                   f'stroke-width="{2 if v == 0 else 1}"/>'
                   f'<text class="ytick" x="{left - 6:.1f}" y="{y:.1f}" text-anchor="end" '
                   f'dominant-baseline="middle">{label}</text>')
    for v, label in zip(xticks, _labels(xticks)):
        x = px(v)
        out.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{top}" y2="{BOTTOM}" stroke="{GRID}"/>'
                   f'<text class="xtick" x="{x:.1f}" y="{BOTTOM + 16}" text-anchor="middle">{label}</text>')
    middle, ymid = (left + right) / 2, (top + BOTTOM) / 2
    out.append(f'<text x="{middle:.1f}" y="{BOTTOM + 40}" text-anchor="middle">{escape(xlabel)}</text>'
               f'<text x="{x0 + 16:.1f}" y="{ymid:.1f}" text-anchor="middle" '
               f'transform="rotate(-90 {x0 + 16:.1f} {ymid:.1f})">{escape(ylabel or title)}</text>'
               f'<text class="title" x="{middle:.1f}" y="18" text-anchor="middle" font-size="15" '
               f'font-weight="600">{escape(title)}</text>')
    out += [_polyline(px(line.x), py(line.y), line) for line in lines]
    for v, text in marks:
        if xlo <= v <= xhi:
            x = float(px(v))
            out.append(f'<line class="mark" x1="{x:.1f}" x2="{x:.1f}" y1="{top}" y2="{BOTTOM}" '
                       f'stroke="{CHANGE_INK}" stroke-width="1.5" stroke-dasharray="2 3"/>'
                       f'<text x="{x - 3:.1f}" y="{top + 11}" text-anchor="end" font-size="11" fill="{CHANGE_INK}" '
                       f'stroke="white" stroke-width="3" paint-order="stroke">{escape(text)}</text>')
    out += [legend, "</g>"]
    return "".join(out)


def _x_axis(lines: list[_Line], *, most: int) -> tuple[float, float, np.ndarray]:
    """(lowest x, highest x, ticks) over every step, drawn or not: loss and accuracy end at the same batch."""
    xs = np.concatenate([line.x[np.isfinite(line.x)] for line in lines] or [np.empty(0)])
    lo, hi = (float(xs.min()), float(xs.max())) if xs.size else (0.0, 1.0)
    if hi <= lo:  # one point: in the middle
        lo, hi = lo - 0.5, hi + 0.5
    return lo, hi, _ticks(lo, hi, most=most, integer=True)


def _highest(lines: list[_Line]) -> float:
    """The highest finite y, or 1 when there is none above 0: a loss axis runs from 0 to above it."""
    ys = np.concatenate([line.y[np.isfinite(line.y)] for line in lines] or [np.empty(0)])
    return float(ys.max()) if ys.size and ys.max() > 0 else 1.0


def _polyline(x: np.ndarray, y: np.ndarray, line: _Line) -> str:
    keep = np.isfinite(x) & np.isfinite(y)  # a diverged run's nan or inf loss is not drawn
    x, y = x[keep], y[keep]
    dots = ""
    if line.markers or len(x) == 1:  # one point is no line: a dot shows it
        radius = 3 if line.markers else 2
        dots = "".join(f'<circle cx="{a:.1f}" cy="{b:.1f}" r="{radius}" fill="{line.color}" '
                       f'fill-opacity="{line.opacity:g}"/>' for a, b in zip(x, y))
    if len(x) < 2:
        return dots
    points = " ".join(f"{a:.1f},{b:.1f}" for a, b in zip(x, y))
    return (f'<polyline class="line" points="{points}" fill="none" stroke="{line.color}" '
            f'stroke-width="{line.width:g}" stroke-opacity="{line.opacity:g}" stroke-linejoin="round"'
            f'{_dash(line)}/>{dots}')


def _legend(left: float, right: float, lines: list[_Line]) -> tuple[str, int]:
    """(the legend, its rows): one swatch and label a line, from ``left``, wrapped before ``right``."""
    out, x, row = [], left, 0
    for line in lines:
        size = 25 + 6.8 * len(line.label)  # about 6.8 units a character at this font size
        if x > left and x + size > right:
            x, row = left, row + 1
        y = LEGEND_Y + LEGEND_ROW * row
        out.append(f'<line x1="{x:.1f}" x2="{x + 20:.1f}" y1="{y}" y2="{y}" stroke="{line.color}" '
                   f'stroke-width="{max(line.width, 1.5):g}" stroke-opacity="{max(line.opacity, 0.4):g}"'
                   f'{_dash(line)}/><text class="legend" x="{x + 25:.1f}" y="{y}" dominant-baseline="middle" '
                   f'font-size="12.5">{escape(line.label)}</text>')
        x += size + 14
    return "".join(out), row + 1


def _dash(line: _Line) -> str:
    return ' stroke-dasharray="6 4"' if line.dash else ""


def _ticks(lo: float, hi: float, *, most: int, integer: bool = False, round_up: bool = False) -> np.ndarray:
    """Round values between lo and hi, 1, 2 or 5 times a power of ten apart, at most ``most`` of them.

    With ``round_up`` the last is the first round value at or above hi, so that a line fits under it.
    """
    step = max((hi - lo) / max(most - 1, 1), 1.0 if integer else 1e-12)
    power = 10.0 ** math.floor(math.log10(step))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= step * (1 - 1e-9))
    first = math.ceil(lo / step - 1e-9) * step
    last = math.ceil(hi / step - 1e-9) * step if round_up else math.floor(hi / step + 1e-9) * step
    return np.arange(first, last + step / 2, step)


def _labels(ticks: np.ndarray, percent: bool = False) -> list[str]:
    if percent:
        return [f"{v:.0%}" for v in ticks]
    if ticks.size and np.abs(ticks).max() >= 10_000:  # "25k" fits where "25000" would crowd its neighbours
        return [f"{v / 1000:g}k" for v in ticks]
    return [f"{v:g}" for v in ticks]
