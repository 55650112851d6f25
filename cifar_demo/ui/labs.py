"""Streamlit pieces the Labs page shares: its list of labs, the "how to read this" box, loading a lab's model."""
from __future__ import annotations

import numpy as np
import streamlit as st

from .. import runs
from . import error_box, load_model, modified


def how_to_read(text: str) -> None:
    """The two sentences under every lab's view that say how to read it, with the run's own numbers."""
    st.info(f"**How to read this.** {text}", icon=":material/school:")


def model_of(run: runs.Run):
    """The run's model (cached until its file changes), or None after saying why it cannot be loaded."""
    try:
        return load_model(run.model_path)
    except runs.RunError as exc:
        error_box(f"**This model could not be loaded.** {exc} Choose another model, or train a new one.")
        return None


def is_shipped(run: runs.Run) -> bool:
    return run == runs.default_run()


@st.cache_data(max_entries=16, show_spinner=False)
def _evaluation(folder: str, mtime_ns: int):
    from .. import evaluation
    return evaluation.load(folder)


def evaluation_of(run: runs.Run):
    """The run's saved test predictions (cached until rewritten), or None after saying why there are none."""
    from .. import evaluation
    path = run.path / evaluation.PREDICTIONS_FILE
    if not path.is_file():
        st.info("This run has no test results yet, so there is nothing to measure: it was stopped or failed before "
                "it could be tested.", icon=":material/info:")
        return None
    try:
        return _evaluation(str(run.path), modified(path))
    except ValueError as exc:
        error_box(f"**The test results of this run cannot be read.** {exc}")
        return None


KEPT = 16  # lab results held in memory, across sessions: the newest


@st.cache_resource
def _memory() -> dict:
    return {}


def kept(run: runs.Run, name: str, key: str, compute) -> tuple[dict, bool]:
    """(a lab's arrays, whether they were computed just now): from memory, else the run's labs/ folder, else
    ``compute()``, then kept in both. Memory keeps a read-only run folder (an installed app) from computing
    again at every rerun of the page."""
    from .. import lab_cache
    memory, where = _memory(), (str(run.path), name, key)
    if where in memory:
        return memory[where], False
    found = lab_cache.load(run.path, name, key)
    fresh = found is None
    if fresh:
        found = {k: np.asarray(v) for k, v in compute().items()}
        lab_cache.save(run.path, name, key, found)
    memory[where] = found
    while len(memory) > KEPT:
        memory.pop(next(iter(memory)))
    return found, fresh
