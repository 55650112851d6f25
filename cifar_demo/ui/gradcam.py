"""Where the network looked: the Grad-CAM views of Predict, Results and Inside the network."""
from __future__ import annotations

import numpy as np
import streamlit as st

from .. import data, explain, pictures, runs
from . import error_box, load_model
from .widgets import CRISP

GRADCAM_HELP = ("Grad-CAM: how much each place in the last convolution's maps raised the score of the class. "
                "Red: the strongest evidence; blue: none.")


def where_it_looked(model, image: np.ndarray, predicted: int, *, key: str, size: int = 160) -> None:
    """A class picker (the network's answer first chosen) and the Grad-CAM overlay of one uint8 (32, 32, 3) image."""
    if explain.last_conv_layer(model) is None:
        st.caption(f"Where it looked: {explain.NO_CONV[0].lower()}{explain.NO_CONV[1:]}")
        return
    names = data.CLASS_NAMES
    chosen = st.selectbox("Where it looked for", range(len(names)), index=predicted, key=f"{key}_{predicted}",
                          format_func=lambda i: names[i] + (" (its answer)" if i == predicted else ""),
                          help=GRADCAM_HELP)
    heat = explain.gradcam(model, image, chosen)
    st.html(CRISP)
    st.image(pictures.overlay(image, heat, size=size), width=size, output_format="PNG",
             caption=f"Red: where it found the most evidence for {names[chosen]}" if heat.any() else None)
    if not heat.any():
        st.caption(f"An empty map: no place in this image raised the score of **{names[chosen]}**.")


def cell_gradcam(run: runs.Run, images: np.ndarray, predicted: int, *, size: int) -> list[np.ndarray] | None:
    """Behind a toggle, the Grad-CAM overlays of a few uint8 (N, 32, 32, 3) images for a class (the
    network's answer first chosen), or None. The model is loaded only once the toggle is on: the page stays quick."""
    if not st.toggle("Show where it looked (Grad-CAM)", key="results_gradcam",
                     help="Under each image, the places that raised the class's score most.") or not len(images):
        return None
    if not run.has_model:
        st.caption("This run saved no model, so there is nothing to ask where it looked.")
        return None
    try:
        model = load_model(run.model_path)
    except runs.RunError as exc:
        error_box(f"**This run's model could not be loaded.** {exc}")
        return None
    if explain.last_conv_layer(model) is None:
        st.caption(explain.NO_CONV)
        return None
    names = data.CLASS_NAMES
    chosen = st.selectbox("Where it looked for", range(len(names)), index=predicted, key=f"results_looked_{predicted}",
                          format_func=lambda i: names[i] + (" (its answer)" if i == predicted else ""))
    heat = explain.gradcam(model, images, chosen)
    st.caption(f"Under each image: red where it found the most evidence for {names[chosen]}, blue where it "
               "found none.")
    return [pictures.overlay(image, h, size=size) for image, h in zip(images, heat)]
