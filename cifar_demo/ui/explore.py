"""Streamlit pieces of the Explore page: the sample grid (click an image to open it up close), its controls,
the close-up, class means, augmentation."""
from __future__ import annotations

import numpy as np
import streamlit as st

from .. import data, pictures
from ..glossary import link
from ..recipes import DEFAULT_PRESET
from ..settings import AUGMENTATION, TrainConfig, in_section
from . import cached_data, presenting
from .widgets import CRISP, in_rows

PER_PAGE = 40                    # images in one page of the Explore grid
GRID_COLUMNS = 5                 # images in a row of the grid, beside the close-up
THUMB, LARGE = 3, 8              # pixel zooms: 96 px thumbnails, 256 px close-ups
INDEX = "explore_index"          # the image open in the close-up


def new_page() -> None:
    st.session_state.pop(INDEX, None)  # the close-up follows the grid to its new first image


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
                                        key="explore_split", on_change=_first_page,
                                        help=f"The {link('training set', '50,000 images it learns from')} or the "
                                             f"{link('test set', '10,000 kept apart to test it')}.")
    seed = seed_col.number_input("Shuffle seed", 0, 9_999, key="explore_seed", on_change=_first_page,
                                 help="The same seed always shows the same grid.")
    button_col.button("Reshuffle", icon=":material/shuffle:", on_click=_reshuffle)
    classes = st.pills("Classes (none chosen: all of them)", range(len(data.CLASS_NAMES)), selection_mode="multi",
                       format_func=data.CLASS_NAMES.__getitem__, key="explore_classes", on_change=_first_page,
                       help=f"The 10 {link('class', 'classes')}: show only the ones you pick.")
    return split, list(classes), int(seed)


def sample_grid(images: np.ndarray, labels: np.ndarray, shown: np.ndarray) -> None:
    """The page's images in rows, each with its class as a button under it: a click opens it up close."""
    st.html(CRISP)
    opened = st.session_state.get(INDEX)
    per_row = GRID_COLUMNS - presenting()  # presenter mode's larger names ("automobile") need the room
    for column, i in in_rows([int(i) for i in shown], per_row, gap="xsmall"):
        column.image(pictures.upscale(images[i], THUMB), output_format="PNG")
        column.button(data.CLASS_NAMES[labels[i]], key=f"explore_open_{i}", type="tertiary",
                      icon=":material/zoom_in:" if i == opened else None,
                      help=f"Image #{i:,}: open it up close.", on_click=st.session_state.__setitem__,
                      args=(INDEX, i))


def open_index(count: int, first: int) -> int:
    """The index of the image open up close: ``first`` at the start, kept below count when the split changes."""
    if st.session_state.get(INDEX, count) >= count:
        st.session_state[INDEX] = first
    return int(st.session_state[INDEX])


def pick_index(count: int) -> int:
    """A number box for the image open up close (``open_index`` first), for the keyboard."""
    return int(st.number_input(f"Image number, 0 to {count - 1:,}", 0, count - 1, key=INDEX,
                               help="Click an image of the grid to open it here, or type its number."))


def pixel_stages(image: np.ndarray) -> list[dict]:
    """The image's numbers as stored and as the network gets them, a row per fact, a column per stage."""
    stored, given = pictures.describe_pixels(image)
    facts = {"shape": "Shape", "dtype": "Number type", "min": "Lowest", "max": "Highest", "mean": "Mean"}
    return [{"": label, **{stage: row[key] if isinstance(row[key], str) else f"{row[key]:.4g}"
                           for stage, row in (("As stored (0–255)", stored), ("As the network gets it (÷255)", given))}}
            for key, label in facts.items()]


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
        common = {"key": f"augment_{name}", "help": f"{setting.help} ({link('augmentation')})"}
        with column:
            if setting.kind is bool:
                amounts[name] = st.toggle(setting.title(), value=getattr(start, name), **common)
            else:
                amounts[name] = st.slider(setting.title(), int(setting.low), int(setting.high),
                                          getattr(start, name), **common)
    st.button("New draw", icon=":material/casino:", on_click=new_draw)
    return amounts
