"""Train: pick a preset or edit the layers, set the training, start it and watch it live."""
import streamlit as st

from cifar_demo import live, trainqueue, ui

ui.page_guard()
# after the guard: the heavier imports
from cifar_demo.ui import labs_code, layer_editor, train_link, train_live, train_setup

st.title("Train a network")
st.caption("Each training runs in a process of its own: switch pages, reload, even stop the app, and it goes "
           "on. Come back here to watch it; every browser sees the same trainings.")

training, waiting = live.training_now(), trainqueue.queued()
for run in training or [r for r in [train_live.last_training()] if r is not None]:
    train_live.training_panel(run)
train_live.queue_panel(waiting)
train_live.watch_for_changes(training, waiting)

# While it trains the set-up is drawn only when opened: the browser redraws the whole page at each
# progress update, and a page with every set-up widget cost it nearly twice the CPU, taken from the training.
busy = bool(training)
setup = st.expander("Set up the next training", key="train_setup_open", on_change="rerun") if busy else st.container()
with setup:
    if busy and not setup.open:
        st.stop()
    train_link.open_link()  # a lesson link's set-up goes into the widgets before they are drawn
    st.subheader("1. The network")
    base = train_setup.pick_preset()
    launch = st.container()  # Start goes here, near the top, once the settings below are known
    spec = layer_editor.layer_editor()
    st.subheader("2. What it computes")
    buildable = layer_editor.spec_summary(spec)
    st.subheader("3. The training")
    settings = train_setup.training_settings(base)
    config = train_setup.train_config(base, spec, settings) if buildable else None
    train_link.share_link(train_link.keep_link(base, spec, settings))
    with launch:
        train_setup.start_button(config, busy)
    train_setup.start_button(config, busy, key="train_start_below")  # and here, after the settings
    if config is not None:
        code = st.expander("Show me the code: this network and its training as a Keras script",
                           icon=":material/code:", key="train_code_open", on_change="rerun")
        if code.open:  # written only when looked at
            with code:
                labs_code.setup_code(config, key="train_code")
