"""The Train page's live view of a training: progress, speed, time left and Stop, and its curves."""
from __future__ import annotations

import time

import streamlit as st

from .. import charts, live, runs, svg_charts, trainqueue
from . import presented
from .widgets import duration, metric_row

POLL_SECONDS = 2.0               # how often the live view's progress reads the run's folder
CHART_SECONDS = 5.0              # how often its charts redraw: seconds suffice, and each costs the browser


def training_panel(run: runs.Run) -> None:
    """The live view of a run, from its folder, whoever trains it: progress, speed, time left and Stop
    redrawn every 2 s, its curves every 5 s.

    Progress and charts are two fragments, so the charts redraw less often: a
    browser on the same 2-core machine takes its redrawing time from the
    training (BENCHMARKS.md, "The app").
    """
    watching = live.snapshot(run).active

    @st.fragment(run_every=POLL_SECONDS if watching else None)
    def progress():
        snap = live.snapshot(run)
        if watching and not snap.active:
            st.rerun()  # it has just ended: redraw the whole page, with the next in the queue
        _progress(snap, run)

    with st.container(border=True):
        progress()
        charts_on = not watching or st.toggle(
            "Live charts", value=True, key="train_live_charts",
            help="Redraw the curves every few seconds while it trains, as plain pictures that are cheap "
                 "to draw. Off, a browser on the same small machine (2 cores) leaves a little more of it to "
                 "the training. The interactive curves are drawn in full when the training ends.")

        @st.fragment(run_every=CHART_SECONDS if watching and charts_on else None)
        def curves():
            snap = live.snapshot(run)
            if not charts_on:
                st.caption("Live charts are off: the curves are drawn when the training ends.")
            elif snap.active or recent(run):
                _curves(snap, run)
            else:
                with st.expander("Training curves"):
                    _curves(snap, run)

        curves()


def last_training() -> runs.Run | None:
    """The run to show when none is training: the one this session started, else one that ended in the
    last ten minutes (say, before a reload); None when neither is."""
    started = st.session_state.get("train_started")
    for run in runs.list_runs():
        try:
            if run.id == started and run.status != runs.QUEUED or run.status in runs.DONE and recent(run):
                return run
        except runs.RunError:
            continue
    return None


def recent(run: runs.Run) -> bool:
    """Whether this session started the run, or it ended less than ten minutes ago (say, before a reload)."""
    if st.session_state.get("train_started") == run.id:
        return True
    try:
        return time.time() - run.status_record().get("updated", 0) < 600
    except runs.RunError:
        return False


def _progress(snap: live.Snapshot, run: runs.Run) -> None:
    title = "Training now" if snap.active else "Last training"
    st.markdown(f"#### {title}: run `{snap.run_id}`")
    steps = max(1, snap.steps_per_epoch)
    if snap.status == live.STARTING:
        text = "Getting ready: drawing the images, building the network…"
    elif snap.active and snap.epoch == 1 and snap.batch == 0:
        text = "Compiling the network: the first batch takes a few seconds…"
    elif snap.status == live.TESTING or snap.active and snap.progress >= 1:
        text = "Trained; now testing it on the test images…"
    elif snap.status == live.STOPPING:
        text = f"Stopping at epoch {snap.epoch}/{snap.epochs} · batch {snap.batch}/{steps}, then testing…"
    elif snap.status == live.PAUSED:
        text = f"Paused at epoch {snap.epoch}/{snap.epochs} · batch {snap.batch}/{steps}: press Go on to continue"
    elif snap.active:
        text = f"Epoch {snap.epoch}/{snap.epochs} · batch {snap.batch}/{steps}"
    else:
        text = f"{snap.status.capitalize()} at epoch {snap.epoch}/{snap.epochs} · batch {snap.batch}/{steps}"
    st.progress(snap.progress, text=text)
    speed, left, spent, score = metric_row(4)
    # the unit in the label: "1,067 images/s" is too wide for a quarter of the page and gets cut
    speed.metric("Speed, images/s", f"{snap.images_per_second:,.0f}" if snap.images_per_second else "–")
    left.metric("Time left", duration(snap.eta_seconds) if snap.active else "–",
                help="Training and then testing on the test images, at the speed measured so far.")
    spent.metric("Elapsed, all told", duration(snap.elapsed_seconds),
                 help="Since the run started: building the network, training, testing. The Results page's "
                      "train time counts the training alone.")
    last = snap.history[-1] if snap.history else {}
    if snap.test_accuracy is not None:
        score.metric("Test accuracy", f"{snap.test_accuracy:.1%}")
    elif last.get("val_accuracy") is not None:
        score.metric("Held-out accuracy", f"{last['val_accuracy']:.1%}",
                     help="After the last finished epoch, on images it does not train on: its validation hold-out, "
                          "or the first 2,000 test images for a run that trains on all its images.")
    else:
        score.metric("Training accuracy", f"{last['accuracy']:.1%}" if last else "–",
                     help="Over the last finished epoch (no validation hold-out in this run).")
    if snap.status == live.STOPPING:
        st.info("Stopping after this batch… What it has learnt so far is kept and tested.",
                icon=":material/pause_circle:")
    elif snap.status in (live.STARTING, live.RUNNING, live.PAUSED):
        _steering(snap, run)
    elif not snap.active:
        _outcome(snap)


