"""Streamlit pieces of the Glossary page: every term in plain words, each under its own anchor."""
from __future__ import annotations

import streamlit as st

from ..glossary import GROUPS, TERMS, anchor


def index() -> None:
    """The terms of each group as links to their entries, a line per group."""
    for group in GROUPS:
        links = " · ".join(f"[{t.name}](#{anchor(t.name)})" for t in TERMS if t.group == group)
        st.markdown(f"**{group}:** {links}")


def entries() -> None:
    """Each group under a heading, each term under its own (linkable) heading."""
    for group in GROUPS:
        st.header(group, divider="gray", anchor=anchor(group))
        for term in (t for t in TERMS if t.group == group):
            st.subheader(term.name[0].upper() + term.name[1:], anchor=anchor(term.name))
            st.markdown(term.meaning)
