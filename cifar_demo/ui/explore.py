"""Streamlit pieces of the Explore page: the sample grid's controls, the close-up, class means, augmentation."""
from __future__ import annotations

import numpy as np
import streamlit as st

from .. import data
from ..recipes import DEFAULT_PRESET
from ..settings import AUGMENTATION, TrainConfig, in_section
from . import cached_data

PER_PAGE = 40                    # images in one page of the Explore grid
THUMB, LARGE = 3, 8              # pixel zooms: 96 px thumbnails, 256 px close-ups


def new_page() -> None:
    st.session_state.pop("explore_index", None)  # the close-up follows the grid to its new first image


def _first_page() -> None:
    st.session_state.pop("explore_page", None)  # the pagination widget starts again at its default, page 1
    new_page()


def _reshuffle() -> None:
    st.session_state["explore_seed"] = int(np.random.default_rng().integers(10_000))
    _first_page()


def sample_controls() -> tuple[str, list[int], int]:
    """The grid's split, classes (empty: all) and shuffle seed."""
    split_col, seed_col, button_col = st.columns([1, 1, 1], vertical_alignment="bottom", width=520)
    split = split_col.segmented_control("Split", ["train", "test"], default="train", required=True,
                                        key="explore_split", on_change=_first_page)
    seed = seed_col.number_input("Shuffle seed", 0, 9_999, key="explore_seed", on_change=_first_page,
                                 help="The same seed always shows the same grid.")
    button_col.button("Reshuffle", icon=":material/shuffle:", on_click=_reshuffle)
    classes = st.pills("Classes (none chosen: all of them)", range(len(data.CLASS_NAMES)), selection_mode="multi",
                       format_func=data.CLASS_NAMES.__getitem__, key="explore_classes", on_change=_first_page)
    return split, list(classes), int(seed)


def pick_index(count: int, first: int) -> int:
    """The index of the image to look at closely: ``first`` at the start, kept below count when the split changes."""
    if st.session_state.get("explore_index", count) >= count:
        st.session_state["explore_index"] = first
    return int(st.number_input(f"Image index, 0 to {count - 1:,} (the # under each image)", 0, count - 1,
                               key="explore_index"))


def new_draw() -> None:
    st.session_state["augment_seed"] = draw_seed() + 1


def draw_seed() -> int:
    """Seeds the augmentation preview; "New draw" moves it on."""
    return st.session_state.get("augment_seed", 0)


@st.cache_data(show_spinner="Averaging the images of each class…")
def mean_images(split: str) -> np.ndarray:
    """uint8 (10, 32, 32, 3): the per-class mean image of a split, computed once per server."""
    return data.mean_images(*cached_data().split(split))


def augmentation_controls() -> dict:
    """A widget for each augmentation in the settings table, starting at the default preset's values;
    returns {augmentation setting: amount}, as ``augment.augmented_copies`` takes it."""
    start = TrainConfig.for_preset(DEFAULT_PRESET)
    shown = in_section(AUGMENTATION)
    amounts = {}
    for column, (name, setting) in zip(st.columns([1] * len(shown) + [0.6], vertical_alignment="bottom"),
                                       shown.items()):
        common = {"key": f"augment_{name}", "help": setting.help}
        with column:
            if setting.kind is bool:
                amounts[name] = st.toggle(setting.title(), value=getattr(start, name), **common)
            else:
                amounts[name] = st.slider(setting.title(), int(setting.low), int(setting.high),
                                          getattr(start, name), **common)
    st.button("New draw", icon=":material/casino:", on_click=new_draw)
    return amounts
