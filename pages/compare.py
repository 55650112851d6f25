"""Compare runs: every run in one sortable table, curves overlaid, resume, train again, delete, import a model."""
import streamlit as st

from cifar_demo import runs, transfer, ui

ui.page_guard()
from cifar_demo.ui import compare as view  # after the guard: the heavier imports

st.title("Compare runs")
st.caption("Every training run side by side. Click a column header to sort; tick rows to overlay their curves.")

all_runs = runs.list_runs()
if all_runs:
    chosen = view.runs_table(all_runs)
    view.overlay_curves(chosen)
    st.subheader("One run", divider="gray")
    run = view.pick_run(all_runs)
    view.run_actions(run, place="runs", manage=True)
    st.caption(f"Each run also keeps TensorBoard logs: `tensorboard --logdir {runs.root()}`.")
else:
    view.flash("runs")  # "Deleted run …", when that was the last one
    st.info("No runs yet. Train a network, or import one below.", icon=":material/info:")
    st.page_link("pages/train.py", label="Go to Train", icon=":material/model_training:")

st.subheader("Import a model", divider="gray")
st.caption(f"A CIFAR-10 classifier trained elsewhere becomes a run like the others, tested on the first "
           f"{transfer.IMPORT_TEST_IMAGES:,} test images. It gets the app's preprocessing: pixels scaled to 0–1.")
view.flash("import")
view.import_uploader()
