import streamlit as st
from cifar_demo import ui

ui.page_guard()
st.title("home")
st.write("stub")
