"""What every page needs first: the page list, routing, the cached loaders, the sidebar.

Only app.py, pages/ and this package import Streamlit; the rest of cifar_demo
runs without it. This module stays light (no TensorFlow, no scikit-learn at
import) so that a page's ``page_guard()`` runs at once. Widgets that several
pages share are in ``ui.widgets``; each page's own pieces are in the submodule
of its name (``ui.train_setup``, ``ui.results``, ...), imported after the guard.
"""
from __future__ import annotations

import contextlib
import sys
import threading
from pathlib import Path

import streamlit as st

from .. import data, jobs, runs

ROOT = Path(__file__).resolve().parents[2]
# (file, title, icon, url path); the url path is the file's stem, the name Streamlit's
# legacy pages/ mode infers too, so a deep link means the same page in both modes
PAGES = [
    ("pages/home.py", "Home", ":material/home:", "home"),
    ("pages/explore.py", "Explore the data", ":material/grid_view:", "explore"),
    ("pages/train.py", "Train", ":material/model_training:", "train"),
    ("pages/results.py", "Results", ":material/insights:", "results"),
    ("pages/compare.py", "Compare runs", ":material/table_chart:", "compare"),
    ("pages/inside.py", "Inside the network", ":material/visibility:", "inside"),
    ("pages/predict.py", "Predict", ":material/photo_camera:", "predict"),
    ("pages/glossary.py", "Glossary", ":material/menu_book:", "glossary"),
]

DEFAULT_MODEL = "Default model (ships with the app)"  # how every page names runs.default_run()

_routing = threading.local()  # set while app.py runs a page: each script run has its own thread


def keep_keras_session() -> None:
    """Stop Streamlit calling ``keras.backend.clear_session()`` after every script run.

    Streamlit does that for any app that imported Keras, to reset Keras's
    global state between reruns. This app trains in a background thread of
    the server while a page reruns its live view every few seconds, and each
    clear_session empties TensorFlow's process-wide kernel cache and runs a
    full garbage collection under the GIL. Measured with a page watching:
    training in the app ran at a quarter of the command line's speed with
    it, and at about 60% without it (BENCHMARKS.md, "The app"). Nothing here
    relies on the reset: models are built and loaded explicitly, and Keras
    keeps its name counters per thread.
    """
    from streamlit.runtime.scriptrunner import script_runner
    script_runner._clean_problem_modules = _clean_modules_but_keras


def _clean_modules_but_keras() -> None:
    if "matplotlib.pyplot" in sys.modules:  # the other cleanup Streamlit does; kept as it was
        sys.modules["matplotlib.pyplot"].close("all")


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
def cached_data() -> data.Cifar10:
    """CIFAR-10, loaded once per server; raises data.DataError (for a callback, which cannot stop the page)."""
    return data.load()


def load_data() -> data.Cifar10:
    """CIFAR-10, loaded once per server; a missing or broken data set stops the page with a message."""
    try:
        return cached_data()
    except data.DataError as exc:
        st.error(f"**The CIFAR-10 data set could not be loaded.** {exc}", icon=":material/error:")
        st.stop()


@st.cache_resource(show_spinner="Loading the model…", max_entries=8)
def cached_model(path: str, mtime_ns: int):
    """The .keras model at ``path`` as of its modification time ``mtime_ns`` (a new file, a new load)."""
    return runs.load_model_file(path)


def load_model(path: Path | str):
    """A .keras model, cached until its file changes; raises runs.RunError for a bad file."""
    path = Path(path)
    return cached_model(str(path), modified(path))


def modified(path: Path) -> int:
    """The file's modification time in ns (0 when it is missing): a cache key that changes with the file."""
    return path.stat().st_mtime_ns if path.exists() else 0


# --- the shared sidebar ------------------------------------------------------------------------------------

SIDEBAR_POLL_SECONDS = 3.0  # how often the sidebar's line on a training under way updates: a glance, not the live view


def sidebar(page_url: str = "") -> None:
    """Where the data comes from, and a one-line view of the training under way.

    The Train page (``page_url`` "train") shows its own live view of the
    training, so the sidebar leaves that line out there: one poll fewer for
    a browser that shares the cores with the training.
    """
    with st.sidebar:
        job = jobs.current()
        if page_url != "train" and job is not None and job.snapshot().active:
            _training_line(job)
        try:
            source = data.find_source(download=False)
            st.caption(f"Data: CIFAR-10 from `{source}`")
        except data.DataError:
            st.caption("Data: CIFAR-10 not found yet; set `CIFAR10_PATH` (see the README).")


@st.fragment(run_every=SIDEBAR_POLL_SECONDS)
def _training_line(job: jobs.Job) -> None:
    """The training's epoch and progress, kept current on every page while it trains."""
    snap = job.snapshot()
    if not snap.active:
        st.rerun()  # it has ended: redraw the page, without this line and with the finished run
    st.progress(snap.progress, text=f"Training {snap.run_id}: epoch {snap.epoch}/{snap.epochs}, "
                                    f"{snap.progress:.0%}")
    st.page_link("pages/train.py", label="Watch the training", icon=":material/monitoring:")


def error_box(message: str) -> None:
    st.error(message, icon=":material/error:")
