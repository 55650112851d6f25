"""The one place pages share Streamlit helpers: cached loaders, the sidebar, routing.

Only app.py, pages/ and this module import Streamlit; the rest of cifar_demo
runs without it.
"""
from __future__ import annotations

import contextlib
import threading
from pathlib import Path

import streamlit as st

from . import data, jobs, runs

ROOT = Path(__file__).resolve().parent.parent
# (file, title, icon, url path); the url path is the file's stem, the name Streamlit's
# legacy pages/ mode infers too, so a deep link means the same page in both modes
PAGES = [
    ("pages/home.py", "Home", ":material/home:", "home"),
    ("pages/explore.py", "Explore the data", ":material/grid_view:", "explore"),
    ("pages/train.py", "Train", ":material/model_training:", "train"),
    ("pages/results.py", "Results", ":material/insights:", "results"),
    ("pages/predict.py", "Predict", ":material/photo_camera:", "predict"),
]

_routing = threading.local()  # set while app.py runs a page: each script run has its own thread


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
def _load_data() -> data.Cifar10:
    return data.load()


def load_data() -> data.Cifar10:
    """CIFAR-10, loaded once per server; a missing or broken data set stops the page with a message."""
    try:
        return _load_data()
    except data.DataError as exc:
        st.error(f"**The CIFAR-10 data set could not be loaded.** {exc}", icon=":material/error:")
        st.stop()


@st.cache_resource(show_spinner="Loading the model…", max_entries=8)
def _load_model(path: str, mtime_ns: int):
    return runs.load_model_file(path)


def load_model(path: Path | str):
    """A .keras model, cached until its file changes; raises runs.RunError for a bad file."""
    path = Path(path)
    return _load_model(str(path), path.stat().st_mtime_ns if path.exists() else 0)


# --- the shared sidebar ------------------------------------------------------------------------------------

def sidebar() -> None:
    """Where the data comes from, and a one-line view of the training under way."""
    with st.sidebar:
        job = jobs.current()
        if job is not None:
            snap = job.snapshot()
            if snap.active:
                st.progress(snap.progress, text=f"Training {snap.run_id}: epoch {snap.epoch}/{snap.epochs}, "
                                                f"{snap.progress:.0%}")
                st.page_link("pages/train.py", label="Watch the training", icon=":material/monitoring:")
        try:
            source = data.find_source(download=False)
            st.caption(f"Data: CIFAR-10 from `{source}`")
        except data.DataError:
            st.caption("Data: CIFAR-10 not found yet; set `CIFAR10_PATH` (see the README).")


def error_box(message: str) -> None:
    st.error(message, icon=":material/error:")


# --- train page ---------------------------------------------------------------------------------------

import dataclasses  # noqa: E402  (imported here: this section is edited apart from the rest of the file)
import functools  # noqa: E402
import inspect  # noqa: E402
import json  # noqa: E402
import time  # noqa: E402

from . import charts, models, training  # noqa: E402

TRAIN_SPEC, TRAIN_EDITED, TRAIN_VERSION = "train_spec", "train_spec_edited", "train_spec_version"
TRAIN_BASE = "train_base"        # the preset the layers and settings came from
SUBSETS = (500, 2_000, 10_000, None)  # training images: a live demo, a coffee break, a lesson, the lot
TEST_SUBSETS = (1_000, None)
BATCH_SIZES = (16, 32, 64, 100, 128, 256, 512)
POLL_SECONDS = 1.0               # how often the live view asks the job how it is doing
CHOICES = {"padding": ("same", "valid"), "kind": ("max", "avg"),
           "activation": models.ACTIVATIONS, "fn": models.ACTIVATIONS}
SCHEDULE_NAMES = {"constant": "constant", "cosine": "cosine decay", "warmup_linear": "warm-up, then linear decay",
                  "step": "steps: ÷10 at 50% and 75%"}
LABELS = {"fn": "Function", "kind": "Pooling", "size": "Window", "use_bias": "Bias"}  # of layer parameters
PARAM_WIDTH = 112                # px per layer parameter widget: "softmax" fits, five fit in a row


@functools.cache
def _field_help() -> dict[str, str]:
    """Each TrainConfig field's comment, which says what it means and its unit: the settings' tooltips."""
    fields = {}
    for line in inspect.getsource(training.TrainConfig).splitlines():
        name, _, comment = line.partition("#")
        if ":" in name and comment:
            fields[name.split(":")[0].strip()] = comment.strip()[:1].upper() + comment.strip()[1:]
    return fields


