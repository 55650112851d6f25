"""Show me the code: a preset or run as a standalone Keras script, to read here and take to a notebook.

``show_code`` draws any ``codegen.Source``; ``run_code`` (for Results) and ``setup_code`` (for the Train
page, on the network being set up) are the calls other pages make.
"""
from __future__ import annotations

import json

import streamlit as st

from .. import codegen, runs
from ..recipes import PRESETS
from ..settings import SETTINGS, TrainConfig
from ..spec import SpecError
from .labs import how_to_read, is_shipped

SCRIPT_HEIGHT = 520  # px of script shown at once; it scrolls


@st.cache_data(max_entries=32, show_spinner=False)
def _parameters(spec_json: str) -> int | None:
    try:
        return codegen.parameter_count(json.loads(spec_json))
    except SpecError:
        return None


def show_code(source: codegen.Source, *, key: str) -> None:
    """The script of ``source``: how to read it, a download button, then the code itself."""
    c = source.config
    text = codegen.script(source)
    params = _parameters(json.dumps([dict(layer) for layer in c.spec]))
    optimizer = SETTINGS["optimizer"].names[c.optimizer]
    layers = sum(line.startswith("layers.") for line in codegen.layer_lines(c.spec))
    reached = (f"; it prints its test accuracy at the end, which for this run was {source.accuracy:.2%} after "
               f"all {c.epochs} epochs" if source.accuracy is not None else
               "; it prints its test accuracy at the end")
    how_to_read(f"This is {source.title} as plain Keras, top to bottom: its settings, loading the data, the network "
                f"as a Sequential list of {layers} Keras layers"
                f"{f' ({params:,} parameters)' if params else ''}, and its training with {optimizer} at a peak "
                f"learning rate of {c.learning_rate:g} for {c.epochs} epochs of "
                f"{c.subset or 50_000:,} images. Copy it into a notebook, or save it and run it as below for a "
                f"one-minute try{reached}.")
    # a block of its own, copied with one click: inline, a narrow page broke the command at a hyphen
    st.code(f"python {source.file_name} --epochs 1 --subset 2000", language="bash")
    st.download_button("Download the script", text, file_name=source.file_name, mime="text/x-python",
                       icon=":material/download:", on_click="ignore", key=f"{key}_download")
    st.code(text, language="python", line_numbers=True, height=SCRIPT_HEIGHT)


def run_code(run: runs.Run, *, key: str = "results_code") -> None:
    """The Keras script of a trained run (Results); a plain line instead for a run that has none."""
    try:
        source = codegen.for_run(run, name="the model that ships with the app" if is_shipped(run) else None)
    except (codegen.CodeError, runs.RunError, ValueError) as exc:
        st.info(f"No script for this run: {exc}.", icon=":material/info:")
        return
    show_code(source, key=key)


def setup_code(config: TrainConfig, *, key: str = "train_code") -> None:
    """The Keras script of the network and settings being set up on the Train page, before it trains."""
    show_code(codegen.Source(config, "the network set up on the Train page", "my_cifar10.py"), key=key)


def code_lab(run: runs.Run) -> None:
    """The Labs tab: the chosen model's script, or any preset's."""
    keys = ["run", *PRESETS]
    names = {"run": "The model chosen above", **{k: f"Preset: {p.title}" for k, p in PRESETS.items()}}
    chosen = st.selectbox("Write out", keys, format_func=names.get, key="labs_code_of")
    if chosen == "run":
        run_code(run, key="labs_code")
    else:
        show_code(codegen.resolve(chosen), key="labs_code")
