"""The Train page's layer editor: one row per layer to change, move or remove, a layer to add,
and the table of what each layer computes (output shape, parameters, FLOPs)."""
from __future__ import annotations

import dataclasses
import json

import streamlit as st

from .. import models, recipes
from ..spec import (
    ACTIVATIONS,
    KERAS_LAYERS,
    LAYER_NAMES,
    LAYER_TYPES,
    SpecError,
    insert_layer,
    move_layer,
    remove_layer,
    set_param,
)
from . import error_box, presenting, scaled
from .widgets import metric_row

TRAIN_SPEC, TRAIN_EDITED, TRAIN_VERSION = "train_spec", "train_spec_edited", "train_spec_version"
TRAIN_BASE = "train_base"        # the preset the layers and settings came from
CHOICES = {"padding": ("same", "valid"), "kind": ("max", "avg"),
           "activation": ACTIVATIONS, "fn": ACTIVATIONS}
LABELS = {"fn": "Function", "kind": "Pooling", "size": "Window", "use_bias": "Bias"}  # of layer parameters
PARAM_WIDTH = 112                # px per layer parameter widget: "softmax" fits, five fit in a row


def load_layers(key: str) -> None:
    ss = st.session_state
    ss[TRAIN_BASE] = ss["train_preset"] = key
    ss[TRAIN_SPEC] = [dict(layer) for layer in recipes.preset(key).spec]
    ss[TRAIN_EDITED] = False
    ss[TRAIN_VERSION] = ss.get(TRAIN_VERSION, 0) + 1


def _edit_spec(edit, *args) -> None:
    ss = st.session_state
    ss[TRAIN_SPEC] = edit(ss[TRAIN_SPEC], *args)
    ss[TRAIN_EDITED] = True
    ss[TRAIN_VERSION] += 1  # new widget keys: every row shows its layer's values afresh


def _set_param(index: int, key: str, widget: str) -> None:
    ss = st.session_state
    ss[TRAIN_SPEC] = set_param(ss[TRAIN_SPEC], index, key, ss[widget])
    ss[TRAIN_EDITED] = True


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
    kind_col.selectbox("Add a layer", list(LAYER_TYPES), key="train_add_kind",
                       format_func=lambda t: f"{LAYER_NAMES[t]}: {LAYER_TYPES[t][1]}")
    where_col.selectbox("Where", range(len(spec) + 1), index=max(len(spec) - 1, 0), key=f"train_add_at_{version}",
                        format_func=lambda p: "at the end" if p == len(spec) else f"before layer {p + 1}")
    add_col.button("Add", icon=":material/add:", width="stretch", on_click=lambda: _edit_spec(
        insert_layer, ss[f"train_add_at_{version}"], ss["train_add_kind"]))
    if ss[TRAIN_EDITED]:
        st.button("Back to the preset's layers", icon=":material/undo:",
                  on_click=load_layers, args=(ss[TRAIN_BASE],))
    return ss[TRAIN_SPEC]


def _layer_row(i: int, layer: dict, n: int, version: int, row: dict | None) -> None:
    kind = layer.get("type", "?")
    defaults, about = LAYER_TYPES.get(kind, ({}, "An unknown layer type."))
    params = {**defaults, **{k: v for k, v in layer.items() if k != "type"}}
    with st.container(border=True):
        # presenter mode's larger words need a wider first column ("BatchNormalization" broke in two)
        name_col, params_col, out_col = st.columns([2.3 if presenting() else 1.7, 6, 1.5],
                                                   vertical_alignment="center")
        with name_col:
            st.markdown(f"**{i + 1}. {LAYER_NAMES.get(kind, kind)}**", help=about)
            if kind in ("block", "whiten", "pool"):
                built = KERAS_LAYERS[kind] if kind != "pool" else ("MaxPooling2D" if layer.get("kind", "max") == "max"
                                                                    else "AveragePooling2D")
                st.caption(f"Keras: {built}")
            with st.container(horizontal=True, gap=None):
                st.button("", icon=":material/arrow_upward:", key=f"train_up_{version}_{i}", disabled=i == 0,
                          type="tertiary", help="Move up", on_click=_edit_spec, args=(move_layer, i, -1))
                st.button("", icon=":material/arrow_downward:", key=f"train_down_{version}_{i}",
                          disabled=i == n - 1, type="tertiary", help="Move down", on_click=_edit_spec,
                          args=(move_layer, i, 1))
                st.button("", icon=":material/delete:", key=f"train_remove_{version}_{i}", type="tertiary",
                          help="Remove", on_click=_edit_spec, args=(remove_layer, i))
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
    common = {"key": widget, "on_change": _set_param, "args": (i, key, widget), "width": scaled(PARAM_WIDTH)}
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
        st.text_input(label, str(value), disabled=True, key=widget, width=scaled(PARAM_WIDTH))


@st.cache_data(max_entries=64, show_spinner=False)
def _summary(spec_json: str) -> tuple[list[dict], str | None]:
    try:
        return [dataclasses.asdict(row) for row in models.summarize(json.loads(spec_json))], None
    except SpecError as exc:
        return [], str(exc)


def spec_summary(spec: list[dict]) -> bool:
    """Totals and the table of output shapes, parameters and FLOPs per layer; False if it cannot build."""
    rows, problem = _summary(json.dumps(spec, sort_keys=True))
    if problem:
        error_box(f"**This network cannot be built, so it cannot train.** {problem}.")
        return False
    table = [{"Layer": "input image", "Output shape": "32×32×3", "Parameters": 0, "FLOPs": 0}]
    table += [{"Layer": f"{r['index'] + 1}. {LAYER_NAMES.get(r['kind'], r['kind'])}",
               "Output shape": "×".join(map(str, r["output_shape"])),
               "Parameters": r["params"], "FLOPs": r["flops"]} for r in rows]
    # the totals above the table, each as wide as its figure: beside it, a narrow page cut "39.9 MFL…" and
    # the table's last digits
    parameters, work = metric_row(2)
    parameters.metric("Parameters", f"{sum(r['params'] for r in rows):,}",
                      help="The numbers training adjusts (and the frozen whitening filters).")
    work.metric("Work per image", _compact(sum(r["flops"] for r in rows), "FLOPs"),
                help="Arithmetic operations for one image through the network; a multiply-add counts as 2.")
    st.dataframe(table, hide_index=True, height=scaled(35 * (len(table) + 1) + 3), column_config={
        "Parameters": st.column_config.NumberColumn(format="localized"),
        "FLOPs": st.column_config.NumberColumn(format="localized")})
    return True


def _compact(n: float, unit: str) -> str:
    for prefix, size in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if n >= size:
            return f"{n / size:.1f} {prefix}{unit}"
    return f"{n:.0f} {unit}"
