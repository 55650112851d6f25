"""Plotly figure builders: pure functions from plain arrays to ``go.Figure``.

Nothing here computes a metric or knows about Streamlit: the caller computes
(see ``evaluation``), these draw, the page shows. All figures share one look
(``plotly_white``, small margins, class names on the class axis).
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from .data import CLASS_NAMES

TEMPLATE = "plotly_white"
MARGIN = dict(l=10, r=10, t=40, b=10)
# one colour per split, run or metric, cycled: Okabe and Ito's palette, told apart by colour-blind eyes too
# (no red beside green), without its yellow, which fades on white and on a projector
COLORS = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#000000"]
PERCENT = ".0%"
CHANGE_INK = "#555555"  # the marks of a change made during a training


def _styled(fig: go.Figure, *, title: str | None = None, **layout) -> go.Figure:
    fig.update_layout(template=TEMPLATE, margin=MARGIN, title=title,
                      legend=dict(orientation="h", yanchor="bottom", y=1.02, x=0), **layout)
    return fig


def color(i: int) -> str:
    """The i-th colour of the shared palette (runs, splits, metrics), cycled."""
    return COLORS[i % len(COLORS)]


def moving_average(values: Sequence[float], window: int) -> np.ndarray:
    """Trailing mean over up to ``window`` values; the first points average what there is.

    float array of the same length (N,) as ``values``, so it lines up with the raw curve
    from the very first batch.
    """
    x = np.asarray(values, dtype=np.float64)
    window = max(int(window), 1)
    sums = np.cumsum(np.concatenate([[0.0], x]))
    end = np.arange(1, len(x) + 1)
    start = np.maximum(end - window, 0)
    with np.errstate(invalid="ignore"):  # after a diverged run's inf every sum is inf: inf - inf is nan, not drawn
        return (sums[end] - sums[start]) / (end - start)


def class_counts(counts_by_split: Mapping[str, Sequence[int]], *, title: str | None = None) -> go.Figure:
    """Grouped bars: images per class, one bar colour per split.

    counts_by_split: {split name: int array of shape (10,)}, e.g. {"train": ..., "test": ...}.
    """
    fig = go.Figure([go.Bar(name=split, x=list(CLASS_NAMES), y=np.asarray(counts).tolist(),
                            marker_color=color(i))
                     for i, (split, counts) in enumerate(counts_by_split.items())])
    fig.update_xaxes(title="Class")
    fig.update_yaxes(title="Images")
    return _styled(fig, title=title, barmode="group")


def thin(n: int, max_points: int) -> np.ndarray:
    """Indices of up to ``max_points`` (at least 2) evenly spaced items out of ``n``, the first and last among them.

    int array, ascending, of length min(n, max(max_points, 2)).
    """
    return np.unique(np.linspace(0, n - 1, min(n, max(max_points, 2))).round().astype(int))


def batch_series(steps: Sequence[int], loss: Sequence[float], accuracy: Sequence[float], *,
                 smooth: int = 20, max_points: int = 500) -> tuple[np.ndarray, dict[str, tuple]]:
    """What the per-batch curves draw: (kept steps (M,), {"loss"|"accuracy": (raw (M,), average (M,) or None)}).

    The average is taken over every batch first, then thinned with the raw values (see ``thin``);
    there is none if smooth <= 1.
    """
    keep = thin(len(steps), max_points)
    series = {}
    for name, values in (("loss", loss), ("accuracy", accuracy)):
        raw = np.asarray(values, dtype=np.float64)
        series[name] = (raw[keep], moving_average(raw, smooth)[keep] if smooth > 1 else None)
    return np.asarray(steps)[keep], series


def batch_curves(steps: Sequence[int], loss: Sequence[float], accuracy: Sequence[float], *,
                 smooth: int = 20, max_points: int = 500) -> go.Figure:
    """Live training curves: loss (left) and accuracy (right) per batch.

    steps, loss, accuracy: arrays of shape (N,). Per-batch values are noisy, so each
    is drawn faint with its ``smooth``-batch moving average on top (raw only if smooth <= 1).
    Each line keeps at most ``max_points`` evenly spaced points, the first and last
    among them; the average is taken over every batch first.
    """
    fig = make_subplots(rows=1, cols=2, subplot_titles=("Loss", "Accuracy"), horizontal_spacing=0.1)
    x, series = batch_series(steps, loss, accuracy, smooth=smooth, max_points=max_points)
    x = x.tolist()
    for col, (name, (raw, average)) in enumerate(series.items(), start=1):
        shade = color(col - 1)
        fig.add_trace(go.Scatter(x=x, y=raw.tolist(), name=f"{name} (per batch)", mode="lines",
                                 line=dict(color=shade, width=1), opacity=0.3 if average is not None else 1.0),
                      row=1, col=col)
        if average is not None:
            fig.add_trace(go.Scatter(x=x, y=average.tolist(), name=f"{name} ({smooth}-batch average)",
                                     mode="lines", line=dict(color=shade, width=2)),
                          row=1, col=col)
    fig.update_xaxes(title="Batch")
    fig.update_yaxes(title="Loss", rangemode="tozero", row=1, col=1)
    fig.update_yaxes(title="Accuracy", tickformat=PERCENT, range=[0, 1], row=1, col=2)
    return _styled(fig)


def epoch_points(rows: Sequence[Mapping[str, float]], key: str) -> list[tuple[int, float]]:
    """(epoch, value) for each history row that has ``key``; a row without "epoch" counts from 1."""
    return [(row.get("epoch", n), row[key]) for n, row in enumerate(rows, start=1) if row.get(key) is not None]


HELD_OUT_NAMES = {"validation": "validation", "test": "held-out test images"}


def held_out_name(held_out: Mapping[str, str] | None, label: str) -> str:
    """How a run's held-out curve is named: "validation", or "held-out test images" (runs.TEST)."""
    return HELD_OUT_NAMES.get((held_out or {}).get(label, "validation"), "validation")


