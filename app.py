"""cifar-demo: the entry point. Page config, the navigation over pages/, the shared sidebar."""
import streamlit as st

from cifar_demo import ui

ui.keep_keras_session()
st.set_page_config(page_title="cifar-demo: how a CNN sees CIFAR-10", page_icon="🧠", layout="wide")
page = st.navigation([st.Page(path, title=title, icon=icon, url_path=url, default=url == "home")
                      for path, title, icon, url in ui.PAGES])
ui.sidebar(page.url_path)
with ui.routed():
    page.run()
