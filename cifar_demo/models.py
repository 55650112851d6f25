"""The architectures: a builder from a declarative spec, the presets, and summaries.

A spec is a list of layer dicts, each with a ``"type"`` and its parameters::

    [{"type": "conv", "filters": 32}, {"type": "pool"}, {"type": "flatten"},
     {"type": "dense", "units": 10, "activation": "softmax"}]

Every preset is such a list, so the app can show and edit any network layer by
layer, and a run's config (which stores the spec) can rebuild its model.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass, field

import numpy as np

from .data import CLASS_NAMES, IMAGE_SHAPE

NUM_CLASSES = len(CLASS_NAMES)

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
              "Conv block (airbench): conv, max-pool, batch norm, act, conv, batch norm, act; "
              "its convs start as identities on their input channels."),
    "whiten": ({"kernel": 2},
               "Patch whitening: a frozen first conv whose filters decorrelate 2x2 pixel patches "
               "(fitted to the training images)."),
    "scale": ({"factor": 1.0}, "Scale: multiplies every value by a constant (e.g. to temper logits)."),
}
ACTIVATIONS = ("relu", "gelu", "elu", "tanh", "sigmoid", "softmax", "linear", "swish")


class SpecError(ValueError):
    """A spec that cannot build; the message names the layer and what is wrong."""


@dataclass(frozen=True)
class Preset:
    key: str
    title: str
    about: str  # where it comes from and what it reported
    spec: tuple  # tuple of layer dicts
    train: dict = field(default_factory=dict)  # TrainConfig field defaults of its tutorial


@dataclass(frozen=True)
class LayerRow:
    index: int          # position in the spec (0-based); -1 for the input row
    name: str           # Keras layer name(s)
    kind: str           # spec type
    output_shape: tuple  # without the batch axis
    params: int
    flops: int          # per image, forward pass; a multiply-add counts as 2


def conv(filters, kernel=3, padding="same", activation="relu", **kw):
    return {"type": "conv", "filters": filters, "kernel": kernel, "padding": padding,
            "activation": activation, **kw}


def dense(units, activation="relu"):
    return {"type": "dense", "units": units, "activation": activation}


POOL, FLAT, BN = {"type": "pool", "size": 2, "kind": "max"}, {"type": "flatten"}, {"type": "batchnorm"}
SOFTMAX_OUT = dense(NUM_CLASSES, "softmax")


def _dropout(rate):
    return {"type": "dropout", "rate": rate}


def _airbench(widths) -> tuple:
    """airbench's network: frozen whitening, three conv blocks, a max over the last 3x3 map, scaled logits."""
    return (
        {"type": "whiten", "kernel": 2}, {"type": "activation", "fn": "relu"},
        *({"type": "block", "filters": w, "activation": "relu"} for w in widths),
        {"type": "pool", "size": 3, "kind": "max"}, FLAT,
        {"type": "dense", "units": NUM_CLASSES, "activation": "linear", "use_bias": False},
        {"type": "scale", "factor": 1 / 9}, {"type": "activation", "fn": "softmax"},
    )


# the training recipe the airbench-style presets share; each sets its own epochs and learning rate, and
# `long` a stronger weight decay (3e-3: 90.94% in 20 epochs, against 90.50% with 6e-3; BENCHMARKS.md)
AIRBENCH_TRAIN = {"batch_size": 256, "optimizer": "nesterov", "schedule": "warmup_linear", "warmup_epochs": 1,
                  "weight_decay": 5e-4, "label_smoothing": 0.2, "flip": True, "shift": 2,
                  "validation_split": 0.0, "tta_flip": True, "tta_shift": True}


