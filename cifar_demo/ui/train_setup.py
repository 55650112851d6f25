"""The Train page's set-up: the preset, the training settings (one widget per row of the settings
table), the run's configuration, and Start."""
from __future__ import annotations

import streamlit as st

from .. import data, estimates, recipes, runs, trainqueue
from ..settings import AUGMENTATION, DATA, OPTIMISATION, REGULARISATION, SETTINGS, TESTING, Setting, TrainConfig
from ..spec import SpecError
from . import error_box, presenting
from .layer_editor import TRAIN_BASE, TRAIN_EDITED, TRAIN_SPEC, TRAIN_VERSION, load_layers
from .widgets import duration, remember_run

TRAIN_LOADED = "train_loaded"    # a note for the Train page: whose settings were loaded, and what had to change
COLUMNS = {"Optimisation": (OPTIMISATION,), "Data and regularisation": (DATA, AUGMENTATION, REGULARISATION),
           "Testing and reproducibility": (TESTING,)}
PAGE_DEFAULTS = {"subset": 10_000}  # the page starts smaller than the presets: a lesson, not a benchmark
WARMING = ("cosine", "warmup_linear")  # the schedules that have a warm-up


def _choose_preset() -> None:
    ss = st.session_state
    load_layers(ss["train_preset"])
    for name in [k for k in ss if str(k).startswith(f"train_hp_{ss[TRAIN_BASE]}_")]:
        del ss[name]  # its settings start again from the tutorial's defaults


def pick_preset() -> str:
    """The preset select box and its story; choosing one loads its layers and settings. Returns its key."""
    ss = st.session_state
    if TRAIN_SPEC not in ss:
        load_layers(recipes.DEFAULT_PRESET)
    ss.setdefault("train_preset", ss[TRAIN_BASE])  # a widget's value is dropped when the user leaves the page
    if note := ss.pop(TRAIN_LOADED, None):
        st.info(note, icon=":material/replay:")
    key = st.selectbox("Start from a preset", list(recipes.PRESETS), key="train_preset",
                       format_func=lambda k: recipes.PRESETS[k].title, on_change=_choose_preset)
    edited = " You have edited its layers, so this run will be saved as **custom**." if ss[TRAIN_EDITED] else ""
    st.caption(recipes.PRESETS[key].about + edited)
    if any(layer.get("type") in ("whiten", "block") for layer in ss[TRAIN_SPEC]):
        with st.expander("The speed tricks in this network, in plain words, and how to turn each off"):
            st.markdown("Train once with a trick and once without it, then compare the two runs: that shows "
                        "what it buys.")
            st.dataframe([{"Trick": t.name, "What it does": t.what, "What it buys": t.buys, "To turn it off": t.off}
                          for t in recipes.TRICKS], hide_index=True, row_height=90,
                         column_config={"What it does": st.column_config.TextColumn(width="large"),
                                        "What it buys": st.column_config.TextColumn(width="medium")})
    return key


def load_config(config: dict, run_id: str) -> None:
    """Put a run's layers and settings into the Train page's widgets, to train again with them.

    Call before the Train page draws its widgets (then switch to it). A setting
    the page does not offer becomes the nearest one it does, and the page says so.
    """
    changed = load_setup(config)
    st.session_state[TRAIN_LOADED] = (
        f"Loaded the layers and settings of run **{run_id}**: change what you like, then start."
        + (f" This page does not offer some of them, so: {'; '.join(changed)}." if changed else ""))


def load_setup(config: dict) -> list[str]:
    """Put a config's preset, layers (its "spec"; None: the preset's) and settings into the Train page's
    widgets, before they are drawn. Returns what had to change to a value the page offers, in words."""
    ss = st.session_state
    base = config.get("preset") if config.get("preset") in recipes.PRESETS else recipes.DEFAULT_PRESET
    preset_spec = [dict(layer) for layer in recipes.preset(base).spec]
    spec = [dict(layer) for layer in (preset_spec if config.get("spec") is None else config["spec"])]
    ss[TRAIN_BASE] = ss["train_preset"] = base
    ss[TRAIN_SPEC], ss[TRAIN_EDITED] = spec, spec != preset_spec
    ss[TRAIN_VERSION] = ss.get(TRAIN_VERSION, 0) + 1
    values, changed = widget_values(config)
    for name, value in values.items():
        ss[f"train_hp_{base}_{name}"] = as_shown(SETTINGS[name], value)
    return changed