def _load_layers(key: str) -> None:
    ss = st.session_state
    ss[TRAIN_BASE] = ss["train_preset"] = key
    ss[TRAIN_SPEC] = [dict(layer) for layer in models.preset(key).spec]
    ss[TRAIN_EDITED] = False
    ss[TRAIN_VERSION] = ss.get(TRAIN_VERSION, 0) + 1


def _choose_preset() -> None:
    ss = st.session_state
    _load_layers(ss["train_preset"])
    for name in [k for k in ss if str(k).startswith(f"train_hp_{ss[TRAIN_BASE]}_")]:
        del ss[name]  # its settings start again from the tutorial's defaults


def _edit_spec(edit, *args) -> None:
    ss = st.session_state
    ss[TRAIN_SPEC] = edit(ss[TRAIN_SPEC], *args)
    ss[TRAIN_EDITED] = True
    ss[TRAIN_VERSION] += 1  # new widget keys: every row shows its layer's values afresh


def _set_param(index: int, key: str, widget: str) -> None:
    ss = st.session_state
    ss[TRAIN_SPEC] = models.set_param(ss[TRAIN_SPEC], index, key, ss[widget])
    ss[TRAIN_EDITED] = True


def pick_preset() -> str:
    """The preset select box and its story; choosing one loads its layers and settings. Returns its key."""
    ss = st.session_state
    if TRAIN_SPEC not in ss:
        _load_layers(models.DEFAULT_PRESET)
    ss.setdefault("train_preset", ss[TRAIN_BASE])  # a widget's value is dropped when the user leaves the page
    key = st.selectbox("Start from a preset", list(models.PRESETS), key="train_preset",
                       format_func=lambda k: models.PRESETS[k].title, on_change=_choose_preset)
    edited = " You have edited its layers, so this run will be saved as **custom**." if ss[TRAIN_EDITED] else ""
    st.caption(models.PRESETS[key].about + edited)
    return key


def layer_editor() -> list[dict]:
    """One row per layer: its parameters, what comes out, move and remove; then 'add a layer'. Returns the spec."""
    ss = st.session_state
    spec, version = ss[TRAIN_SPEC], ss[TRAIN_VERSION]
    rows, problem = _summary(json.dumps(spec, sort_keys=True))
    if problem:
        error_box(f"**This network cannot be built.** {problem}.")
    for i, layer in enumerate(spec):
        _layer_row(i, layer, len(spec), version, rows[i] if rows else None)
    if not spec:
        st.info("The network is empty: add a layer below.", icon=":material/info:")
    kind_col, where_col, add_col = st.columns([4, 2, 1], vertical_alignment="bottom")
    kind_col.selectbox("Add a layer", list(models.LAYER_TYPES), key="train_add_kind",
                       format_func=lambda t: f"{t}: {models.LAYER_TYPES[t][1]}")
    where_col.selectbox("Where", range(len(spec) + 1), index=max(len(spec) - 1, 0), key=f"train_add_at_{version}",
                        format_func=lambda p: "at the end" if p == len(spec) else f"before layer {p + 1}")
    add_col.button("Add", icon=":material/add:", width="stretch", on_click=lambda: _edit_spec(
        models.insert_layer, ss[f"train_add_at_{version}"], ss["train_add_kind"]))
    if ss[TRAIN_EDITED]:
        st.button("Back to the preset's layers", icon=":material/undo:",
                  on_click=_load_layers, args=(ss[TRAIN_BASE],))
    return ss[TRAIN_SPEC]


def _layer_row(i: int, layer: dict, n: int, version: int, row: dict | None) -> None:
    kind = layer.get("type", "?")
    defaults, about = models.LAYER_TYPES.get(kind, ({}, "An unknown layer type."))
    params = {**defaults, **{k: v for k, v in layer.items() if k != "type"}}
    with st.container(border=True):
        name_col, params_col, out_col = st.columns([1.7, 6, 1.5], vertical_alignment="center")
        with name_col:
            st.markdown(f"**{i + 1}. {kind}**", help=about)
            with st.container(horizontal=True, gap=None):
                st.button("", icon=":material/arrow_upward:", key=f"train_up_{version}_{i}", disabled=i == 0,
                          type="tertiary", help="Move up", on_click=_edit_spec, args=(models.move_layer, i, -1))
                st.button("", icon=":material/arrow_downward:", key=f"train_down_{version}_{i}",
                          disabled=i == n - 1, type="tertiary", help="Move down", on_click=_edit_spec,
                          args=(models.move_layer, i, 1))
                st.button("", icon=":material/delete:", key=f"train_remove_{version}_{i}", type="tertiary",
                          help="Remove", on_click=_edit_spec, args=(models.remove_layer, i))
        if params:
            with params_col.container(horizontal=True, gap="small"):  # wraps on a narrow screen
                for key, value in params.items():
                    _param_widget(i, key, value, f"train_layer_{version}_{i}_{key}")
        else:
            params_col.caption(about)
        if row is not None:
            out_col.caption(f"→ {'×'.join(map(str, row['output_shape']))}  \n{row['params']:,} params  \n"
                            f"{_compact(row['flops'], 'FLOPs')}")


