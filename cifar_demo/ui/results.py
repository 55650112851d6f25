"""Streamlit pieces of the Results page: run picker, the clickable confusion matrix and its cells' images,
per-class report, curves, settings and files; each view says how to read it with the run's own numbers."""
from __future__ import annotations

import json

import pandas as pd
import streamlit as st

from .. import charts, data, evaluation, pictures, reading, runs
from ..config_table import config_rows, preset_title
from ..confusion_chart import CELL, clicked, confusion_chart
from ..glossary import link
from . import error_box, howto, load_data, presented, presenting
from .gradcam import cell_gradcam
from .widgets import (
    accuracy_text,
    current_run_id,
    duration,
    epoch_curves,
    how_tested,
    in_percent,
    metric_row,
    percent_column,
    remember_run,
    run_label,
)

RESULTS_RUN = "results_run"
CELL_IMAGES = 12                 # test images shown for one confusion-matrix cell, the surest first
CELL_ZOOM = 4                    # 32 px -> 128 px, each pixel a crisp 4x4 block
MATRIX_STEP = 36                 # a confusion-matrix cell, px wide
MATRIX_WIDTH = 470               # px: its 10 cells, the class names beside them and the axis title


def no_runs_yet(shipped: bool) -> None:
    """What the page says before anything is trained; ``shipped``: the app's own model is shown below it."""
    below = " Meanwhile, here is how the model that ships with the app does." if shipped else ""
    st.info("Nothing trained yet. Train a network first: with 500 training images it takes about a minute."
            + below, icon=":material/info:")
    st.page_link("pages/train.py", label="Go to Train", icon=":material/model_training:")


def _remember_choice() -> None:
    remember_run(st.session_state[RESULTS_RUN])
    st.query_params["run"] = st.session_state[RESULTS_RUN]  # a reload or a shared link shows the same run


def pick_runs(all_runs: list[runs.Run]) -> tuple[runs.Run, list[runs.Run]]:
    """The run to look at (?run=ID, else the current run: see ``widgets.current_run_id``) and any others to
    compare its curves with."""
    by_id = {run.id: run for run in all_runs}
    labels = {run.id: run_label(run) for run in all_runs}
    ss = st.session_state
    wanted = st.query_params.get("run")  # from a link on the Train page, or the choice before a reload
    if wanted in by_id:
        remember_run(wanted)
    ss[RESULTS_RUN] = current_run_id(all_runs)
    st.query_params["run"] = ss[RESULTS_RUN]
    # one under the other in presenter mode: a run's label ends in its test accuracy, cut in a narrower column
    pick, compare = st.columns([3, 2]) if not presenting() else (st.container(), st.container())
    chosen = pick.selectbox("Run", list(by_id), key=RESULTS_RUN, format_func=labels.get,
                            on_change=_remember_choice,
                            help="Opens on the run you trained or looked at last; newest first, the model that "
                                 "ships with the app last. Inside the network and Predict follow your choice.")
    others = compare.multiselect("Compare its curves with", [i for i in by_id if i != chosen],
                                 format_func=labels.get, key="results_compare")
    return by_id[chosen], [by_id[i] for i in others]


def run_overview(run: runs.Run) -> None:
    """Status, test accuracy, train time and epochs of one run, and what went wrong if anything did."""
    s = run.summary()
    status, accuracy, seconds, epochs = metric_row(4)
    status.metric("Status", s["status"])
    accuracy.metric("Test accuracy", accuracy_text(s["test_accuracy"]),
                    help=f"The share of test images it gets right, {how_tested(run)}: "
                         f"{link('test-time augmentation')}." if s["test_accuracy"] is not None else None)
    seconds.metric("Train time", duration(s["train_seconds"]))
    epochs.metric("Epochs", s["epochs"], help=f"Finished {link('epoch', 'epochs')} of those asked for.")
    if s["test_accuracy"] is not None:
        st.caption(f"Test accuracy: the share of test images it gets right, {how_tested(run)}.")
    if s["status"] == runs.FAILED:
        error_box(f"**This run failed:** {s['error'] or 'no reason was recorded'}")
    elif s["status"] == runs.INTERRUPTED:
        st.warning("**This run was interrupted:** the app stopped while it was training. Its finished epochs "
                   "and last saved model are kept, but it was never tested.", icon=":material/warning:")
    elif s["status"] == runs.RUNNING:
        st.info("**This run is still training.** Its test results appear here when it is done.",
                icon=":material/hourglass_top:")
        st.page_link("pages/train.py", label="Watch it on the Train page", icon=":material/monitoring:")


