"""Results: how a run did on the test images, where it goes wrong, and its curves beside other runs'."""
import streamlit as st

from cifar_demo import runs, ui

ui.page_guard()
st.title("Results")

all_runs = runs.list_runs()
if not all_runs:
    ui.no_runs_yet()
    st.stop()

run, compared = ui.pick_runs(all_runs)
try:
    ui.run_overview(run)
except runs.RunError as exc:
    ui.error_box(f"**This run cannot be read.** {exc}")
    st.stop()

confusion, per_class, curves, files = st.tabs(["Confusion matrix", "Per-class scores", "Training curves",
                                               "Config and files"])
with confusion:
    ev = ui.load_evaluation(run)
    if ev is not None:
        ui.confusion_explorer(run, ev)
with per_class:
    if ev is not None:
        ui.class_report(ev)
    else:
        st.caption("Per-class scores need test results.")
with curves:
    ui.compare_curves([run, *compared])
with files:
    ui.config_and_files(run)
