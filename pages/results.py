"""Results: how a run did on the test images, where it goes wrong, and its curves beside other runs'."""
import streamlit as st

from cifar_demo import runs, ui

ui.page_guard()
from cifar_demo.ui import compare as actions
from cifar_demo.ui import labs_code
from cifar_demo.ui import results as view  # after the guard: the heavier imports

st.title("Results")

all_runs, shipped = runs.list_runs(), runs.default_run()
if not all_runs:
    view.no_runs_yet(shipped is not None)
    if shipped is None:
        st.stop()

run, compared = view.pick_runs(all_runs + ([shipped] if shipped else []))
try:
    view.run_overview(run)
    actions.run_actions(run, place="results")
except runs.RunError as exc:
    ui.error_box(f"**This run cannot be read.** {exc}")
    st.stop()

confusion, mistakes, per_class, curves, code, files = st.tabs(
    ["Confusion matrix", "Mistakes", "Per-class scores", "Training curves", "Code", "Config and files"],
    key="results_tab", on_change="rerun")
with confusion:
    ev = view.load_evaluation(run)
    if ev is not None:
        view.confusion_explorer(run, ev)
with mistakes:
    if ev is None:
        st.caption("The mistakes need test results.")
    elif mistakes.open:  # drawn only when looked at: it is many images
        view.mistakes_gallery(run, ev)
with per_class:
    if ev is not None:
        view.class_report(run, ev)
    else:
        st.caption("Per-class scores need test results.")
with curves:
    view.compare_curves([run, *compared])
with code:
    if code.open:  # written only when looked at
        labs_code.run_code(run, key="results_code")
with files:
    view.config_and_files(run)
