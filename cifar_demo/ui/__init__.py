"""What every page needs first: the page list, routing, the cached loaders, the sidebar.

Only app.py, pages/ and this package import Streamlit; the rest of cifar_demo
runs without it. This module stays light (no TensorFlow, no scikit-learn at
import) so that a page's ``page_guard()`` runs at once. Widgets that several
pages share are in ``ui.widgets``; each page's own pieces are in the submodule
of its name (``ui.train_setup``, ``ui.results``, ...), imported after the guard.
"""
from __future__ import annotations

import contextlib
import logging
import os
import threading
from pathlib import Path

import streamlit as st

from .. import data, live, runs, trainqueue

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
    ("pages/labs.py", "Labs", ":material/science:", "labs"),
    ("pages/glossary.py", "Glossary", ":material/menu_book:", "glossary"),
]

_routing = threading.local()  # set while app.py runs a page: each script run has its own thread
PAGE_FAILED = "Something went wrong on this page."  # the first words of the box an unexpected error leaves
log = logging.getLogger("cifar_demo")


def navigation(position: str = "sidebar"):
    """st.navigation over PAGES: the page to run (app.py runs it)."""
    return st.navigation([st.Page(path, title=title, icon=icon, url_path=url, default=url == "home")
                          for path, title, icon, url in PAGES], position=position)


NO_TENSORFLOW = {"", "glossary"}  # pages (url paths; "" is Home, at the root) that never import TensorFlow
_tensorflow_lock = threading.Lock()
_tensorflow = {"loaded": False}


def load_tensorflow() -> None:
    """Import Keras, and with it TensorFlow, once per process and one script thread at a time.

    Two pages opened at once on a fresh server (each script run has its own
    thread) would both import TensorFlow, each holding a part of it that the
    other needs next; Python then hands one of them a half-imported module and
    that page fails ("module ... has no attribute 'DatasetV2'"). So every page
    but NO_TENSORFLOW's waits here for one import.
    """
    if _tensorflow["loaded"]:
        return
    with st.spinner("Starting TensorFlow: a few seconds, once after the app starts..."), _tensorflow_lock:
        import keras  # noqa: F401  (imports TensorFlow first)
        _tensorflow["loaded"] = True


@contextlib.contextmanager
def routed(page_url: str):
    """app.py runs the chosen page (its url path) inside this, so pages can tell they were routed, after
    TensorFlow is loaded unless the page is one of NO_TENSORFLOW. An error no page expected ends as a box
    that says what it was, in place of Streamlit's redacted one; its traceback goes to the server's log.
    (st.stop and st.rerun are not errors: they pass through.)"""
    _routing.active = True
    try:
        if page_url not in NO_TENSORFLOW:
            load_tensorflow()
        yield
    except Exception as exc:
        if os.environ.get("CIFAR_DEMO_RAISE_ERRORS"):  # the tests' AppTest: an error is a failure there
            raise
        log.exception("a page failed")
        st.error(f"**{PAGE_FAILED}** {type(exc).__name__}: {exc}. Your runs and models are safe on disk; "
                 "reload the page to try again. The details are in the app's log.", icon=":material/error:")
    finally:
        _routing.active = False


def page_guard() -> None:
    """Call first in every page: send a page run outside app.py back through app.py.

    While a pages/ folder exists beside app.py, a fresh server runs the page
    file of a deep link (e.g. /train) directly on its first request, in
    Streamlit's legacy multipage mode (no page config, no sidebar, the wrong
    menu) until st.navigation is first called; Streamlit has no setting to turn
    that mode off. So a page run outside app.py calls st.navigation itself,
    which ends the legacy mode, and reruns: the same URL then goes through app.py.
    """
    if getattr(_routing, "active", False):
        return
    navigation(position="hidden")
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

SIDEBAR_TRAINING = "sidebar_training"  # the run the sidebar's line showed last, if any
SIDEBAR_POLL_SECONDS = 3.0  # how often the sidebar's line on a training under way updates: a glance, not the live view