def _steering(snap: live.Snapshot, run: runs.Run) -> None:
    """Stop, Pause or Go on, and the learning rate, for a training under way (honoured after its next batch)."""
    with st.container(horizontal=True, vertical_alignment="center"):
        st.button("Stop", icon=":material/stop_circle:", key=f"train_stop_{run.id}", on_click=live.request_stop,
                  args=(run,), help="Stop after the batch under way; the model trained so far is kept and tested.")
        if snap.status == live.PAUSED:
            st.button("Go on", icon=":material/play_arrow:", key=f"train_go_on_{run.id}", type="primary",
                      on_click=live.request_pause, args=(run, False), help="Go on training from where it paused.")
        else:
            st.button("Pause", icon=":material/pause:", key=f"train_pause_{run.id}", on_click=live.request_pause,
                      args=(run,), disabled=snap.status == live.STARTING,
                      help="Pause after the batch under way: the network waits, keeping everything, until you "
                           "press Go on. Time paused does not count as training time.")
        if snap.learning_rate is not None:
            _learning_rate(snap, run)
        if snap.changes:
            last = snap.changes[-1]
            st.caption(f"Learning rate changed to {last['to']:.3g} at batch {last['step']:,}: the curves mark it.")


def _learning_rate(snap: live.Snapshot, run: runs.Run) -> None:
    """The learning rate now, and a new one to go on with: halved, doubled or typed."""
    box = st.popover(f"Learning rate {snap.learning_rate:.3g}", icon=":material/tune:", key=f"train_lr_{run.id}",
                     on_change="rerun", help="Change the learning rate while it trains, and watch the curves "
                                             "answer.")
    if not box.open:
        return
    with box:
        st.markdown(f"Now **{snap.learning_rate:.3g}**. A new rate applies from the next batch; the schedule "
                    "goes on from there, scaled to it. Too high and the loss jumps or the training diverges; too "
                    "low and it crawls.")
        key = f"train_lr_value_{run.id}"
        st.session_state.setdefault(key, float(f"{snap.learning_rate:.3g}"))  # then what the user types
        typed = st.number_input("New learning rate", min_value=1e-6, max_value=live.MAX_LEARNING_RATE, step=1e-4,
                                format="%g", key=key)
        with st.container(horizontal=True):
            for label, rate in (("Halve it", snap.learning_rate / 2), ("Double it", snap.learning_rate * 2),
                                ("Use the new rate", typed)):
                # disabled outside the range request_learning_rate takes, so it never refuses one from here
                st.button(label, key=f"train_lr_{label}_{run.id}", on_click=live.request_learning_rate,
                          args=(run, rate), disabled=not rate or rate > live.MAX_LEARNING_RATE)


def _outcome(snap: live.Snapshot) -> None:
    done = f"{len(snap.history)} of {snap.epochs} epochs"
    tested = f", test accuracy **{snap.test_accuracy:.1%}**" if snap.test_accuracy is not None else ""
    if snap.status == runs.FINISHED:
        st.success(f"**Finished:** {done}{tested}.", icon=":material/check_circle:")
    elif snap.status == runs.STOPPED:
        st.warning(f"**Stopped** after {done}; the model trained so far was kept{tested}.",
                   icon=":material/stop_circle:")
    else:
        st.error(f"**Failed:** {snap.error or 'no reason was recorded'}", icon=":material/error:")
    st.page_link("pages/results.py", label=f"See the results of run {snap.run_id}", icon=":material/insights:",
                 query_params={"run": snap.run_id})