@st.cache_data(max_entries=16, show_spinner=False)
def _evaluation(folder: str, mtime_ns: int) -> evaluation.Evaluation:
    return evaluation.load(folder)


def load_evaluation(run: runs.Run) -> evaluation.Evaluation | None:
    """The run's test evaluation (cached until it is rewritten), or None after saying why there is none."""
    path = run.path / evaluation.PREDICTIONS_FILE
    if not path.is_file():
        if run.status == runs.RUNNING:
            reason = "No test results for this run yet: it is still training."
        else:
            verb = "failed" if run.status == runs.FAILED else "stopped"
            reason = f"No test results for this run: it {verb} before it could be tested."
        st.info(reason, icon=":material/info:")
        return None
    try:
        return _evaluation(str(run.path), path.stat().st_mtime_ns)
    except ValueError as exc:
        error_box(f"**The test results of this run cannot be read.** {exc}")
        return None


def confusion_explorer(run: runs.Run, ev: evaluation.Evaluation) -> None:
    """The confusion matrix, how to read it, and the images of the cell last clicked (at first: the commonest
    mistake); two pickers choose a cell without a mouse."""
    ss, names = st.session_state, list(data.CLASS_NAMES)
    true_key, pred_key, version = f"results_true_{run.id}", f"results_pred_{run.id}", f"results_chart_{run.id}"
    counts = ev.confusion()
    seen = reading.read_confusion(counts)
    if true_key not in ss or pred_key not in ss:
        ss[true_key], ss[pred_key] = seen.worst[:2] if seen.worst else (names[0], names[0])
    # the chart keeps its size (its cells are clicked): the images sit beside it where the page is wide
    # enough, else below it, never over it (in two equal columns they covered it at 1280 pixels); in
    # presenter mode always below, where a row holds several of them
    beside = st.container(horizontal=not presenting(), gap="medium")
    matrix, cell = beside.container(width=MATRIX_WIDTH), beside.container(width="stretch")
    with matrix:
        normalized = st.toggle("Show each cell as a share of its true class", key="results_normalized",
                               help="The colours stay the same: each cell is coloured by its share of the row. "
                                    f"({link('confusion matrix', 'What a confusion matrix is')}.)")
        chart_key = f"results_confusion_{ss.get(version, 0)}"
        chart = confusion_chart(counts, normalized=normalized, shown=(ss[true_key], ss[pred_key]), step=MATRIX_STEP)
        st.altair_chart(chart, key=chart_key, on_select=lambda: _cell_clicked(chart_key, true_key, pred_key),
                        selection_mode=CELL, width="content")
        st.markdown(howto.confusion(seen))
    with cell:
        with st.popover("Choose a cell by name", icon=":material/keyboard:",
                        help="The same as clicking a cell, with the keyboard."):
            # a cell picked here also starts the chart afresh, so that a click on any cell counts again
            bump = {"on_change": ss.__setitem__, "args": (version, ss.get(version, 0) + 1)}
            true = st.selectbox("True class", names, key=true_key, **bump)
            pred = st.selectbox("Predicted as", names, key=pred_key, **bump)
        _cell_images(run, ev, true, pred)


def _cell_clicked(chart_key: str, true_key: str, pred_key: str) -> None:
    if (cell := clicked(st.session_state[chart_key].selection)) is not None:
        st.session_state[true_key], st.session_state[pred_key] = cell


