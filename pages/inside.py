"""Inside the network: the first layer's filters, every layer's feature maps for one image, and the answer."""
import streamlit as st

from cifar_demo import runs, ui

ui.page_guard()
from cifar_demo.ui import inside as view  # after the guard: the heavier imports
from cifar_demo.ui import widgets

st.title("Inside the network")
st.caption("Follow one image through the network: what each layer makes of it, and where it looked to decide.")

run = widgets.pick_model()
if run is None:
    widgets.no_model_yet()
    st.stop()
try:
    model = ui.load_model(run.model_path)
except runs.RunError as exc:
    ui.error_box(f"**This model could not be loaded.** {exc} Choose another model, or train a new one.")
    st.stop()

view.first_layer(run)

st.subheader("One image, layer by layer", divider="gray")
picked = view.pick_image()
if picked is None:
    st.stop()
name, image = picked
seen, words = st.columns([1, 5], vertical_alignment="center")
with seen:
    widgets.show_pixels(image, zoom=4)
words.markdown(f"**{name}**, as the network gets it: 32×32 pixels, 3 colours. Each layer below turns the maps "
               "before it into new ones; the deeper the layer, the smaller its maps and the more of them.")
try:
    layers, probs = view.look_inside(run, image)
except ValueError as exc:  # a model that is not a CIFAR-10 classifier (explain.ExplainError is one too)
    ui.error_box(f"**This model cannot look at these images.** {exc}")
    st.stop()
view.layer_maps(layers)
view.answer(model, image, probs)
