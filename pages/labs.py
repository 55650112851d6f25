"""Labs: experiments on a trained network, the one just trained or the one that ships with the app."""
import streamlit as st

from cifar_demo import ui

ui.page_guard()
from cifar_demo.ui import labs_calibration, labs_code, labs_robustness, widgets  # after the guard: the heavier imports

LABS = [("Show me the code", labs_code.code_lab), ("Calibration", labs_calibration.calibration_lab),
        ("Robustness", labs_robustness.robustness_lab)]

st.title("Labs")
st.caption("Experiments no other CNN demo runs for you, on the network you just trained or on the one that "
           "ships with the app. Each tab computes when you open it.")
run = widgets.pick_model()
if run is None:
    widgets.no_model_yet()
    st.stop()
tabs = st.tabs([name for name, _ in LABS], key="labs_tab", on_change="rerun")
for tab, (_, lab) in zip(tabs, LABS):
    if tab.open:
        with tab:
            lab(run)