def epoch_curves(histories: Mapping[str, Sequence[Mapping[str, float]]], *,
                 metric: str = "accuracy", tests: Mapping[str, float | None] | None = None,
                 held_out: Mapping[str, str] | None = None) -> go.Figure:
    """One metric per epoch for one or more runs: train dashed, validation solid, one colour per run.

    histories: {run label: [{"epoch": 1, "loss": .., "accuracy": .., "val_loss": .., ...}, ...]}.
    Epochs lacking a value are skipped, and a run without ``val_<metric>`` draws train only.
    tests: {run label: test accuracy}; with the accuracy metric each is a star at the run's last
    epoch, so the gap between what the net scores on its training images and on new ones shows;
    a lone star also carries its figure (several would print over each other at the same epoch).
    held_out: {run label: "validation" or "test"}: what each run's solid curve was measured on.
    """
    fig = go.Figure()
    tested = {label: test for label, test in (tests or {}).items() if test is not None and label in histories}
    for i, (label, rows) in enumerate(histories.items()):
        for key, kind, dash in ((metric, "train", "dash"), (f"val_{metric}", held_out_name(held_out, label), "solid")):
            points = epoch_points(rows, key)
            if not points:
                continue
            epochs, values = zip(*points)
            # markers make a one-epoch run visible, and show where each epoch ended
            fig.add_trace(go.Scatter(x=list(epochs), y=list(values), name=f"{label} {kind}",
                                     mode="lines+markers", legendgroup=label,
                                     line=dict(color=color(i), dash=dash)))
        test, last = tested.get(label), epoch_points(rows, metric)
        if metric == "accuracy" and test is not None and last:
            fig.add_trace(go.Scatter(x=[last[-1][0]], y=[test], name=f"{label} test", legendgroup=label,
                                     mode="markers+text" if len(tested) == 1 else "markers",
                                     text=[f"test {100 * test:.2f}%"], textposition="bottom left",
                                     marker=dict(color=color(i), symbol="star", size=13),
                                     hovertemplate="test accuracy %{y:.2%}<extra></extra>"))
    fig.update_xaxes(title="Epoch", tick0=1, dtick=1 if _max_epochs(histories) <= 20 else None)
    axis = dict(title=metric.replace("_", " ").capitalize())
    if "accuracy" in metric:
        axis.update(tickformat=PERCENT)
    fig.update_yaxes(**axis)
    return _styled(fig)


