"""Train: pick a preset or edit the layers, set the training, start it and watch it live."""
import streamlit as st

from cifar_demo import jobs, ui

ui.page_guard()
from cifar_demo.ui import layer_editor, train_live, train_setup  # after the guard: the heavier imports

st.title("Train a network")
st.caption("Training runs in the background: switch pages or reload, and it goes on. "
           "Come back here to watch it.")

job = jobs.current()
busy = job if job is not None and job.snapshot().active else None
if job is not None:
    train_live.training_panel(job)

# While it trains the set-up is drawn only when opened: the browser redraws the whole page at each
# progress update, and a page with every set-up widget cost it nearly twice the CPU, taken from the training.
setup = st.expander("Set up the next training", key="train_setup_open", on_change="rerun") if busy else st.container()
with setup:
    if busy and not setup.open:
        st.stop()
    st.subheader("1. The network")
    base = train_setup.pick_preset()
    spec = layer_editor.layer_editor()
    st.subheader("2. What it computes")
    buildable = layer_editor.spec_summary(spec)
    st.subheader("3. The training")
    settings = train_setup.training_settings(base)
    config = train_setup.train_config(base, spec, settings) if buildable else None
    train_setup.start_button(config, busy)
