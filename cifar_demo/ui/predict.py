"""Streamlit pieces of the Predict page: one card per upload, with what the model saw and said."""
from __future__ import annotations

import streamlit as st

from .. import charts, data, inference
from . import error_box, presented
from .gradcam import where_it_looked
from .widgets import show_pixels

SEEN = 6                         # pixel zoom of the model's input: 32 px shown as 192 px
FIT_HELP = ("How a photo that is not square becomes the 32×32 square the model takes. **crop**: keep the "
            "middle square (most like CIFAR-10, where the object fills the frame); **pad**: keep everything, "
            "with grey bars; **stretch**: squash it.")


def show_result(result: inference.Result, key: str, model=None) -> None:
    """One upload: the original, the 32x32 the model saw, where it looked (given the model), its top classes."""
    if result.error:
        error_box(result.error)
        return
    with st.container(border=True):
        st.markdown(f"**{result.name}**")
        original, seen, verdict = st.columns([1, 1, 2])
        width, height = result.size or result.original.size  # original is reduced when large; size is the upload's
        preview = result.original.copy()
        preview.thumbnail((200, 400))  # what is shown anyway; encoding a 12-megapixel photo would take a while
        original.image(preview, caption=f"Your image, {width}×{height} px", width=200)
        with seen:
            show_pixels(result.model_input, zoom=SEEN, caption="What the model sees: 32×32 px")
        name, probability = result.top[0]
        if model is not None:
            with seen:
                where_it_looked(model, result.model_input, data.CLASS_NAMES.index(name), key=f"{key}_looked",
                                size=32 * SEEN)
        verdict.markdown(f"The model says **{name}**, {probability:.1%} sure.")
        if result.unsure:
            verdict.warning(f"It is unsure: no class gets even {inference.UNSURE_BELOW:.0%}. It only knows 10 "
                            f"classes ({', '.join(data.CLASS_NAMES)}), so for anything else it can only guess.",
                            icon=":material/help:")
        verdict.plotly_chart(presented(charts.top_k_bars(result.top)), key=key, config={"displayModeBar": False})
