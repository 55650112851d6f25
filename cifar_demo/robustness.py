"""Robustness: how test accuracy falls as the images are spoiled, and the adversarial example of one image.

Seven corruptions, each at LEVELS strengths from none to strong: noise, blur, brightness, contrast,
rotation, shift and occlusion; each takes uint8 images (N, 32, 32, 3) and gives uint8 images back.
``accuracy_curves`` tests a model on every level of each. ``fgsm`` finds the smallest fast-gradient-sign
step, in whole pixel levels (1/255 each), that changes the model's answer on one image.
"""
from __future__ import annotations

import weakref
from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from .data import as_batch, normalize
from .inference import as_probabilities, predict_proba

GREY = 128


def _noise(images, sigma):
    rng = np.random.default_rng(int(sigma))
    return images.astype(np.float32) + rng.normal(0.0, sigma, images.shape).astype(np.float32)


def _blur(images, sigma):
    return ndimage.gaussian_filter(images.astype(np.float32), sigma=(0, sigma, sigma, 0), mode="reflect")


def _contrast(images, factor):
    x = images.astype(np.float32)
    mean = x.mean(axis=(1, 2, 3), keepdims=True)
    return mean + (x - mean) * factor


def _rotate(images, degrees):
    return ndimage.rotate(images.astype(np.float32), degrees, axes=(2, 1), reshape=False, order=1, mode="reflect")


def _shift(images, pixels):
    p = int(pixels)
    padded = np.pad(images, ((0, 0), (p, p), (p, p), (0, 0)), mode="reflect")
    return padded[:, :images.shape[1], :images.shape[2]]  # moved p pixels down and right


def _occlude(images, side):
    out = images.copy()
    s = int(side)
    top = (images.shape[1] - s) // 2
    out[:, top:top + s, top:top + s] = GREY
    return out


@dataclass(frozen=True)
class Corruption:
    name: str          # for people: "Noise"
    levels: tuple      # from none (first) to strongest (last), in the corruption's own unit
    unit: str          # how one level reads: "{} px" -> "2 px"
    about: str         # what it does, in a sentence
    apply: object      # (uint8 images, level) -> images (any dtype; clipped and rounded by ``corrupt``)


CORRUPTIONS = {c.name: c for c in [
    Corruption("Noise", (0, 8, 16, 32, 64), "noise σ {}/255", "adds random grain to every pixel", _noise),
    Corruption("Blur", (0, 0.5, 1.0, 1.5, 2.0), "blur σ {} px", "smooths the image, as a lens out of focus", _blur),
    Corruption("Brightness", (0, 40, 80, 120, 160), "+{} brightness", "adds the same amount to every pixel",
               lambda x, v: x.astype(np.float32) + v),
    Corruption("Contrast", (1.0, 0.7, 0.5, 0.3, 0.15), "contrast ×{}", "pulls every pixel towards the image's mean",
               _contrast),
    Corruption("Rotation", (0, 10, 20, 30, 45), "rotated {}°", "turns the image about its centre", _rotate),
    Corruption("Shift", (0, 2, 4, 6, 8), "moved {} px", "moves the image down and right, the edge mirrored", _shift),
    Corruption("Occlusion", (0, 4, 8, 12, 16), "{0}×{0} grey square", "covers the middle with a grey square",
               _occlude),
]}
LEVELS = 5


def corrupt(images: np.ndarray, name: str, level) -> np.ndarray:
    """The uint8 images (N, 32, 32, 3) spoiled by corruption ``name`` at ``level`` (its own unit)."""
    images, _ = as_batch(images)
    out = CORRUPTIONS[name].apply(images, level)
    return np.clip(np.round(out), 0, 255).astype(np.uint8)


def level_label(name: str, level) -> str:
    """'rotated 20°', or 'clean' for the level that changes nothing."""
    c = CORRUPTIONS[name]
    return "clean" if level == c.levels[0] else c.unit.format(f"{level:g}")


def accuracy_curves(model, images: np.ndarray, labels: np.ndarray, *, names=None,
                    predict=predict_proba) -> dict[str, np.ndarray]:
    """{corruption: float (LEVELS,) accuracies, the first on the clean images}, for every corruption
    (or those in ``names``). The clean images are predicted once; each other level is one batch."""
    labels = np.asarray(labels).reshape(-1)
    clean = float(np.mean(predict(model, images).argmax(axis=1) == labels))
    curves = {}
    for name in names or CORRUPTIONS:
        levels = CORRUPTIONS[name].levels[1:]
        spoiled = np.concatenate([corrupt(images, name, level) for level in levels])
        right = (predict(model, spoiled).argmax(axis=1) == np.tile(labels, len(levels))).reshape(len(levels), -1)
        curves[name] = np.concatenate([[clean], right.mean(axis=1)])
    return curves


