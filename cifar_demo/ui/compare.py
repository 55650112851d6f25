"""Streamlit pieces of the Compare runs page, and the run actions the Results page shares:
the runs table, overlaid curves, resume, train again, delete, import a .keras model."""
from __future__ import annotations

import time

import pandas as pd
import streamlit as st

from .. import data, run_table, runs, trainer, trainqueue, transfer
from ..config_table import differing, preset_title
from ..settings import SETTINGS
from . import error_box, load_data
from .train_setup import load_config
from .widgets import accuracy_text, duration, epoch_curves, in_percent, percent_column, remember_run

RUNS_TABLE, RUNS_PICK, RUNS_CONFIRM = "runs_table", "runs_pick", "runs_confirm_delete"
RUNS_TICKED = "runs_ticked"      # the ids of the runs ticked at the last rerun
RUNS_SEEN = "runs_seen"          # the ids of the table's rows at the last rerun, in order
GO_TRAIN = "runs_go_train"       # set by Resume and Train again: the next run switches to the Train page
IMPORT_VERSION = "runs_import_version"  # a fresh uploader after each import, so that a file is imported once
PERCENTAGES = ("best_val_accuracy", "final_val_accuracy", "test_accuracy")
COLUMNS = {
    "id": st.column_config.TextColumn("Run", pinned=True),
    "status": "Status", "preset": "Preset",
    "epochs_done": st.column_config.NumberColumn("Epochs done"),
    "epochs": st.column_config.NumberColumn("of"),
    "best_val_accuracy": percent_column("Best validation"),
    "final_val_accuracy": percent_column("Final validation"),
    "test_accuracy": percent_column("Test accuracy"),
    "train_seconds": st.column_config.NumberColumn("Train seconds", format="%.0f"),
    "batch_size": st.column_config.NumberColumn("Batch"), "optimizer": "Optimizer",
    "learning_rate": st.column_config.NumberColumn("Learning rate", format="%g"),
    "augmentation": "Augmentation",
    "subset": st.column_config.NumberColumn("Training images", format="localized"),
}


def flash(place: str) -> None:
    """The outcome of the last action at ``place`` (a delete, an import), shown once."""
    if message := st.session_state.pop(f"runs_flash_{place}", None):
        ok, text = message
        if ok:
            st.success(text, icon=":material/check_circle:")
        else:
            error_box(text)


def _say(place: str, ok: bool, text: str) -> None:
    st.session_state[f"runs_flash_{place}"] = (ok, text)


# --- the table and the curves -------------------------------------------------------------------------------

def runs_table(all_runs: list[runs.Run]) -> list[runs.Run]:
    """Every run in a sortable table, newest first; returns the runs whose rows are ticked."""
    ss = st.session_state
    ids = [run.id for run in all_runs]
    if ss.get(RUNS_SEEN, ids) != ids:
        # runs came (a training, an import) or went (a delete): the table keeps its ticks by row number,
        # so tick the same runs again wherever their rows are now
        ss[RUNS_TABLE] = {"selection": {"rows": [ids.index(i) for i in ss.get(RUNS_TICKED, []) if i in ids]}}
    ss[RUNS_SEEN] = ids
    rows = in_percent(_readable(run_table.table(all_runs)), PERCENTAGES)
    event = st.dataframe(rows, key=RUNS_TABLE, on_select=_follow_selection, selection_mode="multi-row",
                         hide_index=True, column_order=list(COLUMNS),
                         column_config=COLUMNS, placeholder="–")
    ticked = [all_runs[i] for i in event.selection.rows if i < len(all_runs)]
    ss[RUNS_TICKED] = [run.id for run in ticked]
    return ticked


def _readable(rows: list[dict]) -> list[dict]:
    """Table rows with the preset and optimizer as people call them ('Two-block', 'Adam')."""
    names = SETTINGS["optimizer"].names
    return [{**row, "preset": preset_title(row.get("preset")), "optimizer": names.get(row.get("optimizer"),
                                                                                        row.get("optimizer"))}
            for row in rows]


