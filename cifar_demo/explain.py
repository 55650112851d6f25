"""See why the network decides: Grad-CAM heat maps and every layer's feature maps, each layer named for people.

Grad-CAM (Selvaraju et al., 2017) weighs each channel of the last convolution's
output by how much the class score rises with it (the spatially averaged
gradient), sums the weighted channels and keeps the positive part: the places
that pushed the network toward the class. Everything here applies
``data.normalize`` first, the same preprocessing as training and prediction.
"""
from __future__ import annotations

import weakref
from dataclasses import dataclass

import numpy as np

from .data import IMAGE_SHAPE, as_batch, normalize
from .inference import as_probabilities
from .spec import LAYER_TYPES

NO_CONV = ("This network has no convolution layer, so there are no feature maps to point at places in the "
           "image: Grad-CAM needs one.")


class ExplainError(ValueError):
    """The model cannot be explained this way; the message is meant for the user."""


@dataclass(frozen=True)
class LayerMaps:
    """One layer's output for one image."""
    name: str        # the Keras layer name, e.g. "L3_conv" or "L4_block_act2" (for code, not for people)
    kind: str        # what sort of layer: "conv", "pool", "activation", "whiten", ...
    title: str       # how people call it: "Block 1 · Conv2D", "MaxPooling2D", "Activation (relu)"
    shape: tuple     # output shape without the batch axis, (H, W, C)
    purpose: str     # one sentence on what the layer is for
    maps: np.ndarray  # float32 (H, W, C): the feature maps themselves


# sub-models built once per model object; dropped with the model
_sub_models: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

_BLOCK_PIECES = {
    "conv1": "The block's first convolution: learned filters over the previous layer's maps.",
    "pool": "The block's max-pooling: halves the map, keeping each window's strongest response.",
    "act1": "The block's first non-linearity, after batch normalisation.",
    "conv2": "The block's second convolution: combines the pooled patterns into larger ones.",
    "act2": "The block's output: the second convolution after batch normalisation and the non-linearity.",
}

_ACTIVATIONS = {
    "relu": "keeps the positive responses and sets the rest to zero, so only the patterns found pass on.",
    "gelu": "passes the positive responses and damps the negative ones toward zero.",
    "elu": "passes the positive responses and squeezes the negative ones above -1.",
    "swish": "passes the positive responses and damps the negative ones toward zero.",
    "silu": "passes the positive responses and damps the negative ones toward zero.",
    "tanh": "squashes every value into -1 to 1.",
    "sigmoid": "squashes every value into 0 to 1.",
}


# --- which layers -----------------------------------------------------------------------------------

def _is_image_shaped(layer) -> bool:
    shape = getattr(layer, "output", None)
    return shape is not None and len(shape.shape) == 4


def _feature_stretch(model) -> list:
    """The model's layers with (N, H, W, C) output up to the first that is not image-shaped (flatten, GAP)."""
    from keras import layers
    stretch = []
    for layer in model.layers:
        if isinstance(layer, layers.InputLayer):
            continue
        if not _is_image_shaped(layer):
            break
        stretch.append(layer)
    return stretch


def last_conv_layer(model) -> str | None:
    """The name of the layer Grad-CAM looks at, or None when the network has no convolution.

    It is the last convolution before the network flattens or pools globally,
    taken after its batch norm and non-linearity when those follow it directly
    (a conv block's last activation), and only while its maps are larger than
    1x1: a single position cannot say where anything is.
    """
    from keras import layers
    best, after_conv = None, False
    for layer in _feature_stretch(model):
        height, width = layer.output.shape[1:3]
        if (height or 2) < 2 and (width or 2) < 2:
            break
        if isinstance(layer, layers.Conv2D):
            best, after_conv = layer.name, True
        elif after_conv and isinstance(layer, (layers.Activation, layers.BatchNormalization, layers.ReLU)):
            best = layer.name
        elif not isinstance(layer, layers.Dropout):
            after_conv = False
    return best


@dataclass(frozen=True)
class LookedAt:
    """The layer Grad-CAM looks at, and how coarse its maps are: the heat map has only height x width places."""
    title: str   # its name for people (``layer_titles``)
    height: int
    width: int
    channels: int


