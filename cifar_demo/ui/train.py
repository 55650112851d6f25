"""Streamlit pieces of the Train page: preset and layer editor, settings, the live training panel."""
from __future__ import annotations

import dataclasses
import functools
import inspect
import json
import time

import streamlit as st

from .. import charts, data, jobs, models, runs, svg_charts, training
from . import _load_data, duration, error_box

TRAIN_SPEC, TRAIN_EDITED, TRAIN_VERSION = "train_spec", "train_spec_edited", "train_spec_version"
TRAIN_BASE = "train_base"        # the preset the layers and settings came from
TRAIN_LOADED = "train_loaded"    # a note for the Train page: whose settings were loaded, and what had to change
SUBSETS = (500, 2_000, 10_000, None)  # training images: a live demo, a coffee break, a lesson, the lot
TEST_SUBSETS = (1_000, None)
BATCH_SIZES = (16, 32, 64, 100, 128, 256, 512)
POLL_SECONDS = 2.0               # how often the live view's progress asks the job how it is doing
CHART_SECONDS = 5.0              # how often its charts redraw: seconds are plenty for a curve, and each costs the browser
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
    if note := ss.pop(TRAIN_LOADED, None):
        st.info(note, icon=":material/replay:")
    key = st.selectbox("Start from a preset", list(models.PRESETS), key="train_preset",
                       format_func=lambda k: models.PRESETS[k].title, on_change=_choose_preset)
    edited = " You have edited its layers, so this run will be saved as **custom**." if ss[TRAIN_EDITED] else ""
    st.caption(models.PRESETS[key].about + edited)
    return key


def load_config(config: dict, run_id: str) -> None:
    """Put a run's layers and settings into the Train page's widgets, to train again with them.

    Call before the Train page draws its widgets (then switch to it). A setting
    the page does not offer becomes the nearest one it does, and the page says so.
    """
    ss = st.session_state
    base = config.get("preset") if config.get("preset") in models.PRESETS else models.DEFAULT_PRESET
    preset_spec = [dict(layer) for layer in models.preset(base).spec]
    spec = [dict(layer) for layer in config.get("spec") or preset_spec]
    ss[TRAIN_BASE] = ss["train_preset"] = base
    ss[TRAIN_SPEC], ss[TRAIN_EDITED] = spec, spec != preset_spec
    ss[TRAIN_VERSION] = ss.get(TRAIN_VERSION, 0) + 1
    values, changed = widget_values(config)
    for name, value in values.items():
        ss[f"train_hp_{base}_{name}"] = value
    ss[TRAIN_LOADED] = (f"Loaded the layers and settings of run **{run_id}**: change what you like, then start."
                        + (f" This page does not offer some of them, so: {'; '.join(changed)}." if changed else ""))


