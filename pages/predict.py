"""Predict: classify the user's own images, showing the 32x32 the model actually gets."""
import streamlit as st

from cifar_demo import inference, runs, ui
from cifar_demo.glossary import link

ui.page_guard()
from cifar_demo.ui import labs_map, widgets
from cifar_demo.ui import predict as view  # after the guard: the heavier imports

st.title("Predict")
st.caption("Show the network your own pictures. It sees only 32×32 pixels and knows only the 10 CIFAR-10 classes.")

run = widgets.pick_model()  # on a line of its own: its label ends in the model's accuracy
if run is None:
    widgets.no_model_yet()
    st.stop()
fit_col, k_col = st.columns([1.3, 1], vertical_alignment="bottom", width=ui.scaled(520))
fit = fit_col.segmented_control("Fit", inference.FITS, default="crop", required=True, key="predict_fit",
                                help=view.FIT_HELP)
k = k_col.slider("Classes to show", 1, 10, 5, key="predict_k",
                help=f"How many of the 10 classes to list, the most probable first ({link('softmax')}).")
files = st.file_uploader("Images (one or many)", type=list(inference.EXTENSIONS), accept_multiple_files=True,
                         key="predict_files")
photo = st.camera_input("Take a photo") if st.toggle("Use the camera", key="predict_camera") else None
try:  # after the widgets, so that the page can be used while the first model loads
    model = ui.load_model(run.model_path)
except runs.RunError as exc:
    ui.error_box(f"**This model could not be loaded.** {exc} Choose another model, or train a new one.")
    st.stop()

uploads = [(f.name, f.getvalue()) for f in files or []]
if photo is not None:
    uploads.append(("camera photo", photo.getvalue()))
if not uploads:
    st.info("Upload a photo of an airplane, car, bird, cat, deer, dog, frog, horse, ship or truck to begin.",
            icon=":material/upload:")
    st.stop()

try:
    results = inference.classify_uploads(model, uploads, fit=fit, k=k)
except ValueError as exc:  # a model that is not a CIFAR-10 classifier
    ui.error_box(f"**This model cannot classify these images.** {exc}")
    st.stop()
for i, result in enumerate(results):
    view.show_result(result, key=f"predict_chart_{i}", model=model)
    if result.error is None:
        # the first look reads 5,000 training images through the network: only when asked
        near = st.expander("It looks like these: the training images nearest to it, as the network sees them",
                           key=f"predict_near_open_{i}", on_change="rerun", icon=":material/image_search:")
        if near.open:
            with near:
                labs_map.looks_like(run, model, result.model_input, key=f"predict_near_{i}")
