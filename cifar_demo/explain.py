"""See why the network decides: Grad-CAM heat maps, first-layer filters and every layer's feature maps.

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
from PIL import Image

from .data import CLASS_NAMES, IMAGE_SHAPE, normalize, upscale
from .models import LAYER_TYPES


NO_CONV = ("This network has no convolution layer, so there are no feature maps to point at places in the "
           "image: Grad-CAM needs one.")


class ExplainError(ValueError):
    """The model cannot be explained this way; the message is meant for the user."""


@dataclass(frozen=True)
class LayerMaps:
    """One layer's output for one image."""
    name: str        # the Keras layer name, e.g. "L3_conv" or "L4_block_act2"
    kind: str        # what sort of layer: "conv", "pool", "activation", "whiten", ...
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


def first_conv(model):
    """The first Conv2D layer (the one that looks at the pixels), or None."""
    from keras import layers
    return next((layer for layer in model.layers if isinstance(layer, layers.Conv2D)), None)


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


def _batch(images) -> tuple[np.ndarray, bool]:
    images = np.asarray(images)
    single = images.shape == IMAGE_SHAPE
    if single:
        images = images[np.newaxis]
    if images.ndim != 4 or images.shape[1:] != IMAGE_SHAPE:
        raise ValueError(f"images must have shape (N, 32, 32, 3) or (32, 32, 3), not {images.shape}")
    return images, single


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
    images, single = _batch(images)
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


# --- drawing (pure NumPy and Pillow) ----------------------------------------------------------------

# Google's polynomial fit of the Turbo colormap: blue (cold) through green and yellow to red (hot)
_TURBO = np.array([[0.13572138, 4.61539260, -42.66032258, 132.13108234, -152.94239396, 59.28637943],
                   [0.09140261, 2.19418839, 4.84296658, -14.18503333, 4.27729857, 2.82956604],
                   [0.10667330, 12.64194608, -60.58204836, 110.36276771, -89.90310912, 27.34824973]])


def colormap(values: np.ndarray) -> np.ndarray:
    """Values in [0, 1] of any shape -> uint8 RGB of that shape plus a last axis of 3: blue, green, yellow, red.

    Turbo without its near-black ends, so that "nothing here" reads as blue rather than as a shadow.
    """
    x = 0.1 + 0.8 * np.clip(np.asarray(values, np.float64), 0, 1)[..., None]
    rgb = sum(_TURBO[:, i] * x ** i for i in range(6))
    return np.round(np.clip(rgb, 0, 1) * 255).astype(np.uint8)


def _resize(values: np.ndarray, size: int) -> np.ndarray:
    """A float (H, W) map resized bilinearly to (size, size)."""
    return np.asarray(Image.fromarray(np.asarray(values, np.float32), mode="F")
                      .resize((size, size), Image.Resampling.BILINEAR))


def overlay(image: np.ndarray, heat: np.ndarray, alpha: float = 0.55, *, size: int = 160) -> np.ndarray:
    """The heat map laid over the image: uint8 of shape (size, size, 3).

    image: uint8 (32, 32, 3), enlarged by whole pixels so it stays crisp; heat:
    float (h, w) in [0, 1], resized smoothly, since it is a field and not pixels.
    The colour covers the image by ``alpha`` where the heat is highest and by a
    third of that where there is none, so the picture stays readable under the cold parts.
    """
    image = np.asarray(image)
    big = np.asarray(Image.fromarray(image).resize((size, size), Image.Resampling.NEAREST), np.float32)
    heat = np.clip(_resize(heat, size), 0, 1)
    weight = (alpha * (1 + 2 * heat) / 3)[..., None]
    return np.round((1 - weight) * big + weight * colormap(heat)).astype(np.uint8)


