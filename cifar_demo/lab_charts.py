"""Figures of the Labs page: reliability diagram, confidence histograms, robustness curves (Plotly), the map (Altair).

Pure functions from plain arrays to figures, in the look of ``charts`` (its template and margins).
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import plotly.graph_objects as go

from .charts import MARGIN, PERCENT, TEMPLATE, color
from .data import CLASS_NAMES

RIGHT, WRONG = "#2ca02c", "#d62728"


def styled(fig: go.Figure, *, title: str | None = None, **layout) -> go.Figure:
    fig.update_layout(template=TEMPLATE, margin=MARGIN, title=title,
                      legend=dict(orientation="h", yanchor="bottom", y=1.02, x=0), **layout)
    return fig


def reliability_diagram(edges: np.ndarray, counts: np.ndarray, confidence: np.ndarray,
                        accuracy: np.ndarray) -> go.Figure:
    """Bars: the share right in each confidence bin (B bins, ``edges`` (B + 1,)); a dashed diagonal where
    confidence equals accuracy; each bin's mean confidence as a dot, and its image count on hover."""
    centres, width = (edges[:-1] + edges[1:]) / 2, np.diff(edges)
    full = counts > 0
    hover = [f"{edges[b]:.0%}–{edges[b + 1]:.0%} sure: {counts[b]:,} images, {accuracy[b]:.1%} right, "
             f"{confidence[b]:.1%} sure on average" if full[b] else f"{edges[b]:.0%}–{edges[b + 1]:.0%}: no image"
             for b in range(len(counts))]
    fig = go.Figure([
        go.Bar(x=centres, y=np.nan_to_num(accuracy), width=width * 0.95, name="Share right", marker_color=color(0),
               hovertext=hover, hoverinfo="text"),
        go.Scatter(x=centres[full], y=confidence[full], mode="markers", name="How sure, on average",
                   marker=dict(color="black", symbol="diamond", size=8), hoverinfo="skip"),
        go.Scatter(x=[0, 1], y=[0, 1], mode="lines", name="Perfectly calibrated",
                   line=dict(color="grey", dash="dash"), hoverinfo="skip"),
    ])
    fig.update_xaxes(title="How sure it was (probability of its answer)", range=[0, 1], tickformat=PERCENT)
    fig.update_yaxes(title="How often it was right", range=[0, 1], tickformat=PERCENT)
    return styled(fig, height=380)


def confidence_histogram(right: np.ndarray, wrong: np.ndarray, *, bins: int = 20) -> go.Figure:
    """How sure it was on the images it got right (green) and wrong (red): image counts per confidence bin."""
    edges = np.linspace(0, 1, bins + 1)
    centres = (edges[:-1] + edges[1:]) / 2
    fig = go.Figure([go.Bar(x=centres, y=np.histogram(values, edges)[0], width=1 / bins * 0.95, name=name,
                            marker_color=colour, opacity=0.75)
                     for values, name, colour in ((right, "Right", RIGHT), (wrong, "Wrong", WRONG))])
    fig.update_xaxes(title="How sure it was", range=[0, 1], tickformat=PERCENT)
    fig.update_yaxes(title="Test images")
    return styled(fig, barmode="overlay", height=380)


def robustness_curves(curves: Mapping[str, tuple[Sequence[float], Sequence[float], str]]) -> go.Figure:
    """Accuracy against the strength of each corruption; curves: {name: (positions 0..1, accuracies, level names)}.

    Each corruption's levels sit at evenly spaced positions from clean (0) to its strongest (1), so all fit
    one axis; its own amounts are in the hover text."""
    fig = go.Figure()
    for i, (name, (strength, accuracy, labels)) in enumerate(curves.items()):
        fig.add_trace(go.Scatter(x=list(strength), y=list(accuracy), mode="lines+markers", name=name,
                                 line=dict(color=color(i)), text=labels,
                                 hovertemplate=f"{name}: %{{text}}<br>%{{y:.1%}} right<extra></extra>"))
    fig.add_hline(y=0.1, line=dict(color="grey", dash="dot"), annotation_text="guessing (10%)",
                  annotation_position="bottom right")
    steps = len(next(iter(curves.values()))[0]) if curves else 5
    fig.update_xaxes(title="How strong the change is", range=[-0.03, 1.03], tickvals=np.linspace(0, 1, steps),
                     ticktext=["clean", *map(str, range(1, steps - 1)), f"{steps - 1}: strongest"])
    fig.update_yaxes(title="Test accuracy", range=[0, 1], tickformat=PERCENT)
    return styled(fig, height=420)


def probability_pair(before: np.ndarray, after: np.ndarray) -> go.Figure:
    """Two bar sets over the 10 classes: the probabilities before and after a change to the image."""
    fig = go.Figure([go.Bar(x=list(CLASS_NAMES), y=np.asarray(p).tolist(), name=name, marker_color=c)
                     for p, name, c in ((before, "Before", color(0)), (after, "After", WRONG))])
    fig.update_yaxes(title="Probability", range=[0, 1], tickformat=PERCENT)
    return styled(fig, barmode="group", height=300)


def feature_map(table, *, height: int = 560):
    """The map of the test images (an Altair chart: its tooltips can show pictures, Plotly's cannot).

    table: a DataFrame with columns x, y, image (a PNG data URI), true (class name), answer ("right" or
    "wrong"), said (its top 3 in words) and number (the test image's). Dots are coloured by true class, a
    cross marks a mistake; hovering shows the picture, dragging a box selects (selection "brush").
    """
    import altair as alt
    brush = alt.selection_interval(name="brush", encodings=["x", "y"])
    return alt.Chart(table, height=height).mark_point(filled=True, size=45).encode(
        # padded: a box dragged over the whole map takes in the dots on its very edge too
        x=alt.X("x:Q", axis=None, scale=alt.Scale(padding=8)), y=alt.Y("y:Q", axis=None, scale=alt.Scale(padding=8)),
        color=alt.Color("true:N", title="True class", scale=alt.Scale(domain=list(CLASS_NAMES), scheme="category10")),
        shape=alt.Shape("answer:N", title="Its answer", scale=alt.Scale(domain=["right", "wrong"],
                                                                        range=["circle", "cross"])),
        opacity=alt.condition(brush, alt.value(0.85), alt.value(0.2)),
        tooltip=[alt.Tooltip("image:N"), alt.Tooltip("number:Q", title="test image"),
                 alt.Tooltip("true:N", title="truly"), alt.Tooltip("said:N", title="it said")],
    ).add_params(brush)