def start_values(base: str) -> dict:
    """{setting name: the value the Train page starts with for this preset}, as its widget offers it."""
    start = TrainConfig.for_preset(base)
    return {name: _offered(setting, PAGE_DEFAULTS.get(name, getattr(start, name)))
            for name, setting in SETTINGS.items()}


def widget_values(config: dict) -> tuple[dict, list[str]]:
    """(the training-settings widgets' values for a run's config, what had to change and how, in words).

    Each value is one its widget offers: a choice among its options, a number within its bounds.
    """
    default = TrainConfig.for_preset(recipes.DEFAULT_PRESET)
    values, changed = {}, []
    for name, setting in SETTINGS.items():
        want = config.get(name, getattr(default, name))
        values[name] = _offered(setting, want)
        if values[name] != want:
            changed.append(f"{setting.label.lower()} {_show(setting, want)} → {_show(setting, values[name])}")
    return values, changed


def _offered(setting: Setting, want):
    """The value nearest ``want`` that the setting's widget offers."""
    if setting.kind is bool:
        return bool(want)
    if setting.options:
        if want in setting.options:
            return want
        if setting.kind is str:
            return setting.options[0]
        def size(v):
            return setting.high if v is None else v  # None: all the images

        return min(setting.options, key=lambda o: abs(size(o) - size(want)))
    low = setting.low if setting.low is not None else want
    high = setting.high if setting.high is not None else want
    return setting.kind(min(max(want, low), high))


def _show(setting: Setting, value) -> str:
    if value is None:
        return "all"
    return f"{value:,}" if setting.kind is int else f"{value:g}" if setting.kind is float else str(value)


def training_settings(base: str) -> dict:
    """A widget per training setting, in three columns, starting from the preset's values; returns
    TrainConfig fields. In presenter mode the advanced settings are not drawn, and keep their values."""
    start, hide = start_values(base), presenting()
    shown = {title: sections for title, sections in COLUMNS.items()
             if any(s.section in sections and not (hide and s.advanced) for s in SETTINGS.values())}
    values = {}
    for (title, sections), column in zip(shown.items(), st.columns(len(shown), gap="large")):
        with column:
            st.markdown(f"**{title}**")
            for name, setting in SETTINGS.items():
                if setting.section in sections and not (hide and setting.advanced):
                    off = name == "warmup_epochs" and values.get("schedule") not in WARMING
                    values[name] = _widget(setting, start[name], key=f"train_hp_{base}_{name}", disabled=off)
    hidden = [s for s in SETTINGS.values() if hide and s.advanced]
    for setting in hidden:
        values[setting.name] = _kept_value(setting, start[setting.name], key=f"train_hp_{base}_{setting.name}")
    n = values["subset"] or 50_000
    n_val = round(n * values["validation_split"])
    st.caption(f"Trains on {n - n_val:,} images, {max(1, (n - n_val) // values['batch_size']):,} batches per "
               "epoch; " + (f"validates on {n_val:,} held out." if n_val else "no validation hold-out."))
    if hidden:
        st.caption(f"Presenter mode hides {len(hidden)} advanced settings ("
                   + ", ".join(s.label.lower() for s in hidden) + "). They keep their values and this training "
                   "uses them; turn presenter mode off in the sidebar to see and change them.")
    return {name: values[name] for name in SETTINGS}


def _kept_value(setting: Setting, default, *, key: str):
    """A hidden setting's value: what its widget held last, else where the page starts."""
    value = st.session_state.get(key, as_shown(setting, default))
    return None if setting.optional and value == int(setting.high) else value


