"""Baselines lab: logistic regression and k-nearest neighbours on raw pixels, trained here and saved as runs."""
from __future__ import annotations

import streamlit as st

from .. import baselines, runs
from . import load_data
from .labs import evaluation_of, how_to_read
from .widgets import duration, percent_column, run_label

TRAIN_NOW = "labs_base_train"  # session key: the button asked for a training
SUBSETS = (1_000, 2_000, 5_000, 10_000)
# measured on 2 cores (BENCHMARKS.md), both baselines together
ABOUT_TIME = ("Measured on 2 busy cores: about 7 s for 1,000 or 2,000 images, 55 s for 5,000 and 70 s for 10,000, "
              "most of it the logistic regression's fit and the nearest neighbours' test.")


def baselines_lab(run: runs.Run) -> None:
    ev = evaluation_of(run)
    if ev is None:
        return
    tested = len(ev)
    st.markdown("How much does a CNN beat the simplest classifiers? Train two on the raw pixels, tested on the "
                f"same {tested:,} test images as the model chosen above.")
    size, go = st.columns([3, 1], vertical_alignment="bottom")
    n = size.segmented_control("Training images", SUBSETS, default=2_000, required=True, key="labs_base_n",
                               format_func=lambda v: f"{v:,}", help=ABOUT_TIME)
    go.button("Train both", icon=":material/play_arrow:", key="labs_base_go", type="primary",
              on_click=st.session_state.__setitem__, args=(TRAIN_NOW, n))
    if st.session_state.pop(TRAIN_NOW, None):  # set by the button: train in the page's run, under a spinner
        _train(n, tested)
    found = baselines.baseline_runs(runs.list_runs())
    rows = [_row(run, "this network")] + [_row(b, "baseline") for b in found]
    st.dataframe(rows, hide_index=True, column_config={
        "model": "Model", "what": "Kind",
        "images": st.column_config.NumberColumn("Training images", format="localized"),
        "tested": st.column_config.NumberColumn("Test images", format="localized"),
        "accuracy": percent_column("Test accuracy"), "train": "Train time", "test": "Test time"})
    if not found:
        how_to_read("Logistic regression draws one straight boundary per class through the 3,072 pixel values; "
                    f"k-nearest neighbours gives each test image the class most common among the "
                    f"{baselines.NEIGHBOURS} training images whose pixels are closest to its own. Train them to "
                    f"see how far below this network's {ev.accuracy:.1%} they land.")
        return
    best = max(found, key=lambda b: b.test_accuracy() or 0)
    how_to_read(f"Neither baseline knows that neighbouring pixels belong together or that a cat is a cat anywhere "
                f"in the picture: the best of them, {best.config['architecture']}, gets {best.test_accuracy():.1%} "
                f"of its test images right, against {ev.accuracy:.1%} for this network. The gap is what the "
                "convolutions, which look at small patches everywhere in the image, buy.")
    st.page_link("pages/compare.py", label="See them beside every run in Compare runs", icon=":material/table_chart:")


def _train(n: int, tested: int) -> None:
    cifar = load_data()
    test_subset = None if tested >= len(cifar.y_test) else tested
    for kind, name in baselines.KINDS.items():
        with st.spinner(f"Training {name.lower()} on {n:,} images…"):
            done = baselines.train(kind, cifar, subset=n, test_subset=test_subset)
        st.toast(f"{name}: {done.run.test_accuracy():.1%} test accuracy, fitted in {done.fit_seconds:.1f} s",
                 icon=":material/check_circle:")


def _row(run: runs.Run, what: str) -> dict:
    s, config = run.summary(), run.config
    ev_n = config.get("test_subset") or 10_000
    name = config.get("architecture") if what == "baseline" else run_label(run).split(" · ")[0]
    return {"model": name, "what": what, "images": config.get("subset") or 50_000, "tested": ev_n,
            "accuracy": None if s["test_accuracy"] is None else 100 * s["test_accuracy"],
            "train": duration(s["train_seconds"]), "test": duration(run.status_record().get("test_seconds"))}