def _cell_images(run: runs.Run, ev: evaluation.Evaluation, true: str, pred: str) -> None:
    """The test images of one cell, the surest first, each with its top 3 (and Grad-CAM when asked)."""
    indices = ev.cell(true, pred)
    kind = "correctly classified" if true == pred else f"predicted **{pred}**"
    st.markdown(f"**The cell opened:** {len(indices)} test images of a **{true}** were {kind}"
                + (f"; the {min(len(indices), CELL_IMAGES)} the model was surest about:" if len(indices) else "."))
    images = load_data().x_test[:len(ev)]  # the run was tested on the first len(ev) test images
    looked = cell_gradcam(run, images[indices[:CELL_IMAGES]], data.CLASS_NAMES.index(pred), size=32 * CELL_ZOOM)
    with st.container(horizontal=True, gap="small"):
        for n, i in enumerate(indices[:CELL_IMAGES]):
            _image_card(images[i], ev, i, looked=looked[n] if looked else None)


def _image_card(image, ev: evaluation.Evaluation, i, *, looked=None, truth: bool = False) -> None:
    """Test image ``i`` enlarged, any Grad-CAM under it, and its top 3 (after its true class, with ``truth``)."""
    with st.container(width=32 * CELL_ZOOM, gap=None):
        # enlarged here, each pixel a block; PNG, since JPEG would smear the blocks
        st.image(pictures.upscale(image, CELL_ZOOM), output_format="PNG")
        if looked is not None:
            st.image(looked, output_format="PNG")
        truly = [f"truly **{data.CLASS_NAMES[ev.y_true[i]]}**"] if truth else []
        st.caption("  \n".join(truly + [f"{name} {p:.0%}" for name, p in ev.top_k(int(i), 3)]))


def class_report(run: runs.Run, ev: evaluation.Evaluation) -> None:
    """Precision, recall and F1 per class, as a table and as bars, and a worked example from the run's counts."""
    rows = [{**row, "class": AVERAGE} if row["class"] == evaluation.MACRO else row for row in ev.report()]
    table, bars = st.columns(2, gap="medium")
    scores = {"precision": "Precision", "recall": "Recall", "f1": "F1"}
    table.dataframe(in_percent(rows, scores), hide_index=True, height=35 * (len(rows) + 1) + 3, column_config={
        "class": "Class", "support": "Images", **{key: percent_column(label) for key, label in scores.items()}})
    bars.plotly_chart(presented(charts.per_class_metrics(rows)), key="results_per_class")
    counts, names = ev.confusion(), list(data.CLASS_NAMES)
    weakest = reading.weakest_class(counts)
    example, words = st.columns([1, 4], vertical_alignment="top")
    chosen = example.selectbox("Worked example for", range(len(names)), index=weakest, format_func=names.__getitem__,
                               key=f"results_example_{run.id}",
                               help=f"At first its weakest class: the lowest {link('F1')}.")
    words.markdown(howto.class_scores(reading.class_scores(counts, chosen), chosen == weakest))
    st.caption(f"{link('precision', 'Precision')}: of the images it called the class, the share that are. "
               f"{link('recall', 'Recall')}: of the images of the class, the share it found. {link('F1')}: their "
               "harmonic mean. The last row and the dotted line: the average over the 10 classes, each counting "
               "the same.")


def compare_curves(chosen: list[runs.Run]) -> None:
    """Epoch curves of one or more runs overlaid, train dashed and validation solid, and how to read them."""
    seen = epoch_curves(chosen, key="results", caption=False)
    if seen is None:
        return
    st.markdown(howto.curves(seen) + (" Here, the first run picked is the one read." if len(chosen) > 1 else ""))
    if len(chosen) > 1:
        st.dataframe([{**row, "preset": preset_title(row["preset"])} for row in
                      in_percent([run.summary() for run in chosen], ("best_val_accuracy", "test_accuracy"))],
                     hide_index=True, placeholder="–",
                     column_order=("id", "status", "preset", "epochs", "best_val_accuracy", "test_accuracy",
                                   "train_seconds"),
                     column_config={"id": "Run", "status": "Status", "preset": "Preset", "epochs": "Epochs",
                                    "best_val_accuracy": percent_column("Best validation"),
                                    "test_accuracy": percent_column("Test accuracy"),
                                    "train_seconds": st.column_config.NumberColumn("Train seconds", format="%.0f")})


