"""The training loop's pieces: the run's images, the tf.data pipeline, the learning-rate schedule,
the optimizer and the compiled model. The callbacks that watch a training are in callbacks.py.

TensorFlow is imported inside these functions, so that reading a run's
configuration (``settings``) or listing runs does not load it.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from . import models
from .data import NUM_CLASSES, normalize
from .recipes import MUON_LR_RATIO, SGD_MOMENTUM, WHITEN_IMAGES
from .settings import TrainConfig, resolve_precision

# --- data -------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Split:
    """The images of one run. x_*: uint8 (N, 32, 32, 3); y_*: int64 (N,)."""
    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray


def split(data, config: TrainConfig) -> Split:
    """Draw the run's training subset and validation hold-out, by the config's seed."""
    order = np.random.default_rng(config.seed).permutation(len(data.y_train))
    if config.subset:
        order = order[:config.subset]
    n_val = int(round(len(order) * config.validation_split))
    train_idx, val_idx = np.sort(order[n_val:]), np.sort(order[:n_val])
    n_test = config.test_subset or len(data.y_test)
    return Split(np.asarray(data.x_train[train_idx]), np.asarray(data.y_train[train_idx]),
                 np.asarray(data.x_train[val_idx]), np.asarray(data.y_train[val_idx]),
                 np.asarray(data.x_test[:n_test]), np.asarray(data.y_test[:n_test]))


def make_dataset(images: np.ndarray, labels: np.ndarray, config: TrainConfig, *, training: bool):
    """A tf.data pipeline: (normalised float32 images, one-hot labels) batches.

    Training batches are shuffled, augmented as the config says and all full
    (so per-batch figures are comparable); evaluation batches keep the order.
    What is shuffled is the images' numbers, and each batch is then gathered
    whole: a shuffle buffer of the images themselves copied every image one by
    one (150 MB of them each epoch). The pipeline runs two batches at a time
    on fixed threads, without tf.data's autotuning: on 2 cores, deleting an
    iterator then waited for the autotuner's thread, 8-18 s in half the runs
    (BENCHMARKS.md).
    """
    import tensorflow as tf

    from .augment import augment_batch
    pixels, classes = tf.convert_to_tensor(images), tf.convert_to_tensor(labels)
    ds = tf.data.Dataset.range(len(images))
    if training:
        ds = ds.shuffle(len(images), seed=config.seed, reshuffle_each_iteration=True)
    drop = training and len(images) >= config.batch_size
    ds = ds.batch(config.batch_size, drop_remainder=drop)
    amounts = config.augmentation() if training else {}
    if any(amounts.values()):
        # one seed per batch, drawn from the run's seed, new each epoch: the same run draws the same again
        seeds = tf.data.Dataset.random(seed=config.seed, rerandomize_each_iteration=True).batch(2)
        ds = tf.data.Dataset.zip(ds, seeds)

        def prepare(numbers, seed):
            x = augment_batch(seed, tf.gather(pixels, numbers), **amounts)
            return normalize(x), tf.one_hot(tf.gather(classes, numbers), NUM_CLASSES)
    else:
        def prepare(numbers):
            return normalize(tf.gather(pixels, numbers)), tf.one_hot(tf.gather(classes, numbers), NUM_CLASSES)

    # plain Python control flow only: autograph's conversion would add half a second before the first batch
    prepare = tf.autograph.experimental.do_not_convert(prepare)
    options = tf.data.Options()
    options.autotune.enabled = False
    return ds.map(prepare, num_parallel_calls=2).prefetch(2).with_options(options)


# --- optimisation ---------------------------------------------------------------------------------------

def learning_rate_at(step: int, total_steps: int, steps_per_epoch: int, config: TrainConfig) -> float:
    """The learning rate for optimizer step ``step`` (0-based) of ``total_steps``."""
    peak, warm = config.learning_rate, config.warmup_epochs * steps_per_epoch
    if config.schedule == "constant":
        return peak
    if config.schedule == "step":
        return peak * (0.1 if step >= 0.5 * total_steps else 1) * (0.1 if step >= 0.75 * total_steps else 1)
    if warm and step < warm:
        return peak * (step + 1) / warm
    progress = (step - warm) / max(1.0, total_steps - warm)
    if config.schedule == "cosine":
        return peak * 0.5 * (1 + math.cos(math.pi * min(1.0, progress)))
    return peak * max(0.0, 1 - progress)  # warmup_linear


def make_optimizer(config: TrainConfig):
    import keras
    common = {"learning_rate": config.learning_rate, "weight_decay": config.weight_decay or None}
    if config.optimizer == "adam":
        return keras.optimizers.Adam(**common)
    if config.optimizer == "adamw":
        return keras.optimizers.AdamW(**{**common, "weight_decay": config.weight_decay or 0.004})
    if config.optimizer == "muon":
        from .muon import MuonSGD
        return MuonSGD(muon_ratio=MUON_LR_RATIO, momentum=SGD_MOMENTUM, **common)
    return keras.optimizers.SGD(momentum=SGD_MOMENTUM, nesterov=config.optimizer == "nesterov", **common)


def compile_model(model, config: TrainConfig) -> None:
    import keras
    model.compile(optimizer=make_optimizer(config),
                  loss=keras.losses.CategoricalCrossentropy(label_smoothing=config.label_smoothing),
                  metrics=[keras.metrics.CategoricalAccuracy(name="accuracy")])


def build_model(config: TrainConfig, x_train: np.ndarray | None = None):
    """The config's network, compiled, its conv blocks started as identities and any whitening
    layer fitted to ``x_train``."""
    model = models.build(config.spec, precision=resolve_precision(config.precision))
    if config.identity_start:
        models.init_identity(model)
    if x_train is not None and len(x_train):
        sample = np.random.default_rng(config.seed).permutation(len(x_train))[:WHITEN_IMAGES]
        models.fit_whitening(model, normalize(np.asarray(x_train[np.sort(sample)])))
    compile_model(model, config)
    return model
