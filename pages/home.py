"""Home: what the app is, its four steps, where the data came from, which models exist."""
import streamlit as st

from cifar_demo import data, live, runs, ui
from cifar_demo.glossary import link

STEPS = [
    ("pages/explore.py", "1 · Explore the data", ":material/grid_view:",
     "Browse the 60,000 images and the 10 classes, and see what the network is really given: numbers."),
    ("pages/train.py", "2 · Train", ":material/model_training:",
     "Pick an architecture and its settings, then watch the network learn, batch by batch."),
    ("pages/results.py", "3 · Results", ":material/insights:",
     "Accuracy on images it never saw, the classes it confuses, and the mistakes it makes."),
    ("pages/predict.py", "4 · Predict", ":material/photo_camera:",
     "Upload your own photos or take one: see the 32×32 the network gets, and its guess."),
]

ui.page_guard()
from cifar_demo.ui import widgets  # after the guard: the heavier imports

st.title("How a CNN sees CIFAR-10")
st.markdown("Train a small convolutional neural network (CNN) to tell apart ten kinds of tiny photos, then "
            "look at what it learned and try it on your own pictures. Everything runs here, in four steps.")
try:
    source = data.find_source(download=False)
except data.DataError as exc:
    source, problem = None, str(exc)
# presenter mode's larger text needs more room: the classes in two rows, the steps two by two, the parts below
# one under the other (at 1280 pixels its words were cut: "automo bile", "90.…")
wide = not ui.presenting()
if source is not None:
    cifar = ui.load_data()
    widgets.show_pixels(cifar.x_test[data.one_per_class(cifar.y_test, seed=7)], zoom=3,
                        caption=list(data.CLASS_NAMES), per_row=10 if wide else 5, gap="xxsmall")

for column, (page, label, icon, text) in widgets.in_rows(STEPS, len(STEPS) if wide else 2):
    with column.container(border=True, height="stretch"):
        st.page_link(page, label=f"**{label}**", icon=icon)
        st.caption(text)

data_col, models_col = st.columns(2, gap="large") if wide else (st.container(), st.container())
with data_col:
    st.subheader("The data", divider="gray")
    st.markdown("**CIFAR-10**: 60,000 colour photos of 32×32 pixels, 6,000 of each class; 50,000 to train on "
                "and 10,000 kept apart to test. Collected by Alex Krizhevsky, Vinod Nair and Geoffrey Hinton "
                "at the University of Toronto (2009).")
    if source is not None:
        st.caption(f"Read from `{source}`.")
    else:
        st.warning(problem, icon=":material/warning:")

with models_col:
    st.subheader("The models", divider="gray")
    all_runs, default = runs.list_runs(), runs.default_run()
    usable = runs.prediction_runs(all_runs, default)
    runs_metric, models_metric, default_metric = widgets.metric_row(3)
    runs_metric.metric("Training runs", len(all_runs))
    models_metric.metric("Models to predict with", len(usable))
    default_acc = default.summary()["test_accuracy"] if default else None
    default_metric.metric("Default model", widgets.accuracy_text(default_acc) if default_acc else
                          ("ships" if default else "not yet"),
                          help="A model trained in advance (the long preset) that comes with the app, so you can "
                               f"classify a photo before training anything: its test {link('accuracy')}.")
    training = live.training_now()
    snap = live.snapshot(training[0]) if training else None
    if snap is not None and snap.active:
        st.progress(snap.progress, text=f"Training **{snap.run_id}** now: epoch {snap.epoch} of {snap.epochs}, "
                                        f"{snap.progress:.0%} done")
        st.page_link("pages/train.py", label="Watch it train", icon=":material/monitoring:")
    elif usable:
        st.page_link("pages/predict.py", label="Try a model on your own photos", icon=":material/photo_camera:")
    else:
        st.page_link("pages/train.py", label="Train your first model", icon=":material/model_training:")