# --- the adversarial example ---------------------------------------------------------------------------

MAX_STEP = 32  # pixel levels (of 255): the largest FGSM step tried; 32/255 is clearly visible
_scores: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # model -> its scores function


@dataclass(frozen=True)
class Attack:
    """The smallest FGSM step that changes the model's answer on one image, or what the largest did."""
    original: np.ndarray      # uint8 (32, 32, 3)
    result: np.ndarray        # uint8 (32, 32, 3): the image after the step (the largest tried if none worked)
    direction: np.ndarray     # int8 (32, 32, 3): the sign of the loss's gradient at each pixel: -1, 0 or +1
    step: int                 # pixel levels every pixel moved (at most): the perturbation's largest size
    changed: bool             # whether that step changed the answer
    before: np.ndarray        # float32 (10,): the probabilities for the original
    after: np.ndarray         # float32 (10,): the probabilities for the result

    @property
    def perturbation(self) -> np.ndarray:
        """int16 (32, 32, 3): result - original, each value within [-step, step]."""
        return self.result.astype(np.int16) - self.original.astype(np.int16)


def _score_function(model):
    """x -> the model's scores before its final softmax (logits), or its outputs when it ends otherwise."""
    import keras
    import tensorflow as tf
    if model not in _scores:
        last = model.layers[-1]
        softmax = getattr(getattr(last, "activation", None), "__name__", "") == "softmax"
        if softmax and isinstance(last, keras.layers.Activation):
            sub = keras.Model(model.inputs[0], last.input)
            _scores[model] = lambda x: sub(x, training=False)
        elif softmax and isinstance(last, keras.layers.Dense):
            sub = keras.Model(model.inputs[0], last.input)
            _scores[model] = lambda x: (tf.matmul(tf.cast(sub(x, training=False), last.kernel.dtype), last.kernel)
                                        + (last.bias if last.use_bias else 0.0))
        else:
            _scores[model] = lambda x: tf.math.log(tf.cast(model(x, training=False), tf.float32) + 1e-12)
    return _scores[model]


def gradient_sign(model, image: np.ndarray, label: int) -> np.ndarray:
    """int8 (32, 32, 3): the sign of the gradient of the loss for ``label`` with respect to each pixel.

    The loss is the cross-entropy of the scores before the softmax (tf.GradientTape on the input):
    moving every pixel a little in this direction raises the loss, and so lowers the label's probability.
    """
    import tensorflow as tf
    x = tf.constant(normalize(as_batch(image)[0]))
    with tf.GradientTape() as tape:
        tape.watch(x)
        logits = tf.cast(_score_function(model)(x), tf.float32)
        loss = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=[int(label)], logits=logits)
    return np.sign(tape.gradient(loss, x).numpy()[0]).astype(np.int8)


def fgsm(model, image: np.ndarray, *, max_step: int = MAX_STEP, predict=predict_proba) -> Attack:
    """The fast gradient sign method (Goodfellow et al., 2015) on one uint8 image (32, 32, 3).

    Each step size k = 1..max_step moves every pixel k levels (k/255 of its range) along the gradient's sign,
    clipped to 0..255; all sizes are tried in one batch and the smallest that changes the predicted class
    is kept. Steps in whole levels keep the result a real 8-bit image.
    """
    image = np.asarray(image, np.uint8)
    before = as_probabilities(predict(model, image[np.newaxis]))[0]
    label = int(before.argmax())
    direction = gradient_sign(model, image, label)
    steps = np.arange(1, max_step + 1)
    tried = np.clip(image[np.newaxis].astype(np.int16) + steps[:, None, None, None] * direction, 0, 255)
    tried = tried.astype(np.uint8)
    proba = predict(model, tried)
    moved = np.flatnonzero(proba.argmax(axis=1) != label)
    pick = int(moved[0]) if len(moved) else len(steps) - 1
    return Attack(image, tried[pick], direction, int(steps[pick]), bool(len(moved)), before, proba[pick])