def looked_at(model) -> LookedAt | None:
    """Which layer Grad-CAM reads (``last_conv_layer``) and its map size; None without a convolution."""
    name = last_conv_layer(model)
    if name is None:
        return None
    height, width, channels = model.get_layer(name).output.shape[1:]
    return LookedAt(layer_titles(model).get(name, name), int(height), int(width), int(channels))


def _kind(layer) -> str:
    from keras import layers
    parts = layer.name.split("_")
    if len(parts) >= 2 and parts[0][:1] == "L" and parts[0][1:].isdigit():
        return "block" if parts[1] == "block" else parts[1]
    if isinstance(layer, layers.Conv2D):
        return "conv"
    if isinstance(layer, (layers.MaxPooling2D, layers.AveragePooling2D)):
        return "pool"
    return "activation"


def _purpose(layer) -> str:
    from keras import layers
    kind = _kind(layer)
    if kind == "block":
        return _BLOCK_PIECES.get(layer.name.rsplit("_", 1)[-1], LAYER_TYPES["block"][1])
    if kind == "pool":
        size = layer.pool_size[0]
        how = "strongest (max)" if isinstance(layer, layers.MaxPooling2D) else "mean"
        return f"Pooling: shrinks the map {size}x, keeping the {how} response of each {size}x{size} window."
    if kind == "activation":
        fn = getattr(getattr(layer, "activation", None), "__name__", "relu")
        return f"Activation ({fn}): {_ACTIVATIONS.get(fn, 'a non-linearity applied to every value.')}"
    return LAYER_TYPES.get(kind, (None, f"A {layer.__class__.__name__} layer."))[1]


def layer_titles(model) -> dict[str, str]:
    """{Keras layer name: its name for people} for the layers before the network flattens: the Keras
    class ('Conv2D', 'MaxPooling2D', 'Activation (relu)'), after 'Block 2 · ' inside the second conv block,
    numbered where a name comes more than once ('Conv2D 1', 'Conv2D 2')."""
    titles = _plain_titles(model)
    counts = {title: list(titles.values()).count(title) for title in titles.values()}
    seen: dict[str, int] = {}
    for name, title in titles.items():
        if counts[title] > 1:
            seen[title] = seen.get(title, 0) + 1
            titles[name] = f"{title} {seen[title]}"
    return titles


def _plain_titles(model) -> dict[str, str]:
    titles, blocks = {}, []
    for layer in _feature_stretch(model):
        parts, kind = layer.name.split("_"), _kind(layer)
        if kind == "whiten":
            titles[layer.name] = "Whitening (a fixed Conv2D)"
            continue
        fn = getattr(getattr(layer, "activation", None), "__name__", "")
        base = layer.__class__.__name__
        base = {"Activation": f"Activation ({fn})", "FusedBatchNorm": "BatchNormalization"}.get(base, base)
        if kind == "block":
            blocks += [] if parts[0] in blocks else [parts[0]]
            base = f"Block {blocks.index(parts[0]) + 1} · {base}"
        titles[layer.name] = base
    return titles


def _shown_layers(model) -> list:
    """The layers whose maps are worth looking at: convolutions, poolings and non-linearities."""
    from keras import layers
    kinds = (layers.Conv2D, layers.MaxPooling2D, layers.AveragePooling2D, layers.Activation, layers.ReLU)
    return [layer for layer in _feature_stretch(model) if isinstance(layer, kinds)]


# --- the class score ------------------------------------------------------------------------------

def _score_model(model, layer_name: str):
    """A sub-model: image -> (the layer's maps, the input of the final softmax or the output).

    Grad-CAM follows the pre-softmax logit where it can: a probability near 1
    hardly moves, so its gradients vanish for the images the network is surest about.
    Returns (sub-model, dense layer whose softmax is to be undone or None).
    """
    import keras
    from keras import layers
    cache = _sub_models.setdefault(model, {})
    if layer_name not in cache:
        last = model.layers[-1]
        conv = model.get_layer(layer_name).output
        dense = None
        if isinstance(last, layers.Activation) and getattr(last.activation, "__name__", "") == "softmax":
            score = last.input
        elif isinstance(last, layers.Dense) and getattr(last.activation, "__name__", "") == "softmax":
            score, dense = last.input, last
        else:
            score = model.outputs[0]
        cache[layer_name] = (keras.Model(_input(model), [conv, score]), dense)
    return cache[layer_name]


