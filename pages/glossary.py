"""Glossary: every term the app uses, in plain words, each with its own link."""
import streamlit as st

from cifar_demo import ui

ui.page_guard()
from cifar_demo.ui import glossary as view

st.title("Glossary")
st.caption("The words of this app in plain language. The help texts (the ⓘ marks) link here; "
           "each term has its own link to share.")
view.index()
view.entries()
