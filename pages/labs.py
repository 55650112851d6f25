"""Labs: experiments on a trained network, the one just trained or the one that ships with the app."""
import streamlit as st

from cifar_demo import ui

ui.page_guard()
from cifar_demo.ui import labs_tabs, widgets  # after the guard: the heavier imports

st.title("Labs")
st.caption("Experiments no other CNN demo runs for you, on the network you just trained or on the one that "
           "ships with the app. Each tab computes when you open it.")
run = widgets.pick_model()
if run is None:
    widgets.no_model_yet()
    st.stop()
labs_tabs.open_linked_lab()  # a link can name the lab to open: ?lab=calibration
tabs = st.tabs([name for name, _ in labs_tabs.LABS], key=labs_tabs.TAB, on_change="rerun")
labs_tabs.keep_lab_link()
for tab, (_, lab) in zip(tabs, labs_tabs.LABS):
    if tab.open:
        with tab:
            lab(run)