def widget_values(config: dict) -> tuple[dict, list[str]]:
    """(the training-settings widgets' values for a run's config, what had to change and how, in words).

    Each value is one the widget offers: a choice among its options, a number within its bounds.
    """
    d = training.TrainConfig.for_preset(models.DEFAULT_PRESET)
    values, changed = {}, []

    def pick(name, options, label, show=str):
        want = config.get(name, getattr(d, name))
        if want in options:
            values[name] = want
            return
        size = lambda v: 50_000 if v is None else v  # noqa: E731  (None: all the images)
        numeric = isinstance(size(want), (int, float))
        values[name] = min(options, key=lambda o: abs(size(o) - size(want))) if numeric else options[0]
        changed.append(f"{label} {show(want)} → {show(values[name])}")

    def clamp(name, low, high, label, kind=float):
        want = config.get(name, getattr(d, name))
        values[name] = kind(min(max(want, low), high))
        if values[name] != want:
            changed.append(f"{label} {want:g} → {values[name]:g}")

    count = lambda n: "all" if n is None else f"{n:,}"  # noqa: E731
    pick("batch_size", BATCH_SIZES, "batch size")
    pick("optimizer", training.OPTIMIZERS, "optimizer")
    pick("schedule", training.SCHEDULES, "schedule")
    pick("subset", SUBSETS, "training images", count)
    pick("test_subset", TEST_SUBSETS, "test images", count)
    clamp("epochs", 1, 200, "epochs", int)
    clamp("learning_rate", 1e-5, 5.0, "learning rate")
    clamp("warmup_epochs", 0.0, 50.0, "warm-up epochs")
    clamp("validation_split", 0.0, 0.5, "validation split")
    clamp("shift", 0, training.MAX_SHIFT, "shift", int)
    clamp("cutout", 0, training.MAX_CUTOUT, "cutout", int)
    clamp("label_smoothing", 0.0, 0.5, "label smoothing")
    clamp("weight_decay", 0.0, 0.1, "weight decay")
    clamp("seed", 0, 2**31 - 1, "seed", int)
    for name in ("flip", "tta_flip", "tta_shift", "lookahead"):
        values[name] = bool(config.get(name, getattr(d, name)))
    return values, changed


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
        shift = st.slider("Shift images by up to (pixels)", 0, training.MAX_SHIFT, d.shift, **opts("shift"))
        cutout = st.slider("Cut out a square of (pixels a side)", 0, training.MAX_CUTOUT, d.cutout, **opts("cutout"))
        smoothing = st.slider("Label smoothing", 0.0, 0.5, d.label_smoothing, 0.05, **opts("label_smoothing"))
        ahead = st.checkbox("Lookahead", d.lookahead, **opts("lookahead"))
        decay = st.number_input("Weight decay", 0.0, 0.1, d.weight_decay, 1e-4, format="%g", **opts("weight_decay"))
    with testing:
        st.markdown("**Testing and reproducibility**")
        test_subset = st.selectbox("Test images", TEST_SUBSETS, 1, **opts("test_subset"),
                                   format_func=lambda n: "all 10,000" if n is None else f"the first {n:,}")
        tta = st.checkbox("Test-time flip", d.tta_flip, **opts("tta_flip"))
        tta_shift = st.checkbox("Test-time shifts", d.tta_shift, **opts("tta_shift"))
        seed = st.number_input("Seed", 0, 2**31 - 1, d.seed, **opts("seed"))
        n = subset or 50_000
        n_val = round(n * validation)
        st.caption(f"Trains on {n - n_val:,} images, {max(1, (n - n_val) // batch_size):,} batches per epoch; "
                   + (f"validates on {n_val:,} held out." if n_val else "no validation hold-out."))
    return {"epochs": int(epochs), "batch_size": batch_size, "optimizer": optimizer,
            "learning_rate": float(learning_rate), "schedule": schedule, "warmup_epochs": float(warmup),
            "weight_decay": float(decay), "label_smoothing": float(smoothing), "lookahead": ahead, "flip": flip, "shift": int(shift),
            "cutout": int(cutout),
            "validation_split": float(validation), "subset": subset, "test_subset": test_subset,
            "tta_flip": tta, "tta_shift": tta_shift, "seed": int(seed)}


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
    """The live view of a job: progress, speed, time left and Stop redrawn every 2 s, its curves every 5 s.

    Progress and charts are two fragments, so the charts redraw less often: a
    browser on the same 2-core machine takes its redrawing time from the
    training (BENCHMARKS.md, "The app").
    """
    if notice := st.session_state.pop("train_notice", None):
        st.warning(notice, icon=":material/warning:")
    watching = job.snapshot().active

    @st.fragment(run_every=POLL_SECONDS if watching else None)
    def progress():
        snap = job.snapshot()
        if watching and not snap.active:
            st.rerun()  # it has just ended: redraw the whole page, so that Start comes back
        _progress(snap, job)

    with st.container(border=True):
        progress()
        live = not watching or st.toggle(
            "Live charts", value=True, key="train_live_charts",
            help="Redraw the curves every few seconds while it trains, as plain pictures that are cheap "
                 "to draw. Off, a browser on the same small machine (2 cores) leaves a little more of it to "
                 "the training. The interactive curves are drawn in full when the training ends.")

        @st.fragment(run_every=CHART_SECONDS if watching and live else None)
        def curves():
            snap = job.snapshot()
            if not live:
                st.caption("Live charts are off: the curves are drawn when the training ends.")
            elif snap.active or _recent(job):
                _curves(snap)
            else:
                with st.expander("Training curves"):
                    _curves(snap)

        curves()


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
    # the unit in the label: "1,067 images/s" is too wide for a quarter of the page and gets cut
    speed.metric("Speed, images/s", f"{snap.images_per_second:,.0f}" if snap.images_per_second else "–")
    left.metric("Time left", duration(snap.eta_seconds) if snap.active else "–")
    spent.metric("Elapsed", duration(snap.elapsed_seconds))
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
    if snap.active:
        per_batch.container(key="train_batch_curves").image(
            svg_charts.batch_curves(steps, loss, accuracy, smooth=window), width="stretch",
            alt=f"Loss and accuracy per batch, up to batch {steps[-1]:,}")
    else:
        figure = charts.batch_curves(steps, loss, accuracy, smooth=window)
        figure.update_layout(legend_y=1.12, margin_t=70)  # the legend above the subplot titles, not on them
        per_batch.plotly_chart(figure, key="train_batch_curves", config={"displayModeBar": False})
    with per_epoch:
        metric = st.segmented_control("Per epoch", ["accuracy", "loss"], default="accuracy", required=True,
                                      key="train_epoch_metric")
        if not snap.history:
            st.caption("Train and validation curves appear after the first epoch.")
        elif snap.active:
            st.container(key="train_epoch_curves").image(
                svg_charts.epoch_curves({"": list(snap.history)}, metric=metric), width="stretch",
                alt=f"{metric.capitalize()} per epoch, up to epoch {len(snap.history)}")
        else:
            figure = charts.epoch_curves({"": list(snap.history)}, metric=metric)
            if metric == "accuracy":
                figure.update_yaxes(range=[0, 1])  # the whole scale: early epochs would otherwise look odd
            st.plotly_chart(figure, key="train_epoch_curves", config={"displayModeBar": False})
