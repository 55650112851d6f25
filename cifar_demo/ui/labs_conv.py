"""Convolution lab: one value of a first-layer feature map worked out by hand, number by number."""
from __future__ import annotations

import numpy as np
import streamlit as st

from .. import data, handconv, pictures, runs
from . import load_data
from .labs import how_to_read, model_of
from .widgets import CRISP

ZOOM = 6                       # the image at 192 px, each pixel a 6x6 block
COLOURS = (("red", "#d62728"), ("green", "#2ca02c"), ("blue", "#1f77b4"))
OUTLINE = np.array([255, 215, 0], np.uint8)  # the window drawn on the image and the map: gold
TABLE_CSS = ("<style>.hand td{border:1px solid #ddd;padding:1px 4px;text-align:right;font-family:monospace;"
             "font-size:0.85rem}.hand{border-collapse:collapse;margin:0 6px}.hand caption{font-size:0.8rem;"
             "color:#555;caption-side:top;text-align:left;white-space:nowrap}.row{display:flex;align-items:center;gap:4px;"
             "margin-bottom:6px;flex-wrap:wrap}.op{font-size:1.3rem;color:#555}</style>")


def outlined(picture: np.ndarray, top: int, left: int, size: int, zoom: int) -> np.ndarray:
    """An (H, W, 3) uint8 picture enlarged ``zoom`` times, with a 2-px frame round the size x size window at
    (top, left); the part of the window outside the picture is left off."""
    big = pictures.upscale(np.asarray(picture), zoom).copy()
    h, w = big.shape[:2]
    y0, x0, y1, x1 = top * zoom, left * zoom, (top + size) * zoom, (left + size) * zoom
    cy0, cx0, cy1, cx1 = max(y0, 0), max(x0, 0), min(y1, h), min(x1, w)
    for ys, xs in ((slice(cy0, min(cy0 + 2, h)), slice(cx0, cx1)), (slice(max(cy1 - 2, 0), cy1), slice(cx0, cx1)),
                   (slice(cy0, cy1), slice(cx0, min(cx0 + 2, w))), (slice(cy0, cy1), slice(max(cx1 - 2, 0), cx1))):
        big[ys, xs] = OUTLINE
    return big


def _table(values: np.ndarray, caption: str, colour: str, outside: np.ndarray | None = None) -> str:
    cells = "".join("<tr>" + "".join(
        f"<td style='color:{'#aaa' if outside is not None and outside[i, j] else colour}'>{values[i, j]:+.3f}</td>"
        for j in range(values.shape[1])) + "</tr>" for i in range(values.shape[0]))
    return f"<table class='hand'><caption>{caption}</caption>{cells}</table>"


def _arithmetic(w: handconv.Worked) -> None:
    outside = w.pixels[:, :, 0] < 0
    rows = []
    for c, (name, colour) in enumerate(COLOURS):
        rows.append(f"<div class='row'>{_table(w.patch[:, :, c], f'{name} pixels ÷ 255', colour, outside)}"
                    f"<span class='op'>×</span>{_table(w.kernel[:, :, c], f'filter, {name}', colour)}"
                    f"<span class='op'>=</span>"
                    f"{_table(w.products[:, :, c], f'products, {name}: sum {w.products[:, :, c].sum():+.4f}', colour)}"
                    "</div>")
    st.html(TABLE_CSS + "".join(rows))
    k = w.kernel.shape[0]
    act = {"linear": "no activation: it stays"}.get(w.activation, f"{w.activation} makes it")
    st.markdown(f"The {k * k * 3} products add up to **{w.total - w.bias:+.4f}**; plus the bias "
                f"{w.bias:+.4f} that is **{w.total:+.4f}**; {act} **{w.value:+.4f}**.")
    agree = "agrees to 2–3 digits: the layer computes in bfloat16" if w.compute_dtype == "bfloat16" else "the same"
    st.success(f"The layer's own output at that place: **{w.layer_value:+.4f}** ({agree}).",
               icon=":material/check_circle:")


def conv_lab(run: runs.Run) -> None:
    model = model_of(run)
    if model is None:
        return
    cifar = load_data()
    try:
        layer = handconv.conv_layer(model)
        height, width, filters = layer.output.shape[1:]
    except handconv.HandError as exc:
        st.info(str(exc), icon=":material/info:")
        return
    pick_image, pick_filter, pick_row, pick_col = st.columns(4)
    index = int(pick_image.number_input("Test image number", 0, len(cifar.y_test) - 1, 3, key="labs_conv_image"))
    f = pick_filter.slider("Filter", 0, filters - 1, 0, key="labs_conv_filter")
    row = pick_row.slider("Row of the feature map", 0, height - 1, height // 2, key="labs_conv_row")
    col = pick_col.slider("Column of the feature map", 0, width - 1, width // 2, key="labs_conv_col")
    image = cifar.x_test[index]
    w = handconv.by_hand(model, image, f, row, col)
    k = w.kernel.shape[0]
    picture, arithmetic = st.columns([1, 3], gap="medium")
    with picture:
        st.html(CRISP)
        st.image(outlined(image, w.top, w.left, k, ZOOM), output_format="PNG",
                 caption=f"Test image {index} ({data.CLASS_NAMES[cifar.y_test[index]]}): the {k}×{k} window in gold")
        fmap = handconv.feature_map(model, image, f)
        shown = pictures.scaled_maps(fmap[:, :, None], 1)[0]
        st.image(outlined(np.repeat(shown[:, :, None], 3, axis=2), row, col, 1, max(1, 192 // height)),
                 output_format="PNG", caption=f"Feature map of filter {f} ({height}×{width}): the value, framed")
    with arithmetic:
        _arithmetic(w)
    fitted = "" if w.learned else (" This network's first convolution is its patch-whitening layer: its filters "
                                   "were fitted to the training images, not learned, but the arithmetic is the same.")
    padding = "; grey ones lie outside the image, in the zero padding" if (w.pixels < 0).any() else ""
    how_to_read(f"The first convolution ({w.layer}) lays each {k}×{k}×3 filter over a {k}×{k} window of the image, "
                f"multiplies the {k * k * 3} pixel values (red, green and blue, each divided by 255{padding}) by the "
                "filter's numbers and adds them up with the bias: "
                f"here that gives {w.value:+.4f}, the brightness of the framed square in feature map {f}. Move the "
                "row and column and the window slides; the whole map is this sum at every position.")
    if fitted:
        st.caption(fitted.strip())