PRESETS: dict[str, Preset] = {p.key: p for p in [
    Preset("fast", "Fast CPU net (airbench-style)",
           "Batch norm, a frozen patch-whitening first layer, conv blocks that start as identities, "
           "flip + translate augmentation, label smoothing, a warm-up then linear-decay schedule and "
           "test-time flip + shift averaging: the tricks of the fastest public CIFAR-10 recipes "
           "(airbench), in a net sized for a 2-core CPU (ReLU, widths 32/64/128, 8 epochs). Measured "
           "on 2 cores with bfloat16 hardware, side by side with the Keras tutorial: 70.9% test "
           "accuracy after three quarters of its first epoch (18 s, 5.1x sooner than the tutorial), "
           "85% after 113 s, 85.6% at its end (141 s); about 2.2x as long without bfloat16.",
           _airbench((32, 64, 128)),
           {**AIRBENCH_TRAIN, "epochs": 8, "learning_rate": 0.8, "warmup_epochs": 0.25}),
    Preset("long", "Long CPU net (airbench94-sized)",
           "The fast net's recipe at airbench94's widths (64, 256, 256), six times the compute per image, "
           "with stronger weight decay and 20 epochs. Measured: 90.9% test accuracy after 21 minutes of "
           "training on 2 cores with bfloat16 hardware (AMX); a CPU without it trains about 2.5x slower. "
           "The model that ships with the app (default_run/) is this preset's.",
           _airbench((64, 256, 256)),
           {**AIRBENCH_TRAIN, "epochs": 20, "learning_rate": 0.6, "weight_decay": 3e-3}),
    Preset("keras_tutorial", "Keras tutorial",
           "Conv32-Pool-Conv64-Pool-Conv128-Pool (3x3, same padding, ReLU), Dense128, Dropout 0.5; "
           "Adam, batch 64, 25 epochs, 20% validation. Reported 75% test accuracy.",
           (conv(32), POOL, conv(64), POOL, conv(128), POOL, FLAT, dense(128), _dropout(0.5), SOFTMAX_OUT),
           {"epochs": 25, "batch_size": 64, "optimizer": "adam", "learning_rate": 1e-3,
            "validation_split": 0.2}),
    Preset("tf_tutorial", "TensorFlow tutorial",
           "Conv32(valid)-Pool-Conv64-Pool-Conv64, Dense64 (tensorflow.org CNN tutorial); Adam, "
           "10 epochs. Reported about 72% test accuracy.",
           (conv(32, padding="valid"), POOL, conv(64, padding="valid"), POOL, conv(64, padding="valid"),
            FLAT, dense(64), SOFTMAX_OUT),
           {"epochs": 10, "batch_size": 32, "optimizer": "adam", "learning_rate": 1e-3,
            "validation_split": 0.1}),
    Preset("all_conv", "All-convolutional",
           "Conv48(same)-Conv48-Pool-Dropout0.25, Conv48(same)-Conv48-Conv10 (1x1), global average "
           "pooling, softmax: no dense layer at all. Adam, batch 100, 10 epochs, 10% validation. "
           "Reported 73.05% test accuracy.",
           (conv(48), conv(48, padding="valid"), POOL, _dropout(0.25), conv(48), conv(48, padding="valid"),
            conv(NUM_CLASSES, kernel=1, activation="linear"), {"type": "gap"},
            {"type": "activation", "fn": "softmax"}),
           {"epochs": 10, "batch_size": 100, "optimizer": "adam", "learning_rate": 1e-3,
            "validation_split": 0.1}),
    Preset("two_block", "Two-block",
           "Conv32-Pool-Conv64-Pool (same padding), Dense128: the smallest tutorial net. "
           "Adam, batch 64, 15 epochs.",
           (conv(32), POOL, conv(64), POOL, FLAT, dense(128), SOFTMAX_OUT),
           {"epochs": 15, "batch_size": 64, "optimizer": "adam", "learning_rate": 1e-3,
            "validation_split": 0.1}),
]}
DEFAULT_PRESET = "fast"


def preset(key: str) -> Preset:
    try:
        return PRESETS[key]
    except KeyError:
        raise SpecError(f"unknown preset {key!r}; choose one of: {', '.join(PRESETS)}") from None


