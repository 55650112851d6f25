"""The confusion matrix as an Altair chart whose cells can be clicked, coloured on viridis with its scale shown.

Each cell is coloured by the share of its true class's images it holds, on a
square-root scale: the diagonal (the right answers) glows yellow, and a mistake
of a few percent already stands out from the dark cells of none. Viridis keeps
its steady rise in lightness for colour-blind eyes and on a projector. A click
on a cell selects it (the point selection ``CELL``); ``clicked`` reads it back.
"""
from __future__ import annotations

from collections.abc import Mapping

import altair as alt
import numpy as np

from .data import CLASS_NAMES

CELL = "cell"                     # the selection a click makes: {"true": name, "predicted": name}
DARK_TEXT_FROM = 0.3              # cells holding at least this share are light: their number is written in black
LEGEND_TICKS = [0, 0.01, 0.05, 0.1, 0.25, 0.5, 1]


def cell_rows(cm: np.ndarray, *, normalized: bool = False) -> list[dict]:
    """One row per cell of a (10, 10) matrix of counts: true, predicted, count, share (of the true class), text."""
    cm = np.asarray(cm)
    n = len(CLASS_NAMES)
    if cm.shape != (n, n):
        raise ValueError(f"confusion matrix has shape {cm.shape}; expected ({n}, {n})")
    totals = cm.sum(axis=1)
    rows = []
    for t, true in enumerate(CLASS_NAMES):
        for p, predicted in enumerate(CLASS_NAMES):
            share = float(cm[t, p] / totals[t]) if totals[t] else 0.0
            rows.append({"true": true, "predicted": predicted, "count": int(cm[t, p]), "share": share,
                         "text": f"{share:.0%}" if normalized else f"{int(cm[t, p])}"})
    return rows


def confusion_chart(cm: np.ndarray, *, normalized: bool = False, shown: tuple[str, str] | None = None,
                    step: int = 40) -> alt.LayerChart:
    """The clickable heat map of a (10, 10) matrix of counts (rows true, columns predicted), the cell
    ``shown`` (true, predicted) outlined, each cell ``step`` px wide; counts in the cells, or with
    ``normalized`` percentages of the true class."""
    data = alt.Data(values=cell_rows(cm, normalized=normalized))
    names = list(CLASS_NAMES)
    base = alt.Chart(data).encode(
        x=alt.X("predicted:N", sort=names, title="Predicted class",
                axis=alt.Axis(orient="bottom", labelAngle=-45, labelOverlap=False, labelFontSize=13,
                              titleFontSize=14)),
        y=alt.Y("true:N", sort=names, title="True class", axis=alt.Axis(labelFontSize=13, titleFontSize=14)))
    click = alt.selection_point(name=CELL, fields=["true", "predicted"], on="click", clear=False, toggle=False)
    cells = base.mark_rect(cursor="pointer").encode(
        color=alt.Color("share:Q", title="Share of the true class",
                        scale=alt.Scale(type="sqrt", scheme="viridis", domain=[0, 1]),
                        legend=alt.Legend(format=".0%", values=LEGEND_TICKS, gradientLength=step * 9,
                                          orient="bottom", direction="horizontal", titleFontSize=13,
                                          labelFontSize=12, labelOverlap=False)),
        tooltip=[alt.Tooltip("true:N", title="True class"), alt.Tooltip("predicted:N", title="Predicted as"),
                 alt.Tooltip("count:Q", title="Images"), alt.Tooltip("share:Q", title="Share", format=".1%")],
    ).add_params(click)
    numbers = base.mark_text(fontSize=13, cursor="pointer").encode(
        text="text:N",
        color=alt.condition(f"datum.share >= {DARK_TEXT_FROM}", alt.value("black"), alt.value("white")))
    layers = [cells, numbers]
    if shown is not None:
        outline = alt.Chart(alt.Data(values=[{"true": shown[0], "predicted": shown[1]}])).encode(
            x=alt.X("predicted:N", sort=names), y=alt.Y("true:N", sort=names))
        layers += [outline.mark_rect(filled=False, stroke="black", strokeWidth=5),
                   outline.mark_rect(filled=False, stroke="white", strokeWidth=2)]
    return alt.layer(*layers).properties(width=alt.Step(step), height=alt.Step(int(step * 0.8)))


def clicked(selection: Mapping) -> tuple[str, str] | None:
    """(true, predicted) of the cell a click selected, from a chart's selection state; None when none is."""
    points = (selection or {}).get(CELL) or []
    if not points or not isinstance(points[0], Mapping):
        return None
    true, predicted = points[0].get("true"), points[0].get("predicted")
    return (true, predicted) if true in CLASS_NAMES and predicted in CLASS_NAMES else None