def _follow_selection() -> None:
    """Ticking a row makes its run the one to manage below, and the current run of the other pages."""
    ss = st.session_state
    ids = ss.get(RUNS_SEEN, [])
    new = [ids[i] for i in ss[RUNS_TABLE].selection.rows if i < len(ids) and ids[i] not in ss.get(RUNS_TICKED, [])]
    if new:
        ss[RUNS_PICK] = new[-1]
        remember_run(new[-1])


def overlay_curves(chosen: list[runs.Run]) -> None:
    """The ticked runs' epoch curves on one chart, train dashed and validation solid, and how they differ."""
    if not chosen:
        st.info("Tick one or more rows to overlay their training curves here and see how their settings differ.",
                icon=":material/info:")
        return
    epoch_curves(chosen, key="runs")
    differences(chosen)


def differences(chosen: list[runs.Run]) -> None:
    """The settings that differ between the ticked runs, then each one's training images, time, date and test
    accuracy: a row per setting, a column per run, every word shown (the table wraps)."""
    rows = {run.id: row for run, row in zip(chosen, run_table.table(chosen))}
    configs = [run.config if rows[run.id].get("status") != "unreadable" else {} for run in chosen]
    differ = [r for r in differing(configs) if r["setting"] != SETTINGS["subset"].label] if len(chosen) > 1 else []
    table = [{"Setting": r["setting"], **dict(zip(rows, r["values"]))} for r in differ]
    for label, text in (("Training images", lambda r: f"{r['subset']:,}" if r.get("subset") else "–"),
                        ("Training time", lambda r: duration(r.get("train_seconds"))),
                        ("Date", lambda r: time.strftime("%d %b %Y, %H:%M", time.localtime(r["created"]))
                         if r.get("created") else "–"),
                        ("Test accuracy", lambda r: accuracy_text(r.get("test_accuracy")))):
        table.append({"Setting": label, **{run_id: text(row) for run_id, row in rows.items()}})
    if len(chosen) > 1:
        st.markdown("**How they differ:** " + ("the settings that are not the same in all the ticked runs, then "
                                               "each run's training images, time, date and test accuracy."
                                               if differ else "the same settings; here is how each run went."))
    else:
        st.markdown("**This run:** tick another to see the settings in which they differ.")
    st.table(pd.DataFrame(table), hide_index=True, border="horizontal")


def pick_run(all_runs: list[runs.Run]) -> runs.Run:
    """The run to act on: the last row ticked, else the newest."""
    by_id = {run.id: run for run in all_runs}
    if st.session_state.get(RUNS_PICK) not in by_id:
        st.session_state[RUNS_PICK] = all_runs[0].id
    return by_id[st.selectbox("Run", list(by_id), key=RUNS_PICK, help="Ticking a row in the table picks it too. "
                              "Results, Inside the network and Predict then open on it.",
                              on_change=lambda: remember_run(st.session_state[RUNS_PICK]))]


# --- actions on one run --------------------------------------------------------------------------------------

def run_actions(run: runs.Run, *, place: str, manage: bool = False) -> None:
    """Resume (a stopped, interrupted or failed run) and Train again; with ``manage``, Open and Delete too."""
    if st.session_state.pop(GO_TRAIN, False):
        st.switch_page("pages/train.py")
    flash(place)
    try:
        status = run.status
    except runs.RunError:
        status = None  # unreadable: it can still be deleted
    with st.container(horizontal=True, vertical_alignment="center"):
        if status in runs.RESUMABLE:
            _resume_button(run, place)
        if status not in (None, runs.IMPORTED) and run.config.get("kind") != "baseline":
            st.button("Train again with these settings", icon=":material/replay:", key=f"{place}_again_{run.id}",
                      help="Open the Train page with this run's layers and settings filled in.",
                      on_click=_train_again, args=(run,))
        if manage:
            st.page_link("pages/results.py", label="Open in Results", icon=":material/insights:",
                         query_params={"run": run.id})
            if st.session_state.get(RUNS_CONFIRM) != run.id:
                st.button("Delete…", icon=":material/delete:", key=f"{place}_delete_{run.id}",
                          on_click=st.session_state.__setitem__, args=(RUNS_CONFIRM, run.id))
    if manage and st.session_state.get(RUNS_CONFIRM) == run.id:
        _confirm_delete(run, place)