def new_layer(kind: str) -> dict:
    """A fresh layer dict of the given type with its default parameters."""
    return {"type": kind, **copy.deepcopy(LAYER_TYPES[kind][0])}


# --- building -------------------------------------------------------------------------------

def _describe(i: int, layer: dict) -> str:
    params = ", ".join(f"{k}={v}" for k, v in layer.items() if k != "type")
    return f"layer {i + 1} ({layer.get('type', '?')}{': ' + params if params else ''})"


def _check(i: int, layer: dict) -> dict:
    if not isinstance(layer, dict) or layer.get("type") not in LAYER_TYPES:
        raise SpecError(f"{_describe(i, layer if isinstance(layer, dict) else {})}: unknown layer type; "
                        f"use one of {', '.join(LAYER_TYPES)}")
    full = {**LAYER_TYPES[layer["type"]][0], **layer}
    for key in ("filters", "kernel", "stride", "size", "units"):
        if key in full and (not isinstance(full[key], (int, np.integer)) or full[key] < 1):
            raise SpecError(f"{_describe(i, layer)}: {key} must be a whole number of at least 1")
    if "rate" in full and not 0 <= full["rate"] < 1:
        raise SpecError(f"{_describe(i, layer)}: the dropout rate must be in [0, 1)")
    for key in ("activation", "fn"):
        if key in full and full[key] not in ACTIVATIONS:
            raise SpecError(f"{_describe(i, layer)}: unknown activation {full[key]!r}")
    if full.get("padding", "same") not in ("same", "valid") or full.get("kind", "max") not in ("max", "avg"):
        raise SpecError(f"{_describe(i, layer)}: padding is 'same' or 'valid', pooling 'max' or 'avg'")
    return full


def _keras_layers(i: int, full: dict, policy):
    """The Keras layers for one spec layer (a block expands to several)."""
    from keras import layers

    from .layers import FusedBatchNorm
    kw = {"dtype": policy}
    name = f"L{i + 1}_{full['type']}"
    kind = full["type"]
    if kind == "conv":
        return [layers.Conv2D(full["filters"], full["kernel"], strides=full["stride"], padding=full["padding"],
                              activation=full["activation"], use_bias=full.get("use_bias", True), name=name, **kw)]
    if kind == "pool":
        cls = layers.MaxPooling2D if full["kind"] == "max" else layers.AveragePooling2D
        return [cls(full["size"], name=name, **kw)]
    if kind == "batchnorm":
        return [FusedBatchNorm(name=name, **kw)]
    if kind == "activation":
        # softmax always in float32: probabilities must sum to 1 under mixed precision too
        return [layers.Activation(full["fn"], name=name, dtype="float32" if full["fn"] == "softmax" else policy)]
    if kind == "dropout":
        return [layers.Dropout(full["rate"], name=name, **kw)]
    if kind == "flatten":
        return [layers.Flatten(name=name, **kw)]
    if kind == "gap":
        return [layers.GlobalAveragePooling2D(name=name, **kw)]
    if kind == "dense":
        out_dtype = "float32" if full["activation"] == "softmax" else policy
        return [layers.Dense(full["units"], activation=full["activation"], use_bias=full.get("use_bias", True),
                             name=name, dtype=out_dtype)]
    if kind == "scale":
        return [layers.Rescaling(full["factor"], name=name, **kw)]
    if kind == "whiten":
        k = full["kernel"]
        return [layers.Conv2D(2 * 3 * k * k, k, padding="valid", use_bias=True, trainable=False,
                              name=f"L{i + 1}_whiten", **kw)]
    if kind == "block":
        act, f = full["activation"], full["filters"]
        return [layers.Conv2D(f, 3, padding="same", use_bias=False, name=f"{name}_conv1", **kw),
                layers.MaxPooling2D(2, name=f"{name}_pool", **kw),
                FusedBatchNorm(momentum=0.6, epsilon=1e-5, name=f"{name}_bn1", **kw),
                layers.Activation(act, name=f"{name}_act1", **kw),
                layers.Conv2D(f, 3, padding="same", use_bias=False, name=f"{name}_conv2", **kw),
                FusedBatchNorm(momentum=0.6, epsilon=1e-5, name=f"{name}_bn2", **kw),
                layers.Activation(act, name=f"{name}_act2", **kw)]
    raise AssertionError(kind)


