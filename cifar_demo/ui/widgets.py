"""Widgets several pages share: crisp pixels, a run's label and accuracy, the current run and the model picker,
a colour scale, the epoch curves, table columns."""
from __future__ import annotations

import streamlit as st

from .. import charts, evaluation, pictures, reading, runs
from ..config_table import preset_title
from ..glossary import link
from . import error_box, presented, scaled

DEFAULT_MODEL = "Default model (ships with the app)"  # how every page names runs.default_run()
# the browser must not smooth the pixels either, when it scales an image to a narrow column or a HiDPI screen
CRISP = "<style>[data-testid='stImage'] img {image-rendering: pixelated;}</style>"


def show_pixels(images, *, zoom: int, caption=None, per_row: int | None = None, gap: str = "small") -> None:
    """uint8 image(s) of shape (H, W, 3) or (N, H, W, 3), each pixel shown as a zoom x zoom block.

    Enlarged here, by whole pixels, and sent as PNG: JPEG would smear the
    blocks. ``per_row`` puts N images in rows of that many columns (``gap``
    apart), each image as wide as its column; by default they keep their size
    and wrap as the page width allows.
    """
    st.html(CRISP)
    big = pictures.upscale(images, zoom)
    if big.ndim == 3 or per_row is None:
        st.image(list(big) if big.ndim == 4 else big, caption=caption, width=big.shape[-2], output_format="PNG")
        return
    captions = caption if caption is not None else [None] * len(big)
    for column, (image, text) in in_rows(list(zip(big, captions)), per_row, gap=gap):
        column.image(image, caption=text, width="stretch", output_format="PNG")


def in_rows(items, per_row: int, *, gap: str = "small"):
    """(column, item) for each item: the items in rows of ``per_row`` equal columns, ``gap`` apart (a last
    short row keeps the same column width)."""
    for start in range(0, len(items), per_row):
        yield from zip(st.columns(per_row, gap=gap), items[start:start + per_row])


def metric_row(count: int) -> list:
    """``count`` places for st.metric side by side, each as wide as its label and value, wrapping to a new
    line where the page is narrow: in equal columns a long value was cut short ("14 min…", "90.…")."""
    row = st.container(horizontal=True, gap="medium")
    return [row.container(width="content") for _ in range(count)]


def accuracy_text(accuracy: float | None) -> str:
    """An accuracy as every page writes it: '90.91%' (two decimals, as the tables sort them), '–' for none."""
    return "–" if accuracy is None else f"{100 * accuracy:.2f}%"


def run_label(run: runs.Run) -> str:
    """One run's name on every page: '20261122-101500-fast · finished · test 71.30%' (its folder name,
    which is unique, then its status and its test accuracy as the Results page states it)."""
    try:
        s = run.summary()
    except runs.RunError:
        return f"{run.id} · unreadable"
    score = f"test {accuracy_text(s['test_accuracy'])}" if s["test_accuracy"] is not None else "not tested"
    if run == runs.default_run():
        return f"{DEFAULT_MODEL} · {preset_title(s['preset']).split(' (')[0]} · {score}"
    return f"{run.id} · {s['status']} · {score}"


def how_tested(run: runs.Run) -> str:
    """What a run's test accuracy averages: 'on the 10,000 test images, each answer averaged over 6 views
    (flipped and shifted)', or without test-time augmentation 'on the first 300 test images'."""
    config = run.config
    count = config.get("test_subset") or 10_000
    images = "the 10,000 test images" if count >= 10_000 else f"the first {count:,} test images"
    views = evaluation.tta_label(bool(config.get("tta_flip")), bool(config.get("tta_shift")))
    return f"on {images}" + (f", each answer {views}" if views else "")


# --- the current run: the one the learner last trained or opened -----------------------------------------

CURRENT_RUN = "current_run"      # its id; Results, Inside the network and Predict open on it
TRAIN_STARTED = "train_started"  # set by the Train page when it starts (or resumes) a run
_TRAINING_SEEN = "current_run_training_seen"


def remember_run(run_id: str) -> None:
    """Make ``run_id`` the current run: a page picked it (a picker, a link, a ticked row)."""
    st.session_state[CURRENT_RUN] = run_id


