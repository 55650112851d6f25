"""The first layer's filters as pictures: a fixed pre-processing layer (whitening) apart, and the first
convolution that learned.

A convolution that reads the image's 3 colours has filters that are small
pictures: its kernel, each filter stretched to its own range. The fast and
long presets put a fixed whitening layer first, so their first learned
convolution reads 24 whitened channels, not colours. Its filters are traced
back to pixels: the gradient of each filter's response at the middle of its
map with respect to the image, averaged over some test images, is the pixel
pattern that raises that response most (through the whitening as it is).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .data import normalize
from .explain import ExplainError, layer_titles

NO_FILTERS = "This network has no convolution layer, so it has no filters to show."


def first_conv(model):
    """The first Conv2D layer (the one that looks at the pixels), or None."""
    from keras import layers
    return next((layer for layer in model.layers if isinstance(layer, layers.Conv2D)), None)


def first_learned_conv(model):
    """The first Conv2D layer whose filters were trained (not frozen like the whitening), or None."""
    from keras import layers
    return next((layer for layer in model.layers if isinstance(layer, layers.Conv2D) and layer.trainable), None)


def fixed_first_layer(model):
    """The first convolution when it is fixed, not learned (the presets' whitening), else None."""
    layer = first_conv(model)
    return layer if layer is not None and not layer.trainable else None


def stretched(filters: np.ndarray) -> np.ndarray:
    """Float (F, h, w, 3) -> uint8, each filter stretched to 0..255 on its own (grey where all are equal)."""
    low = filters.min(axis=(1, 2, 3), keepdims=True)
    span = filters.max(axis=(1, 2, 3), keepdims=True) - low
    return np.round(np.where(span > 0, (filters - low) / np.where(span > 0, span, 1), 0.5) * 255).astype(np.uint8)


def kernel_pictures(layer) -> np.ndarray:
    """A convolution's filters as uint8 (F, k, k, 3) pictures; ExplainError when it does not read 3 colours."""
    kernel = np.asarray(layer.kernel, np.float32)  # (k, k, in, F)
    if kernel.shape[2] != 3:
        raise ExplainError(f"This convolution sees {kernel.shape[2]} channels, not the 3 colours of the image, "
                           "so its filters are not pictures.")
    return stretched(np.moveaxis(kernel, -1, 0))


def traced_pictures(model, layer, images: np.ndarray) -> np.ndarray:
    """Each filter of ``layer`` traced back to the pixels: uint8 (F, h, w, 3), h x w its receptive field.

    images: uint8 (N, 32, 32, 3) to average the gradients over (the layers before may be non-linear).
    """
    import keras
    import tensorflow as tf
    sub_model = keras.Model(model.inputs[0], layer.output)
    x = tf.constant(normalize(np.asarray(images)))
    height, width = layer.output.shape[1:3]
    with tf.GradientTape() as tape:
        tape.watch(x)
        middle = tf.cast(sub_model(x, training=False)[:, height // 2, width // 2, :], tf.float32)  # (N, F)
        total = tf.reduce_sum(middle, axis=0)  # (F,)
    grads = tape.jacobian(total, x).numpy().mean(axis=1)  # (F, 32, 32, 3)
    seen = np.abs(grads).sum(axis=(0, 3)) > 0
    rows, cols = np.flatnonzero(seen.any(axis=1)), np.flatnonzero(seen.any(axis=0))
    if not len(rows):
        raise ExplainError("This layer's filters do not depend on the pixels here, so they cannot be drawn.")
    return stretched(grads[:, rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1, :])


@dataclass(frozen=True)
class LearnedFilters:
    """The first learned convolution's filters as pictures."""
    title: str            # the layer's name for people
    pictures: np.ndarray  # uint8 (F, h, w, 3)
    traced: bool          # True: traced back through fixed layers before it; False: its own kernel
    inputs: int           # the channels it reads (3: the colours)


def learned_filters(model, images: np.ndarray) -> LearnedFilters:
    """The first learned convolution's filters; traced back to pixels (over ``images``) when it does not read
    the colours itself. Raises ExplainError for a network without a learned convolution."""
    layer = first_learned_conv(model)
    if layer is None:
        raise ExplainError(NO_FILTERS)
    title = layer_titles(model).get(layer.name, layer.__class__.__name__)
    inputs = int(layer.kernel.shape[2])
    if inputs == 3 and layer is first_conv(model):
        return LearnedFilters(title, kernel_pictures(layer), traced=False, inputs=inputs)
    return LearnedFilters(title, traced_pictures(model, layer, images), traced=True, inputs=inputs)