def _input(model):
    # the one input as a tensor, not a list: a sub-model then takes a plain batch without a warning
    return model.inputs[0] if len(model.inputs) == 1 else model.inputs


def gradcam(model, images, class_index=None, layer: str | None = None) -> np.ndarray:
    """Grad-CAM heat maps: float32 of shape (32, 32) for one image, (N, 32, 32) for a batch.

    images: uint8 of shape (32, 32, 3) or (N, 32, 32, 3). class_index: None for
    each image's predicted class, an int for one class, or one int per image.
    Each map is in [0, 1], scaled so its hottest point is 1; a map that is all
    zero (nothing pushed toward the class) stays zero. layer: the layer to look
    at, by default ``last_conv_layer(model)``. Raises ExplainError for a network
    without convolutions.
    """
    import tensorflow as tf
    layer = layer or last_conv_layer(model)
    if layer is None:
        raise ExplainError(NO_CONV)
    images, single = as_batch(images)
    sub_model, dense = _score_model(model, layer)
    x = tf.constant(normalize(images))
    with tf.GradientTape() as tape:
        maps, score = sub_model(x, training=False)
        if dense is not None:
            score = tf.matmul(score, dense.kernel) + (dense.bias if dense.use_bias else 0.0)
        score = tf.cast(score, tf.float32)
        if class_index is None:
            wanted = tf.argmax(score, axis=1, output_type=tf.int32)
        else:
            wanted = tf.constant(np.broadcast_to(np.asarray(class_index, np.int32), (len(images),)))
        chosen = tf.gather(score, wanted, axis=1, batch_dims=1)
    grads = tf.cast(tape.gradient(chosen, maps), tf.float32)
    weights = tf.reduce_mean(grads, axis=(1, 2), keepdims=True)  # one weight per channel
    cam = tf.nn.relu(tf.reduce_sum(weights * tf.cast(maps, tf.float32), axis=-1, keepdims=True))
    cam = tf.image.resize(cam, IMAGE_SHAPE[:2], method="bilinear")[..., 0].numpy()
    top = cam.reshape(len(cam), -1).max(axis=1)[:, None, None]
    cam = np.where(top > 0, cam / np.where(top > 0, top, 1), 0).clip(0, 1).astype(np.float32)
    return cam[0] if single else cam


# --- feature maps ------------------------------------------------------------------------------------

def _maps_model(model):
    import keras
    cache = _sub_models.setdefault(model, {})
    if None not in cache:  # the key None: the multi-output model of every shown layer
        shown = _shown_layers(model)
        outputs = [layer.output for layer in shown] + [model.outputs[0]]
        cache[None] = (keras.Model(_input(model), outputs), shown)
    return cache[None]


def feature_maps(model, image: np.ndarray) -> tuple[list[LayerMaps], np.ndarray]:
    """Every convolution's, pooling's and non-linearity's maps for one image, in one forward pass.

    image: uint8 (32, 32, 3). Returns (one LayerMaps per layer, in order; the
    class probabilities, float32 (10,)). The list is empty for a network without
    image-shaped layers.
    """
    images, _ = as_batch(image)
    if len(images) != 1:
        raise ValueError("feature_maps takes one image")
    sub_model, shown = _maps_model(model)
    outputs = sub_model(normalize(images), training=False)
    if not isinstance(outputs, (list, tuple)):  # no layer to show: the one output comes alone
        outputs = [outputs]
    *maps, scores = [np.asarray(o, np.float32)[0] for o in outputs]
    titles = layer_titles(model)
    layers = [LayerMaps(layer.name, _kind(layer), titles[layer.name], m.shape, _purpose(layer), m)
              for layer, m in zip(shown, maps)]
    return layers, as_probabilities(scores[np.newaxis])[0]
