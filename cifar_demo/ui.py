"""The one place pages share Streamlit helpers: cached loaders, the sidebar, routing.

Only app.py, pages/ and this module import Streamlit; the rest of cifar_demo
runs without it.
"""
from __future__ import annotations

import contextlib
import threading
from pathlib import Path

import streamlit as st

from . import data, jobs, runs

ROOT = Path(__file__).resolve().parent.parent
# (file, title, icon, url path); the url path is the file's stem, the name Streamlit's
# legacy pages/ mode infers too, so a deep link means the same page in both modes
PAGES = [
    ("pages/home.py", "Home", ":material/home:", "home"),
    ("pages/explore.py", "Explore the data", ":material/grid_view:", "explore"),
    ("pages/train.py", "Train", ":material/model_training:", "train"),
    ("pages/results.py", "Results", ":material/insights:", "results"),
    ("pages/predict.py", "Predict", ":material/photo_camera:", "predict"),
]

_routing = threading.local()  # set while app.py runs a page: each script run has its own thread


@contextlib.contextmanager
def routed():
    """app.py runs the chosen page inside this, so pages can tell they were routed."""
    _routing.active = True
    try:
        yield
    finally:
        _routing.active = False


def page_guard() -> None:
    """Call first in every page: send a page run outside app.py back through app.py.

    While a pages/ folder exists, Streamlit runs the page file of a deep link
    (e.g. /train) directly when it is a fresh server's first request, in its
    legacy multipage mode: no page config, no sidebar, the wrong menu. Turning
    that mode off and rerunning makes the same URL go through app.py.
    """
    if getattr(_routing, "active", False):
        return
    from streamlit.runtime.pages_manager import PagesManager
    PagesManager.uses_pages_directory = False
    st.rerun()


# --- cached loaders ------------------------------------------------------------------------------------

@st.cache_resource(show_spinner="Loading CIFAR-10…")
def _load_data() -> data.Cifar10:
    return data.load()


def load_data() -> data.Cifar10:
    """CIFAR-10, loaded once per server; a missing or broken data set stops the page with a message."""
    try:
        return _load_data()
    except data.DataError as exc:
        st.error(f"**The CIFAR-10 data set could not be loaded.** {exc}", icon=":material/error:")
        st.stop()


@st.cache_resource(show_spinner="Loading the model…", max_entries=8)
def _load_model(path: str, mtime_ns: int):
    return runs.load_model_file(path)


def load_model(path: Path | str):
    """A .keras model, cached until its file changes; raises runs.RunError for a bad file."""
    path = Path(path)
    return _load_model(str(path), path.stat().st_mtime_ns if path.exists() else 0)


# --- the shared sidebar ------------------------------------------------------------------------------------

def sidebar() -> None:
    """Where the data comes from, and a one-line view of the training under way."""
    with st.sidebar:
        job = jobs.current()
        if job is not None:
            snap = job.snapshot()
            if snap.active:
                st.progress(snap.progress, text=f"Training {snap.run_id}: epoch {snap.epoch}/{snap.epochs}, "
                                                f"{snap.progress:.0%}")
                st.page_link("pages/train.py", label="Watch the training", icon=":material/monitoring:")
        try:
            source = data.find_source(download=False)
            st.caption(f"Data: CIFAR-10 from `{source}`")
        except data.DataError:
            st.caption("Data: CIFAR-10 not found yet; set `CIFAR10_PATH` (see the README).")


def error_box(message: str) -> None:
    st.error(message, icon=":material/error:")


# --- explore / predict pages ---------------------------------------------------------------------------

import numpy as np  # noqa: E402  (imported here: this section is edited apart from the rest of the file)

from . import charts, inference  # noqa: E402

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
    name = "Default model (ships with the app)" if run == runs.default_run() else f"{run.id} · {summary['status']}"
    return f"{name} · {score}"


def pick_model() -> runs.Run | None:
    """A select box over the models that can predict; the chosen run, or None when there is none."""
    choices, index = inference.prediction_models(runs.list_runs(), runs.default_run())
    if not choices:
        return None
    return st.selectbox("Model", choices, index=index, format_func=_model_label, key="predict_model")


def show_result(result: inference.Result, key: str) -> None:
    """One upload: the original, the 32x32 the model saw, its top classes in words and bars."""
    if result.error:
        error_box(result.error)
        return
    with st.container(border=True):
        st.markdown(f"**{result.name}**")
        original, seen, verdict = st.columns([1, 1, 2])
        width, height = result.original.size
        preview = result.original.copy()
        preview.thumbnail((200, 400))  # what is shown anyway; encoding a 12-megapixel photo would take a while
        original.image(preview, caption=f"Your image, {width}×{height} px", width=200)
        with seen:
            show_pixels(result.model_input, zoom=SEEN, caption="What the model sees: 32×32 px")
        name, probability = result.top[0]
        verdict.markdown(f"The model says **{name}**, {probability:.0%} sure.")
        if result.unsure:
            verdict.warning(f"It is unsure: no class gets even {inference.UNSURE_BELOW:.0%}. It only knows 10 "
                            f"classes ({', '.join(data.CLASS_NAMES)}), so for anything else it can only guess.",
                            icon=":material/help:")
        verdict.plotly_chart(charts.top_k_bars(result.top), key=key, config={"displayModeBar": False})
