"""Streamlit pieces of the Home, Explore and Predict pages: crisp image grids, sample controls, model picker, prediction cards."""
from __future__ import annotations

import numpy as np
import streamlit as st

from .. import charts, data, inference, runs
from . import DEFAULT_MODEL, _load_data, error_box

PER_PAGE = 40                    # images in one page of the Explore grid
THUMB, LARGE, SEEN = 3, 8, 6     # pixel zooms: 96 px thumbnails, 256 px close-ups, 192 px model inputs


# the browser must not smooth the pixels either, when it scales an image to a narrow column or a HiDPI screen
_CRISP = "<style>[data-testid='stImage'] img {image-rendering: pixelated;}</style>"


def show_pixels(images, *, zoom: int, caption=None, per_row: int | None = None) -> None:
    """uint8 image(s) of shape (H, W, 3) or (N, H, W, 3), each pixel shown as a zoom x zoom block.

    Enlarged here, by whole pixels, and sent as PNG: JPEG would smear the
    blocks. ``per_row`` puts N images in rows of that many columns, each image
    as wide as its column; by default they keep their size and wrap as the page width allows.
    """
    st.html(_CRISP)
    big = data.upscale(images, zoom)
    if big.ndim == 3 or per_row is None:
        st.image(list(big) if big.ndim == 4 else big, caption=caption, width=big.shape[-2], output_format="PNG")
        return
    captions = caption if caption is not None else [None] * len(big)
    for start in range(0, len(big), per_row):
        for column, image, text in zip(st.columns(per_row, gap="small"), big[start:start + per_row],
                                       captions[start:start + per_row]):
            column.image(image, caption=text, width="stretch", output_format="PNG")


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
    return data.mean_images(*_load_data().split(split))


def _model_label(run: runs.Run) -> str:
    try:
        summary = run.summary()
    except runs.RunError:
        return f"{run.id} (unreadable)"
    accuracy = summary["test_accuracy"]
    score = f"test accuracy {accuracy:.0%}" if accuracy is not None else "not tested"
    name = DEFAULT_MODEL if run == runs.default_run() else f"{run.id} · {summary['status']}"
    return f"{name} · {score}"


def no_model_yet() -> None:
    """What a page that needs a model says when there is none yet."""
    st.info("There is no trained model yet. Train one first: a small one takes a minute or two.",
            icon=":material/info:")
    st.page_link("pages/train.py", label="Go to Train", icon=":material/model_training:")


def pick_model() -> runs.Run | None:
    """A select box over the models that can predict; the chosen run, or None when there is none."""
    choices, index = inference.prediction_models(runs.list_runs(), runs.default_run())
    if not choices:
        return None
    return st.selectbox("Model", choices, index=index, format_func=_model_label, key="predict_model")


def show_result(result: inference.Result, key: str, model=None) -> None:
    """One upload: the original, the 32x32 the model saw, where it looked (given the model), its top classes."""
    if result.error:
        error_box(result.error)
        return
    with st.container(border=True):
        st.markdown(f"**{result.name}**")
        original, seen, verdict = st.columns([1, 1, 2])
        width, height = result.size or result.original.size  # original is reduced when large; size is the upload's
        preview = result.original.copy()
        preview.thumbnail((200, 400))  # what is shown anyway; encoding a 12-megapixel photo would take a while
        original.image(preview, caption=f"Your image, {width}×{height} px", width=200)
        with seen:
            show_pixels(result.model_input, zoom=SEEN, caption="What the model sees: 32×32 px")
        name, probability = result.top[0]
        if model is not None:
            with seen:
                from .inside import where_it_looked  # here, not at the top: ui.inside imports this module
                where_it_looked(model, result.model_input, data.CLASS_NAMES.index(name), key=f"{key}_looked",
                                size=32 * SEEN)
        verdict.markdown(f"The model says **{name}**, {probability:.1%} sure.")
        if result.unsure:
            verdict.warning(f"It is unsure: no class gets even {inference.UNSURE_BELOW:.0%}. It only knows 10 "
                            f"classes ({', '.join(data.CLASS_NAMES)}), so for anything else it can only guess.",
                            icon=":material/help:")
        verdict.plotly_chart(charts.top_k_bars(result.top), key=key, config={"displayModeBar": False})