def _param_widget(i: int, key: str, value, widget: str) -> None:
    label = LABELS.get(key, key.replace("_", " ").capitalize())
    common = {"key": widget, "on_change": _set_param, "args": (i, key, widget), "width": PARAM_WIDTH}
    if key in CHOICES:
        options = CHOICES[key]
        st.selectbox(label, options, index=options.index(value) if value in options else 0, **common)
    elif isinstance(value, bool):
        st.checkbox(label, value, **{**common, "width": "content"})
    elif key == "rate":
        st.number_input(label, 0.0, 0.95, min(max(float(value), 0.0), 0.95), 0.05, **common)
    elif isinstance(value, float):
        st.number_input(label, value=value, step=0.01, format="%.4f", **common)
    elif isinstance(value, int):
        st.number_input(label, 1, 4096, min(max(value, 1), 4096), 1, **common)
    else:
        st.text_input(label, str(value), disabled=True, key=widget, width=PARAM_WIDTH)


@st.cache_data(max_entries=64, show_spinner=False)
def _summary(spec_json: str) -> tuple[list[dict], str | None]:
    try:
        return [dataclasses.asdict(row) for row in models.summarize(json.loads(spec_json))], None
    except models.SpecError as exc:
        return [], str(exc)


def spec_summary(spec: list[dict]) -> bool:
    """Totals and the table of output shapes, parameters and FLOPs per layer; False if it cannot build."""
    rows, problem = _summary(json.dumps(spec, sort_keys=True))
    if problem:
        error_box(f"**This network cannot be built, so it cannot train.** {problem}.")
        return False
    table = [{"Layer": "input image", "Output shape": "32×32×3", "Parameters": 0, "FLOPs": 0}]
    table += [{"Layer": f"{r['index'] + 1}. {r['kind']}", "Output shape": "×".join(map(str, r["output_shape"])),
               "Parameters": r["params"], "FLOPs": r["flops"]} for r in rows]
    totals, details = st.columns([1, 3], gap="large")
    totals.metric("Parameters", f"{sum(r['params'] for r in rows):,}",
                  help="The numbers training adjusts (and the frozen whitening filters).")
    totals.metric("Work per image", _compact(sum(r["flops"] for r in rows), "FLOPs"),
                  help="Arithmetic operations for one image through the network; a multiply-add counts as 2.")
    details.dataframe(table, hide_index=True, height=35 * (len(table) + 1) + 3, column_config={
        "Parameters": st.column_config.NumberColumn(format="localized"),
        "FLOPs": st.column_config.NumberColumn(format="localized")})
    return True


def _compact(n: float, unit: str) -> str:
    for prefix, size in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if n >= size:
            return f"{n / size:.1f} {prefix}{unit}"
    return f"{n:.0f} {unit}"