def sidebar(page_url: str = "") -> None:
    """Presenter mode, where the data comes from, and a one-line view of the training under way.

    The Train page (``page_url`` "train") shows its own live view of the
    training, so the sidebar leaves that line out there: one poll fewer for
    a browser that shares the cores with the training.
    """
    with st.sidebar:
        presenter_toggle()
        trainqueue.ensure_worker()  # runs left waiting by a worker that is gone (a restarted machine) get one
        if page_url != "train":
            st.session_state[SIDEBAR_TRAINING] = None  # what the page draws now; its reruns compare with it
            _training_line()
        try:
            source = data.find_source(download=False)
            st.caption(f"Data: CIFAR-10 from `{source}`")
        except data.DataError:
            st.caption("Data: CIFAR-10 not found yet; set `CIFAR10_PATH` (see the README).")


PRESENTER = "presenter"          # the sidebar's presenter-mode toggle
PRESENTER_LINK = "presenter_link"  # the ?present= value this session last put in the address or took from it
# Presenter mode enlarges text and controls by the root font size, which Streamlit sizes them from (rem). CSS
# zoom enlarged the charts too, but Plotly then found no point under the mouse (no hover, no click) and the
# fixed-size Altair charts spilled over the next column; so Plotly charts grow through ``presented`` instead.
PRESENTER_SCALE = 1.3            # presenter mode's text size, against the usual


def scaled(px: int) -> int:
    """A width in pixels that holds text: grown with the text in presenter mode."""
    return round(px * PRESENTER_SCALE) if presenting() else px


def presented(fig):
    """A Plotly figure as the page shows it: in presenter mode its text and its height grow with the page's."""
    if presenting():
        fig.update_layout(font_size=round(12 * PRESENTER_SCALE))
        if fig.layout.height:
            fig.update_layout(height=scaled(fig.layout.height))
        fig.update_annotations(font_size=round(12 * PRESENTER_SCALE))
    return fig


def presenting() -> bool:
    """True in presenter mode: the pages hide advanced controls and draw larger, for a projector."""
    return bool(st.session_state.get(PRESENTER, False))


def presenter_toggle() -> None:
    """The presenter-mode toggle, held in the address as ?present=1 on every page, so a link opens in it."""
    ss, wanted = st.session_state, st.query_params.get("present")
    if wanted is not None and wanted != ss.get(PRESENTER_LINK):  # a new link: it decides
        ss[PRESENTER] = wanted.strip().lower() in ("1", "true", "yes", "on")
    on = st.toggle("Presenter mode", key=PRESENTER, persist_state="session",
                   help="For a projector: larger text, and the Train page hides its advanced settings "
                        "(they keep their values). A link copied while it is on opens in it too.")
    if on and wanted != "1":
        st.query_params["present"] = "1"
    elif not on and wanted is not None:
        del st.query_params["present"]
    ss[PRESENTER_LINK] = "1" if on else None
    if on:
        st.html(f"<style>html {{ font-size: {PRESENTER_SCALE:.0%}; }}</style>")


@st.fragment(run_every=SIDEBAR_POLL_SECONDS)
def _training_line() -> None:
    """The training under way, kept current on every page: its epoch and progress. One started after the
    page was drawn (in another browser, or from the command line) appears here too."""
    training = live.training_now()
    shown = st.session_state.get(SIDEBAR_TRAINING)
    now = st.session_state[SIDEBAR_TRAINING] = training[0].id if training else None
    if shown is not None and now != shown:
        st.rerun()  # the one shown has ended (the next in the queue may have started): redraw the page with it
    if not training:
        return
    snap = live.snapshot(training[0])
    st.progress(snap.progress, text=f"Training {snap.run_id}: epoch {snap.epoch}/{snap.epochs}, "
                                    f"{snap.progress:.0%}")
    st.page_link("pages/train.py", label="Watch the training", icon=":material/monitoring:")


def error_box(message: str) -> None:
    st.error(message, icon=":material/error:")