def _curves(snap: live.Snapshot, run: runs.Run) -> None:
    """The per-batch and per-epoch curves: static SVG while it trains, interactive Plotly once it has ended.

    The live ones are redrawn every few seconds, and a browser on the same small machine spent a
    fifth of a core redrawing Plotly, taken from the training. An SVG image it decodes and paints
    natively, with no script. (Not st.html: its sanitiser, DOMPurify's HTML profile, drops SVG.)
    """
    if not snap.batches:
        st.caption("The curves appear after the first batch.")
        return
    per_batch, per_epoch = st.columns([3, 2])
    b = snap.batches
    window = max(1, min(20, snap.epochs * snap.steps_per_epoch // 10))  # one window for the whole run
    steps, loss, accuracy = [r["step"] for r in b], [r["loss"] for r in b], [r["accuracy"] for r in b]
    by_batch, by_epoch = (charts.rate_marks(snap.changes, key) for key in ("step", "after_epochs"))
    if snap.active:
        per_batch.container(key="train_batch_curves").image(
            svg_charts.batch_curves(steps, loss, accuracy, smooth=window, marks=by_batch), width="stretch",
            alt=f"Loss and accuracy per batch, up to batch {steps[-1]:,}")
    else:
        figure = charts.mark_changes(charts.batch_curves(steps, loss, accuracy, smooth=window), by_batch,
                                     subplots=True)
        figure.update_layout(legend_y=1.12, margin_t=70)  # the legend above the subplot titles, not on them
        per_batch.plotly_chart(presented(figure), key="train_batch_curves", config={"displayModeBar": False})
    with per_epoch:
        metric = st.segmented_control("Per epoch", ["accuracy", "loss"], default="accuracy", required=True,
                                      key="train_epoch_metric")
        if not snap.history:
            st.caption("Train and validation curves appear after the first epoch.")
        elif snap.active:
            st.container(key="train_epoch_curves").image(
                svg_charts.epoch_curves({"": list(snap.history)}, metric=metric, held_out={"": run.held_out()},
                                        marks=by_epoch),
                width="stretch",
                alt=f"{metric.capitalize()} per epoch, up to epoch {len(snap.history)}")
        else:
            figure = charts.epoch_curves({"": list(snap.history)}, metric=metric, held_out={"": run.held_out()})
            charts.mark_changes(figure, by_epoch)
            if metric == "accuracy":
                figure.update_yaxes(range=[0, 1])  # the whole scale: early epochs would otherwise look odd
            st.plotly_chart(presented(figure), key="train_epoch_curves", config={"displayModeBar": False})


def queue_panel(waiting: list[runs.Run]) -> None:
    """The runs waiting their turn, first in line first, each with a Cancel button (``watch_for_changes``
    redraws the page when the line moves)."""
    if not waiting:
        return
    with st.container(border=True):
        st.markdown(f"#### Waiting to train: {len(waiting)} run{'s' * (len(waiting) != 1)}")
        st.caption(f"Runs train one after another, {trainqueue.trainers()} at a time, in the order they were "
                   "started, whoever started them: in this browser, another one, or from the command line.")
        for n, run in enumerate(waiting, start=1):
            config = run.config
            mine = " (yours)" if st.session_state.get("train_started") == run.id else ""
            with st.container(horizontal=True, vertical_alignment="center"):
                st.markdown(f"**{n}.** run `{run.id}`{mine}: {config.get('preset', '?')}, "
                            f"{config.get('epochs', '?')} epochs")
                st.button("Cancel", icon=":material/close:", key=f"train_cancel_{run.id}", type="tertiary",
                          on_click=_cancel, args=(run,))


def watch_for_changes(training: list[runs.Run], waiting: list[runs.Run]) -> None:
    """Redraw the page when a training starts or ends or the line of waiting runs changes, whoever did
    it: this browser, another one, or the command line (``python -m cifar_demo train``)."""
    drawn = ([run.id for run in training], [run.id for run in waiting])

    # while one trains its live view already polls (and redraws the page when it ends): look less often
    @st.fragment(run_every=CHART_SECONDS if training else POLL_SECONDS)
    def watch():
        if ([run.id for run in live.training_now()], [run.id for run in trainqueue.queued()]) != drawn:
            st.rerun()

    watch()


def _cancel(run: runs.Run) -> None:
    try:
        trainqueue.cancel(run)
    except runs.RunError as exc:
        st.session_state["train_error"] = f"Not cancelled: {exc}."