def training_settings(base: str) -> dict:
    """The training settings, starting from the preset's tutorial defaults; returns TrainConfig fields."""
    d = training.TrainConfig.for_preset(base)

    def opts(name):
        return {"key": f"train_hp_{base}_{name}", "help": _field_help().get(name), "persist_state": "session"}

    optimisation, regularisation, testing = st.columns(3, gap="large")
    with optimisation:
        st.markdown("**Optimisation**")
        epochs = st.number_input("Epochs", 1, 200, d.epochs, **opts("epochs"))
        batch_size = st.selectbox("Batch size", BATCH_SIZES, BATCH_SIZES.index(d.batch_size), **opts("batch_size"))
        optimizer = st.selectbox("Optimizer", training.OPTIMIZERS, training.OPTIMIZERS.index(d.optimizer),
                                 **opts("optimizer"))
        learning_rate = st.number_input("Learning rate", 1e-5, 5.0, d.learning_rate, 1e-4, format="%g",
                                        **opts("learning_rate"))
        schedule = st.selectbox("Schedule", training.SCHEDULES, training.SCHEDULES.index(d.schedule),
                                format_func=SCHEDULE_NAMES.get, **opts("schedule"))
        warmup = st.number_input("Warm-up epochs", 0.0, 50.0, float(d.warmup_epochs), 0.5, **opts("warmup_epochs"),
                                 disabled=schedule not in ("cosine", "warmup_linear"))
    with regularisation:
        st.markdown("**Data and regularisation**")
        subset = st.selectbox("Training images", SUBSETS, SUBSETS.index(10_000), **opts("subset"),
                              format_func=lambda n: "all 50,000" if n is None else f"{n:,}")
        validation = st.slider("Validation split", 0.0, 0.5, d.validation_split, 0.05, **opts("validation_split"))
        flip = st.checkbox("Flip images left-right", d.flip, **opts("flip"))
        shift = st.slider("Shift images by up to (pixels)", 0, 8, d.shift, **opts("shift"))
        smoothing = st.slider("Label smoothing", 0.0, 0.5, d.label_smoothing, 0.05, **opts("label_smoothing"))
        decay = st.number_input("Weight decay", 0.0, 0.1, d.weight_decay, 1e-4, format="%g", **opts("weight_decay"))
    with testing:
        st.markdown("**Testing and reproducibility**")
        test_subset = st.selectbox("Test images", TEST_SUBSETS, 1, **opts("test_subset"),
                                   format_func=lambda n: "all 10,000" if n is None else f"the first {n:,}")
        tta = st.checkbox("Test-time flip", d.tta_flip, **opts("tta_flip"))
        seed = st.number_input("Seed", 0, 2**31 - 1, d.seed, **opts("seed"))
        n = subset or 50_000
        n_val = round(n * validation)
        st.caption(f"Trains on {n - n_val:,} images, {max(1, (n - n_val) // batch_size):,} batches per epoch; "
                   + (f"validates on {n_val:,} held out." if n_val else "no validation hold-out."))
    return {"epochs": int(epochs), "batch_size": batch_size, "optimizer": optimizer,
            "learning_rate": float(learning_rate), "schedule": schedule, "warmup_epochs": float(warmup),
            "weight_decay": float(decay), "label_smoothing": float(smoothing), "flip": flip, "shift": int(shift),
            "validation_split": float(validation), "subset": subset, "test_subset": test_subset,
            "tta_flip": tta, "seed": int(seed)}


def train_config(base: str, spec: list[dict], settings: dict) -> training.TrainConfig | None:
    """The run's config, or None after saying why these settings cannot train."""
    preset = "custom" if st.session_state.get(TRAIN_EDITED) else base
    try:
        return training.TrainConfig.for_preset(base, **{**settings, "preset": preset, "spec": tuple(spec)})
    except (ValueError, models.SpecError) as exc:
        error_box(f"**These settings cannot train:** {exc}.")
        return None


def start_button(config: training.TrainConfig | None, busy: jobs.Job | None) -> None:
    """Start training in the background; disabled while the config is invalid or another job trains."""
    if busy is not None:
        st.info(f"Run `{busy.run.id}` is training now (see above); start the next one when it is done or "
                f"stopped.", icon=":material/hourglass_top:")
    if problem := st.session_state.pop("train_error", None):
        error_box(problem)
    st.button("Start training", type="primary", icon=":material/play_arrow:", key="train_start",
              disabled=config is None or busy is not None, on_click=_start, args=(config,))


def _start(config: training.TrainConfig) -> None:
    # a callback, so the job starts before the page reruns and the rerun already shows it
    try:
        job = jobs.start(config, data=_load_data())
        st.session_state["train_started"] = job.run.id
    except jobs.JobBusyError as exc:
        st.session_state["train_notice"] = f"Not started: {exc}. Here is that training instead."
    except data.DataError as exc:
        st.session_state["train_error"] = f"Not started: the CIFAR-10 data set could not be loaded. {exc}"


