"""The Labs page's tabs, in order: each lab's name and the function that draws it for a run; and the open
tab held in the address (?lab=calibration), so that a link opens one lab."""
from __future__ import annotations

import streamlit as st

from .labs_baselines import baselines_lab
from .labs_calibration import calibration_lab
from .labs_code import code_lab
from .labs_conv import conv_lab
from .labs_map import map_lab
from .labs_robustness import robustness_lab

LABS = [
    ("Show me the code", code_lab),
    ("Calibration", calibration_lab),
    ("Robustness", robustness_lab),
    ("Baselines", baselines_lab),
    ("Map of what it learned", map_lab),
    ("A convolution by hand", conv_lab),
]
LINKS = dict(zip(("code", "calibration", "robustness", "baselines", "map", "convolution"), (n for n, _ in LABS)))
TAB = "labs_tab"        # the tabs' key: the open tab's name
LAB_LINK = "labs_link"  # the ?lab= this session last put in the address or took from it


def open_linked_lab() -> None:
    """Before the tabs: open the lab a new link names; say so when the link names no lab."""
    ss, wanted = st.session_state, st.query_params.get("lab")
    if wanted is None or wanted == ss.get(LAB_LINK):
        return
    ss[LAB_LINK] = wanted
    if wanted in LINKS:
        ss[TAB] = LINKS[wanted]
    else:
        st.caption(f"The link asked for a lab this page does not have, so it opens on {LABS[0][0]}.")


def keep_lab_link() -> None:
    """After the tabs: the open tab's lab in the address."""
    ss = st.session_state
    name = next((key for key, title in LINKS.items() if title == ss.get(TAB)), None)
    if name is not None and st.query_params.get("lab") != name:
        st.query_params["lab"] = name
    ss[LAB_LINK] = name
