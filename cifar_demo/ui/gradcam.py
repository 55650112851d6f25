"""Where the network looked: the Grad-CAM views of Predict, Results and Inside the network, with their colour
scale and a word on how coarse they are."""
from __future__ import annotations

import numpy as np
import streamlit as st

from .. import data, explain, pictures, runs
from ..glossary import link
from . import error_box, howto, load_model
from .widgets import CRISP, colour_bar

GRADCAM_HELP = (f"{link('Grad-CAM')}: how much each place in the last convolution's maps raised the score of the "
                "class. Bright yellow: the strongest evidence; dark purple: none.")
NO_EVIDENCE, MOST_EVIDENCE = "no evidence", "the most evidence"


def _class_picker(predicted: int, key: str) -> int:
    names = data.CLASS_NAMES
    return st.selectbox("Where it looked for", range(len(names)), index=predicted, key=key,
                        format_func=lambda i: names[i] + (" (its answer)" if i == predicted else ""),
                        help=GRADCAM_HELP)


def where_it_looked(model, image: np.ndarray, predicted: int, *, key: str, size: int = 160,
                    explain_it: bool = True) -> None:
    """A class picker (the network's answer first chosen) and the Grad-CAM overlay of one uint8 (32, 32, 3) image,
    its colour scale under it; with ``explain_it``, a sentence on which layer it reads and how coarse that is."""
    looked = explain.looked_at(model)
    if looked is None:
        st.caption(f"Where it looked: {explain.NO_CONV[0].lower()}{explain.NO_CONV[1:]}")
        return
    names = data.CLASS_NAMES
    chosen = _class_picker(predicted, f"{key}_{predicted}")
    heat = explain.gradcam(model, image, chosen)
    st.html(CRISP)
    st.image(pictures.overlay(image, heat, size=size), width=size, output_format="PNG",
             caption=f"Bright: where it found the most evidence for {names[chosen]}" if heat.any() else None)
    if not heat.any():
        st.caption(f"An empty map: no place in this image raised the score of **{names[chosen]}**.")
    colour_bar(NO_EVIDENCE, MOST_EVIDENCE, width=size)
    if explain_it:
        st.caption(howto.gradcam(looked))


def cell_gradcam(run: runs.Run, images: np.ndarray, predicted: int, *, size: int) -> list[np.ndarray] | None:
    """Behind a toggle, the Grad-CAM overlays of a few uint8 (N, 32, 32, 3) images for a class (the
    network's answer first chosen), or None. The model is loaded only once the toggle is on: the page stays quick."""
    if not st.toggle("Show where it looked (Grad-CAM)", key="results_gradcam",
                     help=f"Under each image, the places that raised the class's score most: {link('Grad-CAM')}.") \
            or not len(images):
        return None
    if not run.has_model:
        st.caption("This run saved no model, so there is nothing to ask where it looked.")
        return None
    try:
        model = load_model(run.model_path)
    except runs.RunError as exc:
        error_box(f"**This run's model could not be loaded.** {exc}")
        return None
    looked = explain.looked_at(model)
    if looked is None:
        st.caption(explain.NO_CONV)
        return None
    names = data.CLASS_NAMES
    chosen = _class_picker(predicted, f"results_looked_{predicted}")
    heat = explain.gradcam(model, images, chosen)
    st.caption(f"Under each image: bright where it found the most evidence for {names[chosen]}, dark where it "
               f"found none. {howto.gradcam(looked)}")
    colour_bar(NO_EVIDENCE, MOST_EVIDENCE)
    return [pictures.overlay(image, h, size=size) for image, h in zip(images, heat)]