def training_panel(job: jobs.Job) -> None:
    """The live view of a job: progress, speed, time left, curves and Stop, polled once a second while it trains."""
    if notice := st.session_state.pop("train_notice", None):
        st.warning(notice, icon=":material/warning:")
    watching = job.snapshot().active

    @st.fragment(run_every=POLL_SECONDS if watching else None)
    def panel():
        snap = job.snapshot()
        if watching and not snap.active:
            st.rerun()  # it has just ended: redraw the whole page, so that Start comes back
        with st.container(border=True):
            _progress(snap, job)
            if snap.active or _recent(job):
                _curves(snap)
            else:
                with st.expander("Training curves"):
                    _curves(snap)

    panel()


def _recent(job: jobs.Job) -> bool:
    """Whether this session started the job, or it ended less than ten minutes ago (say, before a reload)."""
    if st.session_state.get("train_started") == job.run.id:
        return True
    try:
        return time.time() - job.run.status_record().get("updated", 0) < 600
    except runs.RunError:
        return False


def _progress(snap: jobs.Snapshot, job: jobs.Job) -> None:
    title = "Training now" if snap.active else "Last training"
    st.markdown(f"#### {title}: run `{snap.run_id}`")
    steps = max(1, snap.steps_per_epoch)
    if snap.status == jobs.STARTING:
        text = "Getting ready: drawing the images, building the network…"
    elif snap.active and snap.epoch == 1 and snap.batch == 0:
        text = "Compiling the network: the first batch takes a few seconds…"
    elif snap.active and snap.progress >= 1:
        text = "Trained; now testing it on the test images…"
    elif snap.status == jobs.STOPPING:
        text = f"Stopping at epoch {snap.epoch}/{snap.epochs} · batch {snap.batch}/{steps}, then testing…"
    elif snap.active:
        text = f"Epoch {snap.epoch}/{snap.epochs} · batch {snap.batch}/{steps}"
    else:
        text = f"{snap.status.capitalize()} at epoch {snap.epoch}/{snap.epochs} · batch {snap.batch}/{steps}"
    st.progress(snap.progress, text=text)
    speed, left, spent, score = st.columns(4)
    speed.metric("Speed", f"{snap.images_per_second:,.0f} images/s" if snap.images_per_second else "–")
    left.metric("Time left", _duration(snap.eta_seconds) if snap.active else "–")
    spent.metric("Elapsed", _duration(snap.elapsed_seconds))
    last = snap.history[-1] if snap.history else {}
    if snap.test_accuracy is not None:
        score.metric("Test accuracy", f"{snap.test_accuracy:.1%}")
    elif last.get("val_accuracy") is not None:
        score.metric("Validation accuracy", f"{last['val_accuracy']:.1%}", help="After the last finished epoch.")
    else:
        score.metric("Training accuracy", f"{last['accuracy']:.1%}" if last else "–",
                     help="Over the last finished epoch (no validation hold-out in this run).")
    if snap.status == jobs.STOPPING:
        st.info("Stopping after this batch… What it has learnt so far is kept and tested.",
                icon=":material/pause_circle:")
    elif snap.active:
        st.button("Stop", icon=":material/stop_circle:", key="train_stop", on_click=job.stop,
                  help="Stop after the batch under way; the model trained so far is kept and tested.")
    else:
        _outcome(snap)


def _outcome(snap: jobs.Snapshot) -> None:
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