def rate_marks(changes: Sequence[Mapping], at: str) -> list[tuple[float, str]]:
    """Where each learning-rate change made mid-run goes on a chart, and its label: at its batch (``at``
    "step") or at the epochs trained by then ("after_epochs"). changes: dicts as the trainer records them."""
    return [(change[at], f"learning rate {change['to']:.2g}") for change in changes if at in change]


def history_changes(rows: Sequence[Mapping]) -> list[dict]:
    """The learning-rate changes recorded in a run's history rows, in order."""
    return [change for row in rows for change in row.get("lr_changes", ())]


def mark_changes(fig: go.Figure, marks: Sequence[tuple[float, str]], *, subplots: bool = False) -> go.Figure:
    """A dotted vertical line at each ``(x, text)`` of ``marks``, labelled at the top: where something changed
    during the training (a learning rate set mid-run). ``subplots``: on each of the figure's subplots."""
    where = {"row": "all", "col": "all"} if subplots else {}
    for x, text in marks:
        fig.add_vline(x=x, line=dict(color=CHANGE_INK, dash="dot", width=1.5), annotation_text=text,
                      annotation_position="top left", annotation_font=dict(size=11, color=CHANGE_INK),
                      annotation_bgcolor="rgba(255,255,255,0.8)", **where)
    return fig


def _max_epochs(histories) -> int:
    return max((len(rows) for rows in histories.values()), default=0)


def mark_gap(fig: go.Figure, epoch: float, high: float, low: float, text: str) -> go.Figure:
    """Point at a gap on an epoch chart: a bracket at ``epoch`` from ``low`` to ``high`` with ``text`` beside it
    (overfitting, where training accuracy ends far above validation or test accuracy)."""
    fig.add_shape(type="line", x0=epoch, x1=epoch, y0=low, y1=high, line=dict(color="#d62728", width=3))
    for y in (low, high):
        fig.add_shape(type="line", x0=epoch - 0.15, x1=epoch + 0.15, y0=y, y1=y, line=dict(color="#d62728", width=3))
    fig.add_annotation(x=epoch, y=(low + high) / 2, text=text, showarrow=False, xanchor="right", xshift=-10,
                       font=dict(color="#d62728", size=13), bgcolor="rgba(255,255,255,0.85)")
    return fig


def top_k_bars(pairs: Sequence[tuple[str, float]]) -> go.Figure:
    """Horizontal bars of (class name, probability) pairs, the most probable on top."""
    ranked = sorted(pairs, key=lambda p: p[1])  # a category axis draws its first entry at the bottom
    names = [name for name, _ in ranked]
    probs = [float(p) for _, p in ranked]
    fig = go.Figure(go.Bar(x=probs, y=names, orientation="h", marker_color=color(0),
                           text=[f"{p:.1%}" for p in probs], textposition="auto",
                           hovertemplate="%{y}: %{x:.1%}<extra></extra>"))
    fig.update_xaxes(title="Probability", range=[0, 1], tickformat=PERCENT)
    fig.update_yaxes(title=None)
    return _styled(fig, height=max(160, 40 * len(names) + 60))


def per_class_metrics(rows: Sequence[Mapping]) -> go.Figure:
    """Grouped bars of precision, recall and F1 per class.

    rows: as from ``Evaluation.report()``; the macro-average row is drawn as a
    dotted line of the macro F1 rather than a bar, named in the legend (a label
    on the line itself would sit on the tallest bars).
    """
    classes = [r for r in rows if r["class"] in CLASS_NAMES]
    names = [r["class"] for r in classes]
    fig = go.Figure([go.Bar(name=label, x=names, y=[float(r[key]) for r in classes],
                            marker_color=color(i))
                     for i, (key, label) in enumerate((("precision", "Precision"), ("recall", "Recall"),
                                                       ("f1", "F1")))])
    for r in rows:
        if r["class"] not in CLASS_NAMES:
            dotted = dict(dash="dot", color="gray")
            fig.add_hline(y=float(r["f1"]), line=dotted)
            fig.add_trace(go.Scatter(x=[None], y=[None], mode="lines", line=dotted, hoverinfo="skip",
                                     name=f"{r['class']} F1 {100 * float(r['f1']):.2f}%"))
    fig.update_xaxes(title="Class")
    fig.update_yaxes(title="Score", range=[0, 1], tickformat=PERCENT)
    return _styled(fig, barmode="group")