def _widget(setting: Setting, default, *, key: str, disabled: bool = False):
    """The widget for one setting, by its row of the table: its value."""
    common = {"key": key, "help": setting.help, "persist_state": "session", "disabled": disabled}
    label = setting.title()
    if setting.kind is bool:
        return st.checkbox(label, bool(default), **common)
    if setting.options:
        # "all" is offered as the number itself: a select box shows None as no choice at all
        options = [as_shown(setting, o) for o in setting.options]
        names = setting.names or {int(setting.high or 0): f"all {setting.high:,.0f}"}
        chosen = st.selectbox(label, options, options.index(as_shown(setting, _offered(setting, default))),
                              format_func=lambda o: names.get(o, f"{o:,}" if isinstance(o, int) else str(o)),
                              **common)
        return None if setting.optional and chosen == int(setting.high) else chosen
    kind = setting.kind
    low = kind(setting.low) if setting.low is not None and not setting.low_open else None
    high = kind(setting.high) if setting.high is not None else None
    if setting.slider:
        return kind(st.slider(label, low, high, kind(default), kind(setting.step or 1), **common))
    number = {"step": setting.step, "format": "%g"} if kind is float else {}
    return kind(st.number_input(label, low, high, kind(default), **number, **common))


def as_shown(setting: Setting, value):
    """A setting's value as its widget holds it: for an optional count, None ("all") is the whole count."""
    return int(setting.high) if setting.optional and value is None else value


def train_config(base: str, spec: list[dict], settings: dict) -> TrainConfig | None:
    """The run's config, or None after saying why these settings cannot train."""
    preset = "custom" if st.session_state.get(TRAIN_EDITED) else base
    try:
        return TrainConfig.for_preset(base, **{**settings, "preset": preset, "spec": tuple(spec)})
    except (ValueError, SpecError) as exc:
        error_box(f"**These settings cannot train:** {exc}.")
        return None


def start_button(config: TrainConfig | None, busy: bool, *, key: str = "train_start") -> None:
    """Start training, or with another training under way, join the queue; disabled while the config is
    invalid. Beside it, what the training will take and reach, by this machine's earlier runs."""
    if key == "train_start":  # the first of the page's two: the messages go there
        if problem := st.session_state.pop("train_error", None):
            error_box(problem)
        if notice := st.session_state.pop("train_notice", None):
            st.success(notice, icon=":material/check_circle:")
    label = "Add to the queue" if busy else "Start training"
    # the button as wide as its label (in a fifth of the page, presenter mode cut it to "Start tra…"), the
    # words beside it, or under it where the page is narrow
    row = st.container(horizontal=True, vertical_alignment="center", gap="medium")
    row.button(label, type="primary", icon=":material/play_arrow:", key=key, disabled=config is None,
               on_click=_start, args=(config,), width="content",
               help="It trains in a process of its own: close the page, or stop the app, and it goes on."
               + (" It starts when the runs before it are done." if busy else ""))
    if config is not None:
        row.caption(expectation(estimates.estimate(config, runs.list_runs())))


def expectation(guess: estimates.Estimate) -> str:
    """What to expect, in words, from an estimate."""
    if guess.seconds is None:
        time = ("No earlier run of this network on this machine yet: the first one shows how fast it trains "
                "here (the Time left figure appears after a few batches).")
    else:
        time = (f"Training should take about **{duration(guess.seconds)}** on this machine (run {guess.speed_from} "
                f"trained {guess.images_per_second:,.0f} images a second), then a few seconds of testing.")
    if guess.accuracy is None:
        return time
    return time + (f" Run {guess.accuracy_from}, with these settings, reached **{guess.accuracy:.1%}** on the "
                   "test images.")


def _start(config: TrainConfig) -> None:
    # a callback, so the run is queued before the page reruns and the rerun already shows it
    try:
        data.find_source(download=False)
        run = trainqueue.enqueue(config)
    except data.DataError as exc:
        st.session_state["train_error"] = f"Not started: the CIFAR-10 data set could not be found. {exc}"
        return
    except OSError as exc:
        st.session_state["train_error"] = f"Not started: the run could not be written ({exc})."
        return
    st.session_state["train_started"] = run.id
    remember_run(run.id)  # Results, Inside and Predict open on it once it is trained
    place = trainqueue.place(run)
    if place is not None and place > 1:
        st.session_state["train_notice"] = f"Run {run.id} is in the queue: place {place}. It starts by itself."
