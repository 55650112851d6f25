"""The augmentations: random changes to each training image, in TensorFlow graph ops, and their preview.

``AUGMENTATIONS`` maps each augmentation setting of the run configuration
(settings.py, section "augmentation") to the function that applies it to a
batch. Training applies them in this order whenever the amount is set; the
Explore page previews them with ``augmented_copies``, through the very same code.
To add one: write its function here, list it in AUGMENTATIONS, and add its
setting to settings.py; the Train page, the preview and the command line follow.

Every draw is stateless: a function of a seed (two integers) that the
pipeline derives from the run's seed for each batch, so the same seed gives the
same augmentations whatever order parallel threads take the batches in.
Pixels move by gathers of whole rows and columns, one index per image: a
padded copy, tf.reverse and tf.where did the same at 5x the cost per batch,
which on 2 cores the training step pays for (BENCHMARKS.md).
"""
from __future__ import annotations

import numpy as np
import tensorflow as tf


def flip(seed, images, on: bool):
    """Mirror each image left-right with probability 1/2. images: tensor (B, H, W, C); seed: int tensor (2,)."""
    if not on:
        return images
    w = images.shape[2]
    mirror = tf.random.stateless_uniform([tf.shape(images)[0]], seed) < 0.5
    cols = tf.where(mirror[:, None], tf.range(w - 1, -1, -1)[None, :], tf.range(w)[None, :])  # (B, W)
    return tf.gather(images, cols, axis=2, batch_dims=1)


def shift(seed, images, pixels: int):
    """Translate each image by its own (dy, dx) in [-pixels, pixels], filling the border it uncovers
    with the image's own pixels mirrored (as a reflect-padded copy would), so that no black border appears."""
    if not pixels:
        return images
    b, h, w = tf.shape(images)[0], images.shape[1], images.shape[2]
    dy = tf.random.stateless_uniform([b], _fold(seed, 0), 0, 2 * pixels + 1, dtype=tf.int32)
    dx = tf.random.stateless_uniform([b], _fold(seed, 1), 0, 2 * pixels + 1, dtype=tf.int32)
    rows = _reflect(dy[:, None] - pixels + tf.range(h)[None, :], h)  # (B, H): the source row of each row
    cols = _reflect(dx[:, None] - pixels + tf.range(w)[None, :], w)  # (B, W)
    images = tf.gather(images, rows, axis=1, batch_dims=1)
    return tf.gather(images, cols, axis=2, batch_dims=1)


def _reflect(i, n: int):
    """Indices mirrored into 0..n-1 at both ends without repeating the edge (-1 -> 1, n -> n - 2)."""
    return (n - 1) - tf.abs((n - 1) - tf.abs(i))


def cutout(seed, images, side: int):
    """Paint one square of ``side`` pixels mid-grey in each image, placed at random wholly inside it
    (DeVries & Taylor's Cutout, as airbench96 uses it): the net must also recognise things in part."""
    if not side:
        return images
    b, h, w = tf.shape(images)[0], images.shape[1], images.shape[2]
    top = tf.random.stateless_uniform([b], _fold(seed, 0), 0, h - side + 1, dtype=tf.int32)[:, None]
    left = tf.random.stateless_uniform([b], _fold(seed, 1), 0, w - side + 1, dtype=tf.int32)[:, None]
    rows, cols = tf.range(h)[None, :], tf.range(w)[None, :]
    in_rows = (rows >= top) & (rows < top + side)  # (B, H)
    in_cols = (cols >= left) & (cols < left + side)  # (B, W)
    square = in_rows[:, :, None, None] & in_cols[:, None, :, None]  # (B, H, W, 1)
    return tf.where(square, tf.cast(128, images.dtype), images)


AUGMENTATIONS = {"flip": flip, "shift": shift, "cutout": cutout}  # setting -> function, in the order applied


def _fold(seed, n: int):
    """A seed of its own for draw ``n`` made from ``seed``: draws from one seed must not repeat each other."""
    return tf.random.experimental.stateless_fold_in(seed, n)


def augment_batch(seed, images, **amounts):
    """Apply each augmentation whose amount is set (``flip=True, shift=2, cutout=0``) to a batch.

    images: tensor of shape (B, H, W, C); seed: int tensor or sequence of shape (2,), the batch's own.
    Each image gets its own random draw. An augmentation not named is not applied.
    """
    unknown = set(amounts) - set(AUGMENTATIONS)
    if unknown:
        raise ValueError(f"unknown augmentation {', '.join(sorted(unknown))}: use {', '.join(AUGMENTATIONS)}")
    seed = tf.cast(seed, tf.int64)
    for n, (name, augment) in enumerate(AUGMENTATIONS.items()):
        if amounts.get(name):
            images = augment(_fold(seed, 100 + n), images, amounts[name])
    return images


def augmented_copies(image: np.ndarray, *, n: int = 8, seed: int, **amounts) -> np.ndarray:
    """n random augmentations of one uint8 image (32, 32, 3): uint8 array of shape (n, 32, 32, 3).

    Made by ``augment_batch``, the very function training applies, so what is
    shown is what the network is trained on; the same seed gives the same copies.
    """
    batch = tf.constant(np.repeat(np.asarray(image)[np.newaxis], n, axis=0))
    return augment_batch([seed, 0], batch, **amounts).numpy()