def _resume_button(run: runs.Run, place: str) -> None:
    try:
        config = trainer.resumable(run)
        problem = None
        done = len(run.history())
        about = (f"Go on from epoch {done + 1} to {config.epochs}, in this run's folder (after any runs "
                 "already waiting)." if done < config.epochs
                 else "All its epochs are done: this tests its model and marks the run finished.")
    except runs.RunError as exc:
        problem, about = f"{exc}.", None
    st.button("Resume training", icon=":material/play_arrow:", key=f"{place}_resume_{run.id}", type="primary",
              disabled=problem is not None, help=problem or about, on_click=_resume, args=(run, place))


# the buttons act in callbacks, before the rerun, which then goes to the Train page
def _resume(run: runs.Run, place: str) -> None:
    try:
        data.find_source(download=False)
        trainqueue.enqueue_resume(run)
    except (runs.RunError, data.DataError, OSError) as exc:
        _say(place, False, f"**Not resumed:** {exc}.")
        return
    st.session_state["train_started"] = run.id  # the Train page then shows its curves open
    remember_run(run.id)
    st.session_state[GO_TRAIN] = True


def _train_again(run: runs.Run) -> None:
    load_config(run.config, run.id)
    st.session_state[GO_TRAIN] = True


def _confirm_delete(run: runs.Run, place: str) -> None:
    with st.container(border=True):
        st.warning(f"Delete run **{run.id}** for good? Its model, history, test results and logs go with it.",
                   icon=":material/delete_forever:")
        with st.container(horizontal=True):
            st.button("Delete for good", type="primary", key=f"{place}_delete_yes", on_click=_delete,
                      args=(run, place))
            st.button("Cancel", key=f"{place}_delete_no", on_click=st.session_state.pop, args=(RUNS_CONFIRM, None))


def _delete(run: runs.Run, place: str) -> None:
    ss = st.session_state
    ss.pop(RUNS_CONFIRM, None)
    try:
        runs.delete(run)
    except (runs.RunError, OSError) as exc:
        _say(place, False, f"**Not deleted:** {exc}.")
        return
    ss.pop(RUNS_PICK, None)
    _say(place, True, f"Deleted run {run.id}.")


# --- import ----------------------------------------------------------------------------------------------------

def import_uploader() -> None:
    """Upload a .keras model; a valid one becomes a run, tested on the first test images."""
    ss = st.session_state
    version = ss.setdefault(IMPORT_VERSION, 0)
    upload = st.file_uploader(
        "A Keras model (.keras)", type=["keras"], key=f"runs_import_{version}",
        help="A whole model saved from Keras as one .keras file. It must take 32×32 colour images (input shape "
             "(None, 32, 32, 3)) and give 10 class scores (output shape (None, 10)). It is loaded in Keras's safe "
             "mode, so a Lambda layer (Python code) is refused.")
    if upload is None:
        return
    with st.spinner(f"Checking {upload.name} and testing it on the first {transfer.IMPORT_TEST_IMAGES:,} test images…"):
        try:
            run = transfer.import_model(upload.getvalue(), upload.name, data=load_data())
        except transfer.ModelRejected as exc:
            _say("import", False, f"**Not imported.** {exc}")
        else:
            accuracy = run.evaluation().accuracy
            _say("import", True, f"Imported **{upload.name}** as run `{run.id}`: test accuracy "
                                 f"{accuracy_text(accuracy)} on the first {transfer.IMPORT_TEST_IMAGES:,} test "
                                 f"images. It is in the table above, and on the Results and Predict pages.")
    ss[IMPORT_VERSION] = version + 1
    st.rerun()
