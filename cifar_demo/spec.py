"""The layer-spec format: what a network is, as data the app can show and edit.

A spec is a list of layer dicts, each with a ``"type"`` and its parameters::

    [{"type": "conv", "filters": 32}, {"type": "pool"}, {"type": "flatten"},
     {"type": "dense", "units": 10, "activation": "softmax"}]

This module checks and edits specs, and names their layer types; ``models``
turns one into a keras.Model, ``recipes`` holds the presets. Every preset is
such a list, and a run's config stores its spec, so any run can be rebuilt.
"""
from __future__ import annotations

import copy

import numpy as np

# type -> (default parameters, one-line description for the layer editor)
LAYER_TYPES: dict[str, tuple[dict, str]] = {
    "conv": ({"filters": 32, "kernel": 3, "stride": 1, "padding": "same", "activation": "relu"},
             "Convolution: slides small learned filters over the image to detect local patterns."),
    "pool": ({"size": 2, "kind": "max"},
             "Pooling: halves the map, keeping the strongest (max) or mean (avg) response per window."),
    "batchnorm": ({}, "Batch normalisation: rescales each channel to a steady range; trains faster."),
    "activation": ({"fn": "relu"}, "Activation: a non-linearity applied to every value."),
    "dropout": ({"rate": 0.25}, "Dropout: zeroes a random fraction of values while training, against overfitting."),
    "flatten": ({}, "Flatten: lays the maps out as one long vector for dense layers."),
    "gap": ({}, "Global average pooling: one number per channel, the mean over the whole map."),
    "dense": ({"units": 128, "activation": "relu"}, "Dense: every input connected to every output."),
    "block": ({"filters": 64, "activation": "gelu"},
              "Conv block: Conv2D, MaxPooling2D, BatchNormalization and Activation, then Conv2D, "
              "BatchNormalization and Activation again; its convolutions can start as identities."),
    "whiten": ({"kernel": 2},
               "Patch whitening: a frozen first conv whose filters decorrelate 2x2 pixel patches "
               "(fitted to the training images)."),
    "scale": ({"factor": 1.0}, "Scale: multiplies every value by a constant (e.g. to temper logits)."),
}
ACTIVATIONS = ("relu", "gelu", "elu", "tanh", "sigmoid", "softmax", "linear", "swish")
# type -> its name for people: the Keras layer it builds, as the tutorials name them, or the group's name
LAYER_NAMES = {"conv": "Conv2D", "pool": "Pooling", "batchnorm": "BatchNormalization", "activation": "Activation",
               "dropout": "Dropout", "flatten": "Flatten", "gap": "GlobalAveragePooling2D", "dense": "Dense",
               "block": "Conv block", "whiten": "Patch whitening", "scale": "Rescaling"}
# type -> the Keras layers it builds (models.py)
KERAS_LAYERS = {"conv": "Conv2D", "pool": "MaxPooling2D", "batchnorm": "BatchNormalization", "activation": "Activation",
                "dropout": "Dropout", "flatten": "Flatten", "gap": "GlobalAveragePooling2D", "dense": "Dense",
                "block": "Conv2D, MaxPooling2D, BatchNormalization, Activation, Conv2D, BatchNormalization, "
                         "Activation", "whiten": "Conv2D, not trained (patch whitening)", "scale": "Rescaling"}


class SpecError(ValueError):
    """A spec that cannot build; the message names the layer and what is wrong."""


def new_layer(kind: str) -> dict:
    """A fresh layer dict of the given type with its default parameters."""
    return {"type": kind, **copy.deepcopy(LAYER_TYPES[kind][0])}


def describe_layer(i: int, layer: dict) -> str:
    """'layer 3 (conv: filters=64)': how an error message names spec layer ``i`` (0-based)."""
    params = ", ".join(f"{k}={v}" for k, v in layer.items() if k != "type")
    return f"layer {i + 1} ({layer.get('type', '?')}{': ' + params if params else ''})"


def check_layer(i: int, layer: dict) -> dict:
    """Spec layer ``i`` with its type's defaults filled in; SpecError naming what is wrong with it."""
    if not isinstance(layer, dict) or layer.get("type") not in LAYER_TYPES:
        raise SpecError(f"{describe_layer(i, layer if isinstance(layer, dict) else {})}: unknown layer type; "
                        f"use one of {', '.join(LAYER_TYPES)}")
    full = {**LAYER_TYPES[layer["type"]][0], **layer}
    for key in ("filters", "kernel", "stride", "size", "units"):
        if key in full and (not isinstance(full[key], (int, np.integer)) or full[key] < 1):
            raise SpecError(f"{describe_layer(i, layer)}: {key} must be a whole number of at least 1")
    if "rate" in full and not 0 <= full["rate"] < 1:
        raise SpecError(f"{describe_layer(i, layer)}: the dropout rate must be in [0, 1)")
    for key in ("activation", "fn"):
        if key in full and full[key] not in ACTIVATIONS:
            raise SpecError(f"{describe_layer(i, layer)}: unknown activation {full[key]!r}")
    if full.get("padding", "same") not in ("same", "valid") or full.get("kind", "max") not in ("max", "avg"):
        raise SpecError(f"{describe_layer(i, layer)}: padding is 'same' or 'valid', pooling 'max' or 'avg'")
    return full


def describe_spec(spec) -> str:
    """A one-line architecture summary, e.g. 'conv32-pool-conv64-pool-flatten-dense10'."""
    parts = []
    for layer in spec:
        kind = layer.get("type", "?")
        size = layer.get("filters") or layer.get("units")
        parts.append(f"{kind}{size}" if size else kind)
    return "-".join(parts)


# --- editing a spec (the layer editor); each returns a new list and leaves its input alone ---------------

def insert_layer(spec, index: int, layer: dict | str) -> list[dict]:
    """``spec`` with ``layer`` (a dict, or a type name for that type's defaults) placed at ``index``.

    ``index`` is where the new layer will sit: 0 puts it first, len(spec) last;
    anything beyond is clamped to those ends.
    """
    new = new_layer(layer) if isinstance(layer, str) else copy.deepcopy(dict(layer))
    out = _copy(spec)
    out.insert(min(max(int(index), 0), len(out)), new)
    return out


def remove_layer(spec, index: int) -> list[dict]:
    """``spec`` without its layer at ``index``; IndexError if there is none."""
    out = _copy(spec)
    del out[_position(out, index)]
    return out


def move_layer(spec, index: int, delta: int) -> list[dict]:
    """``spec`` with the layer at ``index`` moved ``delta`` places (-1: up, +1: down), stopping at the ends."""
    out = _copy(spec)
    layer = out.pop(_position(out, index))
    out.insert(min(max(index + int(delta), 0), len(out)), layer)
    return out


def set_param(spec, index: int, key: str, value) -> list[dict]:
    """``spec`` with one parameter of the layer at ``index`` set to ``value``."""
    if key == "type":
        raise ValueError("change a layer's type by removing it and adding another")
    out = _copy(spec)
    out[_position(out, index)][key] = value
    return out


def _copy(spec) -> list[dict]:
    return [copy.deepcopy(dict(layer)) for layer in spec]


def _position(spec: list, index: int) -> int:
    if not 0 <= index < len(spec):
        raise IndexError(f"no layer {index + 1}: the network has {len(spec)} layers")
    return index