def config_and_files(run: runs.Run) -> None:
    """The run's settings as a table people read, and its model and config to download."""
    buttons = st.container(horizontal=True)
    # the model file is read only when the button is pressed, not on every rerun
    buttons.download_button("Download the model (.keras)", run.model_path.read_bytes, file_name=f"{run.id}.keras",
                            mime="application/octet-stream", icon=":material/download:", on_click="ignore",
                            disabled=not run.has_model, help=None if run.has_model else "This run saved no model.")
    buttons.download_button("Download the settings (.json)", json.dumps(run.config, indent=2),
                            file_name=f"{run.id}-config.json", mime="application/json",
                            icon=":material/download:", on_click="ignore",
                            help="Every setting, so the run can be trained again the same way.")
    table = pd.DataFrame(config_rows(run.config)).rename(columns={"setting": "Setting", "value": "Value",
                                                                  "meaning": "What it does"})
    st.table(table, hide_index=True, border="horizontal")


AVERAGE = "average"  # the report's macro-average row (every class counting the same), as the table and chart name it
MISTAKES_PAGE = 24               # mistakes shown at first, and added by each "Show more"


def mistakes_gallery(run: runs.Run, ev: evaluation.Evaluation) -> None:
    """The test images the model gets wrong, by true and predicted class, the most confident mistakes first."""
    if pairs := ev.most_confused(5):
        st.markdown("**Most often confused:** " + "; ".join(
            f"**{true}** is mistaken for **{pred}** {count} time{'s' if count != 1 else ''}"
            for true, pred, count in pairs) + ".")
    names = ["any", *data.CLASS_NAMES]
    left, right = st.columns(2)
    true = left.selectbox("True class", names, key=f"mistakes_true_{run.id}")
    pred = right.selectbox("Predicted as", names, key=f"mistakes_pred_{run.id}")
    if true == pred != "any":
        st.info(f"A mistake is a {true} predicted as something else: choose two different classes.",
                icon=":material/info:")
        return
    indices = ev.mistakes(true_class=None if true == "any" else true, pred_class=None if pred == "any" else pred)
    shown_key = f"mistakes_shown_{run.id}_{true}_{pred}"  # each filter starts again from one page
    shown = st.session_state.get(shown_key, MISTAKES_PAGE)
    st.markdown(_mistakes_headline(len(indices), len(ev), true, pred, min(shown, len(indices))))
    st.caption("Under each image: its true class, then the model's three likeliest answers. The surest mistakes "
               "come first; they often share a colour or a shape with the class it chose.")
    images = load_data().x_test[:len(ev)]  # the run was tested on the first len(ev) test images
    with st.container(horizontal=True, gap="small"):
        for i in indices[:shown]:
            _image_card(images[i], ev, i, truth=True)
    if len(indices) > shown:
        st.button(f"Show {min(MISTAKES_PAGE, len(indices) - shown)} more", icon=":material/expand_more:",
                  key=f"mistakes_more_{run.id}", on_click=st.session_state.__setitem__,
                  args=(shown_key, shown + MISTAKES_PAGE))


def _mistakes_headline(n: int, tested: int, true: str, pred: str, showing: int) -> str:
    """'**87** test images of a **cat** were predicted as **dog**; the 24 the model was surest about:'."""
    of = "" if true == "any" else f" of a **{true}**"
    wrongly = "predicted wrongly" if pred == "any" else f"predicted as **{pred}**"
    if n == 0:
        return f"No test image{of} was {wrongly}, of the {tested:,} tested."
    among = f" of the {tested:,}" if true == "any" and pred == "any" else ""
    head = f"**{n:,}**{among} test image{'s' if n != 1 else ''}{of} {'were' if n != 1 else 'was'} {wrongly}"
    return head + (f"; the {showing} the model was surest about, most confident first:" if showing < n
                   else ", most confident first:")