def _curves(snap: jobs.Snapshot) -> None:
    if not snap.batches:
        st.caption("The curves appear after the first batch.")
        return
    per_batch, per_epoch = st.columns([3, 2])
    b = snap.batches
    window = max(1, min(20, snap.epochs * snap.steps_per_epoch // 10))  # one window for the whole run
    figure = charts.batch_curves([r["step"] for r in b], [r["loss"] for r in b], [r["accuracy"] for r in b],
                                 smooth=window)
    figure.update_layout(legend_y=1.12, margin_t=70)  # the legend above the subplot titles, not on them
    # redrawn every second, so zooming would not last: no tool bar
    per_batch.plotly_chart(figure, key="train_batch_curves", config={"displayModeBar": False})
    with per_epoch:
        metric = st.segmented_control("Per epoch", ["accuracy", "loss"], default="accuracy", required=True,
                                      key="train_epoch_metric")
        if snap.history:
            figure = charts.epoch_curves({"": list(snap.history)}, metric=metric)
            if metric == "accuracy":
                figure.update_yaxes(range=[0, 1])  # the whole scale: early epochs would otherwise look odd
            st.plotly_chart(figure, key="train_epoch_curves", config={"displayModeBar": False})
        else:
            st.caption("Train and validation curves appear after the first epoch.")


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "–"
    s = int(round(seconds))
    if s < 60:
        return f"{s} s"
    m, s = divmod(s, 60)
    return f"{m} min {s:02d} s" if m < 60 else f"{m // 60} h {m % 60:02d} min"


# --- results page -------------------------------------------------------------------------------------

from . import evaluation  # noqa: E402  (imported here: this section is edited apart from the rest of the file)

RESULTS_RUN = "results_run"
CELL_IMAGES = 12                 # test images shown for one confusion-matrix cell, the surest first
CELL_ZOOM = 4                    # 32 px -> 128 px, each pixel a crisp 4x4 block


def no_runs_yet() -> None:
    st.info("Nothing trained yet. Train a network first: with 500 training images it takes about a minute.",
            icon=":material/info:")
    st.page_link("pages/train.py", label="Go to Train", icon=":material/model_training:")


def run_label(run: runs.Run) -> str:
    """'fast · 22 Nov 10:15 · finished · test 71.3%', for a select box."""
    try:
        s = run.summary()
    except runs.RunError:
        return f"{run.id} · unreadable"
    when = time.strftime("%d %b %H:%M", time.localtime(s["created"])) if s.get("created") else run.id
    score = f"test {s['test_accuracy']:.1%}" if s["test_accuracy"] is not None else "not tested"
    return f"{s['preset']} · {when} · {s['status']} · {score}"


def _remember_choice() -> None:
    st.query_params["run"] = st.session_state[RESULTS_RUN]  # a reload or a shared link shows the same run


def pick_runs(all_runs: list[runs.Run]) -> tuple[runs.Run, list[runs.Run]]:
    """The run to look at (?run=ID, else the newest) and any others to compare its curves with."""
    by_id = {run.id: run for run in all_runs}
    labels = {run.id: run_label(run) for run in all_runs}
    ss = st.session_state
    wanted = st.query_params.get("run")  # from a link on the Train page, or the choice before a reload
    if wanted in by_id:
        ss[RESULTS_RUN] = wanted
    elif ss.get(RESULTS_RUN) not in by_id:
        ss[RESULTS_RUN] = all_runs[0].id
    pick, compare = st.columns([3, 2])
    chosen = pick.selectbox("Run", list(by_id), key=RESULTS_RUN, format_func=labels.get,
                            on_change=_remember_choice, help="Newest first.")
    others = compare.multiselect("Compare its curves with", [i for i in by_id if i != chosen],
                                 format_func=labels.get, key="results_compare")
    return by_id[chosen], [by_id[i] for i in others]


def run_overview(run: runs.Run) -> None:
    """Status, test accuracy, train time and epochs of one run, and what went wrong if anything did."""
    s = run.summary()
    status, accuracy, seconds, epochs = st.columns(4)
    status.metric("Status", s["status"])
    accuracy.metric("Test accuracy", f"{s['test_accuracy']:.1%}" if s["test_accuracy"] is not None else "–")
    seconds.metric("Train time", _duration(s["train_seconds"]))
    epochs.metric("Epochs", s["epochs"], help="Finished epochs of those asked for.")
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
    """The confusion matrix; pick a cell (true class, predicted class) to see its test images."""
    matrix, cell = st.columns([5, 6], gap="medium")
    with matrix:
        normalized = st.toggle("Row-normalised: the share of each true class", key="results_normalized")
        st.plotly_chart(charts.confusion_matrix(ev.confusion(normalized), normalized=normalized),
                        key="results_confusion")
    names = list(data.CLASS_NAMES)
    worst = ev.most_confused(1)
    true_default, pred_default = (worst[0][0], worst[0][1]) if worst else (names[0], names[0])
    with cell:
        st.markdown("**Look inside a cell**")
        left, right = st.columns(2)
        true = left.selectbox("True class", names, names.index(true_default), key=f"results_true_{run.id}")
        pred = right.selectbox("Predicted as", names, names.index(pred_default), key=f"results_pred_{run.id}")
        indices = ev.cell(true, pred)
        kind = "correctly classified" if true == pred else f"predicted **{pred}**"
        st.markdown(f"{len(indices)} test images of a **{true}** were {kind}"
                    + (f"; the {min(len(indices), CELL_IMAGES)} the model was surest about:" if len(indices) else "."))
        images = load_data().x_test[:len(ev)]  # the run was tested on the first len(ev) test images
        with st.container(horizontal=True, gap="small"):
            for i in indices[:CELL_IMAGES]:
                with st.container(width=32 * CELL_ZOOM, gap=None):
                    # enlarged here, each pixel a block; PNG, since JPEG would smear the blocks
                    st.image(data.upscale(images[i], CELL_ZOOM), output_format="PNG")
                    st.caption("  \n".join(f"{name} {p:.0%}" for name, p in ev.top_k(int(i), 3)))


def class_report(ev: evaluation.Evaluation) -> None:
    """Precision, recall and F1 per class, as a table and as bars."""
    rows = ev.report()
    table, bars = st.columns(2, gap="medium")
    table.dataframe(rows, hide_index=True, height=35 * (len(rows) + 1) + 3, column_config={
        "class": "Class", "support": "Images",
        **{key: st.column_config.NumberColumn(label, format="percent")
           for key, label in (("precision", "Precision"), ("recall", "Recall"), ("f1", "F1"))}})
    bars.plotly_chart(charts.per_class_metrics(rows), key="results_per_class")
    st.caption("Precision: of the images predicted as the class, the share that are. Recall: of the images of "
               "the class, the share found. F1: their harmonic mean.")


def compare_curves(chosen: list[runs.Run]) -> None:
    """Epoch curves of one or more runs overlaid, train dashed and validation solid."""
    metric = st.segmented_control("Metric", ["accuracy", "loss"], default="accuracy", required=True,
                                  key="results_metric")
    histories = {run.id: run.history() for run in chosen}
    if not any(histories.values()):
        st.info("No finished epoch to draw yet.", icon=":material/info:")
        return
    st.plotly_chart(charts.epoch_curves(histories, metric=metric), key="results_curves")
    st.caption("Dashed: on the training images; solid: on the validation hold-out (runs without one have none).")
    if len(chosen) > 1:
        percent = {"format": "percent"}
        st.dataframe([run.summary() for run in chosen], hide_index=True, placeholder="–",
                     column_order=("id", "status", "preset", "epochs", "best_val_accuracy", "test_accuracy",
                                   "train_seconds"),
                     column_config={"id": "Run", "status": "Status", "preset": "Preset", "epochs": "Epochs",
                                    "best_val_accuracy": st.column_config.NumberColumn("Best validation", **percent),
                                    "test_accuracy": st.column_config.NumberColumn("Test accuracy", **percent),
                                    "train_seconds": st.column_config.NumberColumn("Train seconds", format="%.0f")})


def config_and_files(run: runs.Run) -> None:
    """The run's full config, and its model and config to download."""
    st.caption(f"Architecture: {models.describe_spec(run.config.get('spec', []))}")
    buttons = st.container(horizontal=True)
    # the model file is read only when the button is pressed, not on every rerun
    buttons.download_button("Download model.keras", run.model_path.read_bytes, file_name=f"{run.id}.keras",
                            mime="application/octet-stream", icon=":material/download:", on_click="ignore",
                            disabled=not run.has_model, help=None if run.has_model else "This run saved no model.")
    buttons.download_button("Download config.json", json.dumps(run.config, indent=2),
                            file_name=f"{run.id}-config.json", mime="application/json",
                            icon=":material/download:", on_click="ignore")
    st.json(run.config, expanded=2)


# --- explore / predict pages ---------------------------------------------------------------------------

import numpy as np  # noqa: E402  (imported here: this section is edited apart from the rest of the file)

from . import charts, inference  # noqa: E402

PER_PAGE = 40                    # images in one page of the Explore grid
THUMB, LARGE, SEEN = 3, 8, 6     # pixel zooms: 96 px thumbnails, 256 px close-ups, 192 px model inputs


# the browser must not smooth the pixels either, when it scales an image to a narrow column or a HiDPI screen
_CRISP = "<style>[data-testid='stImage'] img {image-rendering: pixelated;}</style>"


def show_pixels(images, *, zoom: int, caption=None, per_row: int | None = None) -> None:
    """uint8 image(s) of shape (H, W, 3) or (N, H, W, 3), each pixel shown as a zoom x zoom block.

    Enlarged here, by whole pixels, and sent as PNG: JPEG would smear the
    blocks. ``per_row`` puts N images in rows of that many columns, each image
    as wide as its column; by default they keep their size and wrap as the page width allows.
    """
    st.html(_CRISP)
    big = data.upscale(images, zoom)
    if big.ndim == 3 or per_row is None:
        st.image(list(big) if big.ndim == 4 else big, caption=caption, width=big.shape[-2], output_format="PNG")
        return
    captions = caption if caption is not None else [None] * len(big)
    for start in range(0, len(big), per_row):
        for column, image, text in zip(st.columns(per_row, gap="small"), big[start:start + per_row],
                                       captions[start:start + per_row]):
            column.image(image, caption=text, width="stretch", output_format="PNG")


def new_page() -> None:
    st.session_state.pop("explore_index", None)  # the close-up follows the grid to its new first image


def _first_page() -> None:
    st.session_state.pop("explore_page", None)  # the pagination widget starts again at its default, page 1
    new_page()


def _reshuffle() -> None:
    st.session_state["explore_seed"] = int(np.random.default_rng().integers(10_000))
    _first_page()


def sample_controls() -> tuple[str, list[int], int]:
    """The grid's split, classes (empty: all) and shuffle seed."""
    split_col, seed_col, button_col = st.columns([1, 1, 1], vertical_alignment="bottom", width=520)
    split = split_col.segmented_control("Split", ["train", "test"], default="train", required=True,
                                        key="explore_split", on_change=_first_page)
    seed = seed_col.number_input("Shuffle seed", 0, 9_999, key="explore_seed", on_change=_first_page,
                                 help="The same seed always shows the same grid.")
    button_col.button("Reshuffle", icon=":material/shuffle:", on_click=_reshuffle)
    classes = st.pills("Classes (none chosen: all of them)", range(len(data.CLASS_NAMES)), selection_mode="multi",
                       format_func=data.CLASS_NAMES.__getitem__, key="explore_classes", on_change=_first_page)
    return split, list(classes), int(seed)


def pick_index(count: int, first: int) -> int:
    """The index of the image to look at closely: ``first`` at the start, kept below count when the split changes."""
    if st.session_state.get("explore_index", count) >= count:
        st.session_state["explore_index"] = first
    return int(st.number_input(f"Image index, 0 to {count - 1:,} (the # under each image)", 0, count - 1,
                               key="explore_index"))


def new_draw() -> None:
    st.session_state["augment_seed"] = draw_seed() + 1


def draw_seed() -> int:
    """Seeds the augmentation preview; "New draw" moves it on."""
    return st.session_state.get("augment_seed", 0)


@st.cache_data(show_spinner="Averaging the images of each class…")
def mean_images(split: str) -> np.ndarray:
    """uint8 (10, 32, 32, 3): the per-class mean image of a split, computed once per server."""
    return data.mean_images(*_load_data().split(split))


def _model_label(run: runs.Run) -> str:
    try:
        summary = run.summary()
    except runs.RunError:
        return f"{run.id} (unreadable)"
    accuracy = summary["test_accuracy"]
    score = f"test accuracy {accuracy:.0%}" if accuracy is not None else "not tested"
    name = "Default model (ships with the app)" if run == runs.default_run() else f"{run.id} · {summary['status']}"
    return f"{name} · {score}"


def pick_model() -> runs.Run | None:
    """A select box over the models that can predict; the chosen run, or None when there is none."""
    choices, index = inference.prediction_models(runs.list_runs(), runs.default_run())
    if not choices:
        return None
    return st.selectbox("Model", choices, index=index, format_func=_model_label, key="predict_model")


def show_result(result: inference.Result, key: str) -> None:
    """One upload: the original, the 32x32 the model saw, its top classes in words and bars."""
    if result.error:
        error_box(result.error)
        return
    with st.container(border=True):
        st.markdown(f"**{result.name}**")
        original, seen, verdict = st.columns([1, 1, 2])
        width, height = result.original.size
        preview = result.original.copy()
        preview.thumbnail((200, 400))  # what is shown anyway; encoding a 12-megapixel photo would take a while
        original.image(preview, caption=f"Your image, {width}×{height} px", width=200)
        with seen:
            show_pixels(result.model_input, zoom=SEEN, caption="What the model sees: 32×32 px")
        name, probability = result.top[0]
        verdict.markdown(f"The model says **{name}**, {probability:.0%} sure.")
        if result.unsure:
            verdict.warning(f"It is unsure: no class gets even {inference.UNSURE_BELOW:.0%}. It only knows 10 "
                            f"classes ({', '.join(data.CLASS_NAMES)}), so for anything else it can only guess.",
                            icon=":material/help:")
        verdict.plotly_chart(charts.top_k_bars(result.top), key=key, config={"displayModeBar": False})
