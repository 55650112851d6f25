"""cifar-demo: the entry point. Page config, the navigation over pages/, the shared sidebar."""
import streamlit as st

from cifar_demo import ui

st.set_page_config(page_title="cifar-demo: how a CNN sees CIFAR-10", page_icon="🧠", layout="wide")
page = ui.navigation()
ui.sidebar(page.url_path)
with ui.routed(page.url_path):
    page.run()