def _window(layer) -> int:
    """The spatial window a layer needs to fit in its input (0: none)."""
    from keras import layers
    if isinstance(layer, (layers.MaxPooling2D, layers.AveragePooling2D)):
        return layer.pool_size[0]
    if isinstance(layer, layers.Conv2D) and layer.padding == "valid":
        return layer.kernel_size[0]
    return 0


def _flops(layer, in_shape: tuple, out_shape: tuple) -> int:
    from keras import layers
    if isinstance(layer, layers.Conv2D):
        kh, kw = layer.kernel_size
        return 2 * int(np.prod(out_shape)) * kh * kw * in_shape[-1]
    if isinstance(layer, layers.Dense):
        return 2 * int(np.prod(in_shape)) * layer.units
    if isinstance(layer, (layers.Flatten, layers.Dropout)):
        return 0
    return int(np.prod(out_shape))  # one operation per output value: pooling, BN, activations


def build_with_summary(spec, *, name: str = "cnn", precision: str = "float32"):
    """Build a keras.Model from a spec and summarise it row by row.

    Returns (model, rows): ``rows`` holds one LayerRow per spec layer (a block's
    layers are added up). The model takes float32 images of shape (32, 32, 3)
    already put through ``data.normalize`` and outputs 10 class probabilities.
    Raises SpecError naming the first layer that cannot build.
    """
    import keras
    spec = list(spec)
    if not spec:
        raise SpecError("the network is empty: add some layers")
    policy = "mixed_bfloat16" if precision == "mixed_bfloat16" else "float32"
    inputs = keras.Input(IMAGE_SHAPE, name="image")
    x, rows = inputs, []
    for i, layer in enumerate(spec):
        full = _check(i, layer)
        in_shape = tuple(x.shape[1:])
        if full["type"] in ("dense",) and len(in_shape) != 1:
            raise SpecError(f"{_describe(i, layer)}: a dense layer needs a flat input, but gets a "
                            f"{'x'.join(map(str, in_shape))} map; add Flatten or global pooling before it")
        if full["type"] in ("conv", "pool", "block", "whiten", "gap", "flatten") and len(in_shape) != 3:
            raise SpecError(f"{_describe(i, layer)}: needs an image-shaped (H, W, C) input, "
                            f"but gets a flat vector of {in_shape[0]}")
        params = flops = 0
        names = []
        for keras_layer in _keras_layers(i, full, policy):
            before = tuple(x.shape[1:])
            window = _window(keras_layer)
            if len(before) == 3 and window and (before[0] < window or before[1] < window):
                raise SpecError(f"{_describe(i, layer)}: its {window}x{window} window does not fit the "
                                f"{before[0]}x{before[1]} map it gets; remove a pooling layer or use "
                                f"'same' padding earlier")
            try:
                x = keras_layer(x)
            except ValueError as exc:
                raise SpecError(f"{_describe(i, layer)} cannot build on a "
                                f"{'x'.join(map(str, before))} input: {str(exc).splitlines()[0]}") from exc
            after = tuple(x.shape[1:])
            if any(d is not None and d < 1 for d in after):
                raise SpecError(f"{_describe(i, layer)} would shrink a {'x'.join(map(str, before))} map "
                                f"to nothing; remove a pooling layer or use 'same' padding")
            params += keras_layer.count_params()
            flops += _flops(keras_layer, before, after)
            names.append(keras_layer.name)
        rows.append(LayerRow(i, ", ".join(names), full["type"], tuple(x.shape[1:]), params, flops))
    if tuple(x.shape[1:]) != (NUM_CLASSES,):
        raise SpecError(f"the network must end in {NUM_CLASSES} outputs, one per class, but ends in shape "
                        f"{tuple(x.shape[1:])}; finish with Flatten (or global pooling) and "
                        f"a dense layer of {NUM_CLASSES} units with softmax")
    last = _check(len(spec) - 1, spec[-1])
    if last.get("activation", last.get("fn")) != "softmax":
        raise SpecError("the last layer must be a softmax, so the outputs are class probabilities")
    return keras.Model(inputs, x, name=name), rows


