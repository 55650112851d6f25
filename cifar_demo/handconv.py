"""A convolution worked by hand: one filter of the first convolution at one position of one image.

The first convolution multiplies each k x k x 3 patch of the pixels (divided by 255) by a filter's
k x k x 3 numbers, adds the products and the filter's bias, and applies its activation: that is one
value of the filter's feature map. ``by_hand`` does this in NumPy for a position the learner picks,
and reads the layer's own output at the same place, so the two can be compared.
"""
from __future__ import annotations

import weakref
from dataclasses import dataclass

import numpy as np

from .data import as_batch, normalize
from .filters import first_conv

_layer_models: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # model -> (image -> first conv maps)


class HandError(ValueError):
    """The first convolution cannot be worked by hand on the pixels; the message says why, in words."""


@dataclass(frozen=True)
class Worked:
    """One output value of the first convolution, computed by hand, and the layer's own."""
    layer: str              # the Keras layer's class and the number of filters, for people: "Conv2D, 32 filters"
    filters: int            # how many filters the layer has
    kernel: np.ndarray      # float32 (k, k, 3): the chosen filter's numbers
    bias: float             # its bias (0 without one)
    patch: np.ndarray       # float32 (k, k, 3): the pixels under it, divided by 255 (0 outside the image)
    pixels: np.ndarray      # int (k, k, 3): the same pixels as stored, 0..255 (-1 outside the image)
    top: int                # the image row and column of the patch's top-left corner (may be -1 with padding)
    left: int
    products: np.ndarray    # float32 (k, k, 3): patch * kernel
    total: float            # products.sum() + bias
    activation: str         # "relu", "linear", ...
    value: float            # the activation of total: the hand-computed value of the feature map
    layer_value: float      # the layer's own output at that place
    map_shape: tuple        # (H, W) of the feature map
    learned: bool           # False for a frozen layer (patch whitening, fitted to the data)
    compute_dtype: str      # what the layer computes in: "float32", or "bfloat16" (agrees to 2-3 digits)


def conv_layer(model):
    """The first convolution, if it looks straight at the pixels; HandError otherwise."""
    layer = first_conv(model)
    if layer is None:
        raise HandError("This network has no convolution layer to work by hand.")
    if tuple(layer.input.shape[1:]) != tuple(model.inputs[0].shape[1:]) or layer.kernel.shape[2] != 3:
        raise HandError(f"This network's first convolution does not look at the pixels directly (it gets "
                        f"{tuple(layer.input.shape[1:])} values), so it cannot be worked on the image by hand.")
    return layer


def _maps(model, layer, image: np.ndarray) -> np.ndarray:
    import keras
    if model not in _layer_models:
        _layer_models[model] = keras.Model(model.inputs[0], layer.output)
    return np.asarray(_layer_models[model](normalize(as_batch(image)[0]), training=False), np.float32)[0]


def corner(position: int, size: int, kernel: int, stride: int, padding: str, out: int) -> int:
    """The input row (or column) of the top-left of the window behind output ``position``: Keras's "same"
    padding puts the odd pixel of padding after the image, "valid" has none."""
    if padding == "valid":
        return position * stride
    pad = max((out - 1) * stride + kernel - size, 0)
    return position * stride - pad // 2


def by_hand(model, image: np.ndarray, filter_index: int, row: int, col: int) -> Worked:
    """Filter ``filter_index`` of the first convolution at output position (row, col) of uint8 ``image``."""
    layer = conv_layer(model)
    k, stride = layer.kernel_size[0], layer.strides[0]
    maps = _maps(model, layer, image)
    height, width = maps.shape[:2]
    if not (0 <= filter_index < maps.shape[2] and 0 <= row < height and 0 <= col < width):
        raise HandError(f"pick a filter below {maps.shape[2]} and a position within {height}x{width}")
    image = np.asarray(image)
    top = corner(row, image.shape[0], k, stride, layer.padding, height)
    left = corner(col, image.shape[1], k, stride, layer.padding, width)
    pixels = np.full((k, k, 3), -1, int)
    for i in range(k):
        for j in range(k):
            if 0 <= top + i < image.shape[0] and 0 <= left + j < image.shape[1]:
                pixels[i, j] = image[top + i, left + j]
    patch = np.where(pixels >= 0, pixels, 0).astype(np.float32) / np.float32(255.0)
    kernel = np.asarray(layer.kernel, np.float32)[:, :, :, filter_index]
    bias = float(np.asarray(layer.bias, np.float32)[filter_index]) if layer.use_bias else 0.0
    products = patch * kernel
    total = float(products.sum(dtype=np.float64)) + bias
    name = getattr(layer.activation, "__name__", "linear")
    value = float(np.asarray(layer.activation(np.array([[total]], np.float32)), np.float32).reshape(-1)[0])
    return Worked(f"Conv2D, {maps.shape[2]} filters", maps.shape[2], kernel, bias, patch, pixels, top, left,
                  products, total, name, value, float(maps[row, col, filter_index]), (height, width),
                  bool(layer.trainable), str(layer.dtype_policy.compute_dtype))


def feature_map(model, image: np.ndarray, filter_index: int) -> np.ndarray:
    """float32 (H, W): the first convolution's feature map of one filter for uint8 ``image``."""
    return _maps(model, conv_layer(model), image)[:, :, filter_index]