def grid(tiles: np.ndarray, *, columns: int, tile: int, gap: int = 2, background: int = 255) -> np.ndarray:
    """Tiles (N, h, w) or (N, h, w, 3) in [0, 255] laid out in rows, each enlarged by whole pixels
    to about ``tile`` px: uint8 (rows * (T + gap) - gap, columns * (T + gap) - gap, 3)."""
    tiles = np.asarray(tiles)
    if tiles.ndim == 3:
        tiles = np.repeat(tiles[..., None], 3, axis=-1)
    zoom = max(1, round(tile / max(tiles.shape[1:3])))
    tiles = upscale(tiles, zoom)
    n, h, w = tiles.shape[:3]
    columns = max(1, min(columns, n))
    rows = -(-n // columns)
    out = np.full((rows * (h + gap) - gap, columns * (w + gap) - gap, 3), background, np.uint8)
    for i, t in enumerate(tiles):
        r, c = divmod(i, columns)
        out[r * (h + gap):r * (h + gap) + h, c * (w + gap):c * (w + gap) + w] = t
    return out


def scaled_maps(maps: np.ndarray, count: int) -> np.ndarray:
    """The first ``count`` channels of (H, W, C) maps as uint8 (count, H, W), each stretched to 0..255.

    A channel that is constant (often all zero after a ReLU) shows as black. Maps of 1x1, a
    single number each, are stretched together instead, so that they can be told apart.
    """
    chosen = np.moveaxis(np.asarray(maps, np.float32)[..., :count], -1, 0)
    axes = (0, 1, 2) if chosen.shape[1:] == (1, 1) else (1, 2)  # 1x1 maps: one number each, compared across
    low = chosen.min(axis=axes, keepdims=True)
    span = chosen.max(axis=axes, keepdims=True) - low
    return np.round(np.where(span > 0, (chosen - low) / np.where(span > 0, span, 1), 0) * 255).astype(np.uint8)


# --- filters and feature maps ----------------------------------------------------------------------

def first_layer_filters(model) -> np.ndarray:
    """The first convolution's filters: uint8 (F, k, k, 3), each stretched to 0..255 on its own.

    Raises ExplainError when there is no convolution, or the first one does not see the RGB pixels.
    """
    layer = first_conv(model)
    if layer is None:
        raise ExplainError("This network has no convolution layer, so it has no filters to show.")
    kernel = np.asarray(layer.kernel, np.float32)  # (k, k, in, F)
    if kernel.shape[2] != 3:
        raise ExplainError(f"The first convolution ({layer.name}) sees {kernel.shape[2]} channels, "
                           "not the 3 colours of the image, so its filters are not pictures.")
    filters = np.moveaxis(kernel, -1, 0)
    low = filters.min(axis=(1, 2, 3), keepdims=True)
    span = filters.max(axis=(1, 2, 3), keepdims=True) - low
    return np.round((filters - low) / np.where(span > 0, span, 1) * 255).astype(np.uint8)


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
    images, _ = _batch(image)
    if len(images) != 1:
        raise ValueError("feature_maps takes one image")
    sub_model, shown = _maps_model(model)
    outputs = sub_model(normalize(images), training=False)
    if not isinstance(outputs, (list, tuple)):  # no layer to show: the one output comes alone
        outputs = [outputs]
    *maps, scores = [np.asarray(o, np.float32)[0] for o in outputs]
    layers = [LayerMaps(layer.name, _kind(layer), m.shape, _purpose(layer), m) for layer, m in zip(shown, maps)]
    return layers, probabilities(scores)


def probabilities(scores: np.ndarray) -> np.ndarray:
    """A model's output for one image as probabilities: as is when it already is, else softmaxed."""
    scores = np.asarray(scores, np.float32)
    if scores.shape != (len(CLASS_NAMES),):
        raise ExplainError(f"the model outputs shape {scores.shape}, not ({len(CLASS_NAMES)},): "
                           "it is not a CIFAR-10 classifier")
    if np.all(scores >= 0) and abs(float(scores.sum()) - 1) < 1e-3:
        return scores
    shifted = np.exp(scores - scores.max())
    return (shifted / shifted.sum()).astype(np.float32)