def build(spec, *, name: str = "cnn", precision: str = "float32"):
    return build_with_summary(spec, name=name, precision=precision)[0]


def summarize(spec) -> list[LayerRow]:
    """Rows of output shape, parameters and FLOPs per spec layer; raises SpecError."""
    import keras
    rows = build_with_summary(spec)[1]
    keras.backend.clear_session(free_memory=False)  # summaries are built often; keep graph names short
    return rows


def describe_spec(spec) -> str:
    """A one-line architecture summary, e.g. 'conv32-pool-conv64-pool-flatten-dense10'."""
    parts = []
    for layer in spec:
        kind = layer.get("type", "?")
        size = layer.get("filters") or layer.get("units")
        parts.append(f"{kind}{size}" if size else kind)
    return "-".join(parts)


def fit_whitening(model, images: np.ndarray, *, eps: float = 5e-4) -> None:
    """Set each frozen whitening conv's filters from patches of ``images``.

    images: float32 array of shape (N, 32, 32, 3), already normalised. The
    filters are the eigenvectors of the patch covariance scaled by
    1/sqrt(eigenvalue), each with its negation (airbench), so that the first
    layer's outputs are decorrelated before any training.
    """
    from keras import layers
    for layer in model.layers:
        if not (isinstance(layer, layers.Conv2D) and layer.name.endswith("_whiten")):
            continue
        k = layer.kernel_size[0]
        windows = np.lib.stride_tricks.sliding_window_view(images, (k, k), axis=(1, 2))
        patches = windows.transpose(0, 1, 2, 4, 5, 3).reshape(-1, k * k * 3).astype(np.float64)
        patches -= patches.mean(axis=0)
        eigval, eigvec = np.linalg.eigh(patches.T @ patches / len(patches))
        filters = eigvec.T[::-1] / np.sqrt(eigval[::-1, None] + eps)
        filters = np.concatenate([filters, -filters])  # (2*k*k*3, k*k*3)
        kernel = filters.reshape(-1, k, k, 3).transpose(1, 2, 3, 0)  # (k, k, 3, out)
        layer.kernel.assign(kernel.astype(np.float32))
        layer.bias.assign(np.zeros(layer.filters, np.float32))


def init_identity(model) -> None:
    """Start each conv block's convs as the identity on their input channels (airbench's dirac init).

    Of a block conv with C input channels, the first C filters pass channel c
    through unchanged (a 1 at the centre tap for channel c, 0 elsewhere); any
    further filters keep their random start. The block then begins close to
    max-pool, batch norm and activation alone, and trains sooner: measured on
    the fast preset cut to 3 epochs, 83.9% test accuracy against 82.9%.
    """
    from keras import layers
    for layer in model.layers:
        if not (isinstance(layer, layers.Conv2D) and "_block_conv" in layer.name):
            continue
        kernel = np.array(layer.kernel.numpy())  # (k, k, C in, C out)
        k, c = kernel.shape[0], min(kernel.shape[2], kernel.shape[3])
        kernel[:, :, :, :c] = 0
        kernel[k // 2, k // 2, np.arange(c), np.arange(c)] = 1
        layer.kernel.assign(kernel)


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