def current_run_id(choices: list[runs.Run]) -> str | None:
    """Which of ``choices`` (newest first) to open on: the run trained or opened last in this session,
    else the newest finished run, else the shipped model, else the first; None when there is no choice."""
    ss = st.session_state
    started = ss.get(TRAIN_STARTED)
    if started and started != ss.get(_TRAINING_SEEN):  # a training began since: the run it trains is current
        ss[_TRAINING_SEEN] = started
        remember_run(started)
    ids = [run.id for run in choices]
    if ss.get(CURRENT_RUN) in ids:
        return ss[CURRENT_RUN]
    shipped = runs.default_run()
    finished = [run.id for run in choices if run != shipped and _status(run) == runs.FINISHED]
    if finished:
        return finished[0]
    return shipped.id if shipped is not None and shipped.id in ids else (ids[0] if ids else None)


def _status(run: runs.Run) -> str | None:
    try:
        return run.status
    except runs.RunError:
        return None


def no_model_yet() -> None:
    """What a page that needs a model says when there is none yet."""
    st.info("There is no trained model yet. Train one first: a small one takes a minute or two.",
            icon=":material/info:")
    st.page_link("pages/train.py", label="Go to Train", icon=":material/model_training:")


PICK_MODEL = "predict_model"    # the model picker of Inside the network and Predict


def pick_model() -> runs.Run | None:
    """A select box over the models that can predict (the shipped one first); the chosen run, or None when
    there is none. It opens on the current run (``current_run_id``), and choosing one makes it current."""
    choices = runs.prediction_runs(runs.list_runs(), runs.default_run())
    if not choices:
        return None
    by_id = {run.id: run for run in choices}
    st.session_state[PICK_MODEL] = current_run_id(choices)
    # wide enough for the whole label, its test accuracy at the end ("· test 90.86%"), in presenter mode too
    chosen = st.selectbox("Model", list(by_id), format_func=lambda i: run_label(by_id[i]), key=PICK_MODEL,
                          width=scaled(560),
                          on_change=lambda: remember_run(st.session_state[PICK_MODEL]),
                          help="Opens on the run you trained or looked at last. The accuracy is on the test "
                               f"images: {link('accuracy', 'what accuracy means')}.")
    return by_id[chosen]



def colour_bar(low: str, high: str, *, width: int = 224) -> None:
    """The heat maps' colour scale (``pictures.colormap``) as a bar, ``low`` under its left end, ``high`` its right."""
    stops = ", ".join(pictures.colour_stops())
    st.html(f"<div style='width:{width}px;font-size:0.8rem;line-height:1.3'>"
            f"<div style='height:12px;border-radius:3px;background:linear-gradient(to right, {stops})'></div>"
            f"<div style='display:flex;justify-content:space-between;gap:8px'><span>{low}</span>"
            f"<span style='text-align:right'>{high}</span></div></div>")


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


def epoch_curves(chosen: list[runs.Run], *, key: str, caption: bool = True) -> reading.CurveReading | None:
    """The chosen runs' accuracy or loss per epoch on one chart, overfitting of the first run marked on it;
    that run's reading, or None when there is nothing to draw yet. ``caption``: say which line is which."""
    metric = st.segmented_control("Metric", ["accuracy", "loss"], default="accuracy", required=True,
                                  key=f"{key}_metric", help=f"{link('accuracy', 'Accuracy')}: the share of images "
                                  f"it gets right. {link('loss', 'Loss')}: how wrong it is, which training lowers.")
    histories, tests, held_out = curves_of(chosen)
    if not any(histories.values()):
        st.info("No finished epoch to draw yet.", icon=":material/info:")
        return None
    first = chosen[0].id
    seen = reading.read_curves(histories.get(first, []), tests.get(first))
    fig = charts.epoch_curves(histories, metric=metric, tests=tests, held_out=held_out)
    marks = charts.rate_marks(charts.history_changes(histories.get(first, [])), "after_epochs")
    if len(histories) == 1 and marks:  # one run: where its learning rate was changed mid-run
        charts.mark_changes(fig, marks)
    if metric == "accuracy" and seen.overfitting:
        charts.mark_gap(fig, seen.epochs, seen.train, seen.held_out, f"{100 * seen.gap:.0f} points apart")
    st.plotly_chart(presented(fig), key=f"{key}_curves")
    if caption:
        st.caption("Dashed: on the images it trains on. Solid: after each epoch, on images it does not train on: "
                   "its validation hold-out, or, for a run that trains on all its images, the first 2,000 test "
                   "images. Star: on the test images, after training."
                   + (" Dotted: where its learning rate was changed during the training." * bool(marks)))
    return seen


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
