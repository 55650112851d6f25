"""Inside the network: one image's answer and where it looked, then its layers one at a time, then the filters."""
import streamlit as st

from cifar_demo import runs, ui

ui.page_guard()
from cifar_demo.ui import inside as view  # after the guard: the heavier imports
from cifar_demo.ui import widgets

st.title("Inside the network")
st.caption("Follow one image through the network: its answer and where it looked, then what each layer makes "
           "of it, then what the first layer looks for.")

run = widgets.pick_model()  # on a line of its own: its label ends in the model's accuracy
if run is None:
    widgets.no_model_yet()
    st.stop()
try:
    model = ui.load_model(run.model_path)
except runs.RunError as exc:
    ui.error_box(f"**This model could not be loaded.** {exc} Choose another model, or train a new one.")
    st.stop()

picked = view.pick_image(*st.columns([2, 1.5, 1.2], vertical_alignment="bottom", width=ui.scaled(640)))
if picked is None:
    st.stop()
name, image = picked
try:
    layers, probs = view.look_inside(run, image)
except ValueError as exc:  # a model that is not a CIFAR-10 classifier (explain.ExplainError is one too)
    ui.error_box(f"**This model cannot look at these images.** {exc}")
    st.stop()
view.answer(model, name, image, probs)
view.layer_strip(layers, key=f"inside_layer_{run.id}")
view.first_layer(run)
