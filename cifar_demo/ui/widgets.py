"""Widgets several pages share: crisp pixels, a run's label, the model picker, the epoch curves, table columns."""
from __future__ import annotations

import streamlit as st

from .. import charts, pictures, runs
from . import error_box

DEFAULT_MODEL = "Default model (ships with the app)"  # how every page names runs.default_run()
# the browser must not smooth the pixels either, when it scales an image to a narrow column or a HiDPI screen
CRISP = "<style>[data-testid='stImage'] img {image-rendering: pixelated;}</style>"


def show_pixels(images, *, zoom: int, caption=None, per_row: int | None = None) -> None:
    """uint8 image(s) of shape (H, W, 3) or (N, H, W, 3), each pixel shown as a zoom x zoom block.

    Enlarged here, by whole pixels, and sent as PNG: JPEG would smear the
    blocks. ``per_row`` puts N images in rows of that many columns, each image
    as wide as its column; by default they keep their size and wrap as the page width allows.
    """
    st.html(CRISP)
    big = pictures.upscale(images, zoom)
    if big.ndim == 3 or per_row is None:
        st.image(list(big) if big.ndim == 4 else big, caption=caption, width=big.shape[-2], output_format="PNG")
        return
    captions = caption if caption is not None else [None] * len(big)
    for start in range(0, len(big), per_row):
        for column, image, text in zip(st.columns(per_row, gap="small"), big[start:start + per_row],
                                       captions[start:start + per_row]):
            column.image(image, caption=text, width="stretch", output_format="PNG")


def run_label(run: runs.Run) -> str:
    """One run's name on every page: '20261122-101500-fast · finished · test 71.3%' (its folder name,
    which is unique, then its status and its test accuracy as the Results page states it)."""
    try:
        s = run.summary()
    except runs.RunError:
        return f"{run.id} · unreadable"
    score = f"test {s['test_accuracy']:.1%}" if s["test_accuracy"] is not None else "not tested"
    if run == runs.default_run():
        return f"{DEFAULT_MODEL} · {s['preset']} · {score}"
    return f"{run.id} · {s['status']} · {score}"


def no_model_yet() -> None:
    """What a page that needs a model says when there is none yet."""
    st.info("There is no trained model yet. Train one first: a small one takes a minute or two.",
            icon=":material/info:")
    st.page_link("pages/train.py", label="Go to Train", icon=":material/model_training:")


def pick_model() -> runs.Run | None:
    """A select box over the models that can predict; the chosen run, or None when there is none.

    The shipped model comes first and is preselected; without it, the newest finished run is.
    """
    choices = runs.prediction_runs(runs.list_runs(), runs.default_run())
    if not choices:
        return None
    finished = [i for i, run in enumerate(choices) if run.status == runs.FINISHED]
    index = 0 if runs.default_run() is not None or not finished else finished[0]
    return st.selectbox("Model", choices, index=index, format_func=run_label, key="predict_model")


def curves_of(chosen: list[runs.Run]) -> tuple[dict, dict, dict]:
    """Each run's epoch history, test accuracy and held-out kind by run id, for ``charts.epoch_curves``.

    A run whose files cannot be read is left out and named in an error box; the others are still drawn.
    """
    histories, tests, held_out = {}, {}, {}
    for run in chosen:
        try:
            histories[run.id], tests[run.id], held_out[run.id] = run.history(), run.test_accuracy(), run.held_out()
        except runs.RunError as exc:
            error_box(f"**Run {run.id} is left out of the curves.** {exc}")
    return histories, tests, held_out


def epoch_curves(chosen: list[runs.Run], *, key: str) -> bool:
    """The chosen runs' accuracy or loss per epoch on one chart; False when there is nothing to draw yet."""
    metric = st.segmented_control("Metric", ["accuracy", "loss"], default="accuracy", required=True,
                                  key=f"{key}_metric")
    histories, tests, held_out = curves_of(chosen)
    if not any(histories.values()):
        st.info("No finished epoch to draw yet.", icon=":material/info:")
        return False
    st.plotly_chart(charts.epoch_curves(histories, metric=metric, tests=tests, held_out=held_out),
                    key=f"{key}_curves")
    st.caption("Dashed: on the images it trains on. Solid: after each epoch, on images it does not train on: its "
               "validation hold-out, or, for a run that trains on all its images, the first 2,000 test images. "
               "Star: on the test images, after training.")
    return True


def percent_column(label: str):
    """A table column of percentages, all with two decimals; fill it through ``in_percent``.

    Streamlit's own "percent" format drops trailing zeros, so 90.9% stood above 90.94% in one column.
    """
    return st.column_config.NumberColumn(label, format="%.2f%%")


def in_percent(rows: list[dict], keys) -> list[dict]:
    """Copies of table rows with the shares (0..1) under ``keys`` as percentages, for ``percent_column``."""
    return [{**row, **{k: None if row[k] is None else 100 * row[k] for k in keys if k in row}} for row in rows]


def duration(seconds: float | None) -> str:
    if seconds is None:
        return "–"
    s = int(round(seconds))
    if s < 60:
        return f"{s} s"
    m, s = divmod(s, 60)
    return f"{m} min {s:02d} s" if m < 60 else f"{m // 60} h {m % 60:02d} min"
