"""The training loop's pieces: the run configuration, the tf.data pipeline with
batch augmentation, the learning-rate schedule, and the progress callback.

Progress leaves the engine only through a listener passed in (any callable
taking one dict), so a page, a command-line progress bar or a test can watch.
"""
from __future__ import annotations

import dataclasses
import math
import threading
from dataclasses import dataclass
from typing import Callable

import numpy as np

from . import models
from .data import CLASS_NAMES, normalize

NUM_CLASSES = len(CLASS_NAMES)
OPTIMIZERS = ("adam", "adamw", "sgd", "nesterov")
SCHEDULES = ("constant", "cosine", "warmup_linear", "step")
PRECISIONS = ("auto", "float32", "mixed_bfloat16")
MAX_SHIFT, MAX_CUTOUT = 8, 16  # pixels: the widest translation and the largest cut-out square a config may ask for

Listener = Callable[[dict], None]


@dataclass(frozen=True)
class TrainConfig:
    """Everything a run needs, so that it can be replayed from its config.json."""
    preset: str = models.DEFAULT_PRESET  # the preset the spec came from; "custom" once edited
    spec: tuple = ()                 # the architecture: a tuple of layer dicts (see models.py); () = the preset's
    epochs: int = 8                  # passes over the training images
    batch_size: int = 256            # images per optimizer step
    optimizer: str = "adam"          # adam | adamw | sgd (momentum 0.9) | nesterov (SGD, Nesterov momentum 0.9)
    learning_rate: float = 1e-3      # peak learning rate per step, whatever the batch size
    schedule: str = "constant"       # constant | cosine | warmup_linear (up, then linearly down to 0) | step (/10 at 50%, 75%)
    warmup_epochs: float = 0.0       # epochs of linear warm-up from 0 (cosine and warmup_linear)
    weight_decay: float = 0.0        # decoupled weight decay, per step, scaled by the learning rate
    label_smoothing: float = 0.0     # share of each target spread evenly over all 10 classes
    lookahead: bool = False          # every 5 steps pull the weights towards a slow average of them, harder at the end
    flip: bool = False               # augment: mirror half the images left-right
    shift: int = 0                   # augment: translate by up to this many pixels (reflect padding)
    cutout: int = 0                  # augment: grey out a random square this many pixels a side in each image (0: none)
    validation_split: float = 0.1    # share of the training images held out to validate each epoch
    subset: int | None = None        # train on this many of the 50,000 training images (None: all)
    test_subset: int | None = None   # evaluate on the first N of the 10,000 test images (None: all)
    tta_flip: bool = False           # test-time augmentation: average the image's and its mirror's predictions
    tta_shift: bool = False          # test-time augmentation: also average over copies shifted 1 pixel diagonally
    seed: int = 0                    # seeds the split, the initial weights and the augmentation
    precision: str = "auto"          # float32 | mixed_bfloat16 | auto (bfloat16 where the CPU has AVX512-BF16 or AMX)

    def __post_init__(self):
        spec = self.spec or models.preset(self.preset).spec
        object.__setattr__(self, "spec", tuple(dict(layer) for layer in spec))
        problems = []
        if self.epochs < 1:
            problems.append("epochs must be at least 1")
        if self.batch_size < 1:
            problems.append("batch size must be at least 1")
        if self.optimizer not in OPTIMIZERS:
            problems.append(f"optimizer is one of {', '.join(OPTIMIZERS)}")
        if self.schedule not in SCHEDULES:
            problems.append(f"schedule is one of {', '.join(SCHEDULES)}")
        if self.precision not in PRECISIONS:
            problems.append(f"precision is one of {', '.join(PRECISIONS)}")
        if not (self.learning_rate > 0 and math.isfinite(self.learning_rate)):
            problems.append("learning rate must be a positive number")
        if not 0 <= self.validation_split < 1:
            problems.append("validation split must be in [0, 1)")
        if not 0 <= self.label_smoothing < 1:
            problems.append("label smoothing must be in [0, 1)")
        if self.subset is not None and self.subset < 10:
            problems.append("the training subset needs at least 10 images")
        if not 0 <= self.shift <= MAX_SHIFT:
            problems.append(f"shift is 0 to {MAX_SHIFT} pixels")
        if not 0 <= self.cutout <= MAX_CUTOUT:
            problems.append(f"cutout is 0 to {MAX_CUTOUT} pixels")
        if problems:
            raise ValueError("; ".join(problems))

    @classmethod
    def for_preset(cls, key: str, **overrides) -> "TrainConfig":
        """The preset's architecture with its tutorial's training settings, then the overrides."""
        p = models.preset(key)
        return cls(**{"preset": key, "spec": p.spec, **p.train, **overrides})

    def to_dict(self) -> dict:
        d = dataclasses.asdict(self)
        d["spec"] = [dict(layer) for layer in self.spec]
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "TrainConfig":
        known = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: (tuple(v) if k == "spec" else v) for k, v in d.items() if k in known})

    def replace(self, **changes) -> "TrainConfig":
        return dataclasses.replace(self, **changes)


def cpu_has_bf16() -> bool:
    """True where the CPU has native bfloat16 matrix instructions (AVX512-BF16 or AMX)."""
    try:
        with open("/proc/cpuinfo") as f:
            flags = next((line for line in f if line.startswith("flags")), "")
    except OSError:
        return False
    return any(flag in flags.split() for flag in ("avx512_bf16", "amx_bf16"))


def resolve_precision(precision: str) -> str:
    if precision == "auto":
        return "mixed_bfloat16" if cpu_has_bf16() else "float32"
    return precision


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
    """
    import tensorflow as tf
    ds = tf.data.Dataset.from_tensor_slices((images, labels))
    if training:
        ds = ds.shuffle(len(images), seed=config.seed, reshuffle_each_iteration=True)
    drop = training and len(images) >= config.batch_size
    ds = ds.batch(config.batch_size, drop_remainder=drop)
    augment = training and (config.flip or config.shift or config.cutout)
    generator = tf.random.Generator.from_seed(config.seed) if augment else None

    def prepare(x, y):
        if augment:
            x = augment_batch(generator, x, flip=config.flip, shift=config.shift, cutout=config.cutout)
        return normalize(x), tf.one_hot(y, NUM_CLASSES)

    return ds.map(prepare, num_parallel_calls=tf.data.AUTOTUNE).prefetch(tf.data.AUTOTUNE)


def augment_batch(generator, images, *, flip: bool, shift: int, cutout: int = 0):
    """Randomly mirror, translate and cut out a whole batch in graph ops.

    images: tensor of shape (B, H, W, C); generator: a tf.random.Generator.
    Each image gets its own flip and its own (dy, dx) in [-shift, shift], cut
    from a reflect-padded copy, so no black borders appear. With ``cutout``,
    each image then has one square of that side, placed at random wholly
    inside it, painted mid-grey (DeVries & Taylor's Cutout, as airbench96 and
    David Page's ResNet-9 use it): the net must also recognise things in part.
    """
    import tensorflow as tf
    b, h, w = tf.shape(images)[0], images.shape[1], images.shape[2]
    if flip:
        mirror = generator.uniform([b]) < 0.5
        images = tf.where(mirror[:, None, None, None], tf.reverse(images, axis=[2]), images)
    if shift:
        padded = tf.pad(images, [[0, 0], [shift, shift], [shift, shift], [0, 0]], mode="REFLECT")
        dy = generator.uniform([b], 0, 2 * shift + 1, dtype=tf.int32)
        dx = generator.uniform([b], 0, 2 * shift + 1, dtype=tf.int32)
        images = tf.gather(padded, dy[:, None] + tf.range(h)[None, :], axis=1, batch_dims=1)  # (B, H, W+2s, C)
        images = tf.gather(images, dx[:, None] + tf.range(w)[None, :], axis=2, batch_dims=1)  # (B, H, W, C)
    if cutout:
        top = generator.uniform([b], 0, h - cutout + 1, dtype=tf.int32)[:, None]
        left = generator.uniform([b], 0, w - cutout + 1, dtype=tf.int32)[:, None]
        rows, cols = tf.range(h)[None, :], tf.range(w)[None, :]
        in_rows = (rows >= top) & (rows < top + cutout)  # (B, H)
        in_cols = (cols >= left) & (cols < left + cutout)  # (B, W)
        square = in_rows[:, :, None, None] & in_cols[:, None, :, None]  # (B, H, W, 1)
        images = tf.where(square, tf.cast(128, images.dtype), images)
    return images


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
    return keras.optimizers.SGD(momentum=0.9, nesterov=config.optimizer == "nesterov", **common)


def compile_model(model, config: TrainConfig) -> None:
    import keras
    model.compile(optimizer=make_optimizer(config),
                  loss=keras.losses.CategoricalCrossentropy(label_smoothing=config.label_smoothing),
                  metrics=[keras.metrics.CategoricalAccuracy(name="accuracy")])


def build_model(config: TrainConfig, x_train: np.ndarray | None = None):
    """The config's network, compiled, its conv blocks started as identities and any whitening
    layer fitted to ``x_train``."""
    model = models.build(config.spec, precision=resolve_precision(config.precision))
    models.init_identity(model)
    if x_train is not None and len(x_train):
        sample = np.random.default_rng(config.seed).permutation(len(x_train))[:5000]
        models.fit_whitening(model, normalize(np.asarray(x_train[np.sort(sample)])))
    compile_model(model, config)
    return model


def monitor(listener: Listener, *, steps_per_epoch: int, stop_event: threading.Event | None = None,
            schedule: Callable[[int], float] | None = None, validation=None,
            on_epoch: Callable[[dict, object], None] | None = None):
    """A Keras callback that drives and reports one training.

    Before each step it sets the learning rate to ``schedule(step)``. After each
    batch it tells ``listener`` {"event": "batch", "epoch", "batch", "step",
    "loss", "accuracy", "lr"} (this batch's own loss and accuracy); it stops
    training after the current batch once ``stop_event`` is set, and on a NaN or
    infinite loss, leaving the reason in ``.diverged``. After each complete
    epoch it validates on ``validation`` (a dataset, or None), calls
    ``on_epoch(row, model)`` (to save it) and then tells ``listener``
    {"event": "epoch", "epoch", "loss", "accuracy", "val_loss", "val_accuracy", "lr"}.
    An epoch cut short by a stop is not reported: it is not a finished epoch.
    """
    import keras

    class Monitor(keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.diverged = None
            self.epoch = 0
            self.batches = 0
            self._prev = (0.0, 0.0)

        def on_epoch_begin(self, epoch, logs=None):
            self.epoch, self.batches, self._prev = epoch + 1, 0, (0.0, 0.0)

        def on_train_batch_begin(self, batch, logs=None):
            if schedule is not None:
                self.model.optimizer.learning_rate.assign(schedule(self._step(batch)))

        def _step(self, batch):
            return (self.epoch - 1) * steps_per_epoch + batch

        def on_train_batch_end(self, batch, logs=None):
            n = self.batches = batch + 1
            mean_loss, mean_acc = float(logs["loss"]), float(logs["accuracy"])
            # Keras reports running means over the epoch; recover this batch's own values
            loss = n * mean_loss - batch * self._prev[0]
            acc = min(1.0, max(0.0, n * mean_acc - batch * self._prev[1]))
            self._prev = (mean_loss, mean_acc)
            listener({"event": "batch", "epoch": self.epoch, "batch": n, "step": self._step(batch) + 1,
                      "loss": loss, "accuracy": acc, "lr": self._lr()})
            if not math.isfinite(mean_loss):
                self.diverged = (f"the loss became {mean_loss} at epoch {self.epoch}, batch {n}: "
                                 f"training diverged. Try a smaller learning rate.")
                self.model.stop_training = True
            elif stop_event is not None and stop_event.is_set():
                self.model.stop_training = True

        def on_epoch_end(self, epoch, logs=None):
            if self.diverged or self.batches < steps_per_epoch:
                return
            row = {"epoch": epoch + 1, "loss": float(logs["loss"]), "accuracy": float(logs["accuracy"])}
            if validation is not None:
                val = self.model.evaluate(validation, verbose=0, return_dict=True)
                row.update(val_loss=float(val["loss"]), val_accuracy=float(val["accuracy"]))
            row["lr"] = self._lr()
            if on_epoch is not None:
                on_epoch(row, self.model)
            listener({"event": "epoch", **row})

        def _lr(self):
            return float(keras.ops.convert_to_numpy(self.model.optimizer.learning_rate))

    return Monitor()



def lookahead(total_steps: int, *, every: int = 5, decay: float = 0.95 ** 5):
    """A Keras callback that averages the weights along the way (airbench's "lookahead").

    Every ``every`` optimizer steps the slow copy moves towards the weights,
    slow = d * slow + (1 - d) * weights, and the weights are set to it. The
    pull d grows as (step / total_steps) ** 3 up to ``decay``: nothing early,
    when the weights should move fast, and a strong average near the end,
    which smooths away the noise of the last steps. The last step updates
    too, so training ends on the slow copy. Batch-norm statistics are averaged too.
    """
    import keras

    class Lookahead(keras.callbacks.Callback):
        def on_train_begin(self, logs=None):
            # from a NumPy copy: a Variable made from another's value can share its storage
            self.pairs = [(v, keras.Variable(np.array(v.numpy()), trainable=False, name="slow"))
                          for v in self.model.weights if "float" in str(v.dtype)]

        def on_train_batch_end(self, batch, logs=None):
            step = int(self.model.optimizer.iterations.numpy())
            if step % every and step < total_steps:
                return
            d = decay * min(1.0, step / total_steps) ** 3
            for weight, slow in self.pairs:
                slow.assign(d * slow.value + (1 - d) * weight.value)
                weight.assign(slow.value)

    return Lookahead()


def tensorboard_logger(log_dir) -> Callable[[dict], None]:
    """A function that logs one finished epoch's row (as ``monitor()`` makes it) for TensorBoard.

    Writes epoch_loss, epoch_accuracy and epoch_learning_rate to log_dir/train
    and epoch_loss, epoch_accuracy to log_dir/validation, the names and layout of
    keras.callbacks.TensorBoard, at step = the epoch number (1-based, as in the
    app's charts), so TensorBoard draws train and validation on one chart.

    Why not the stock callback: validation happens inside ``monitor()``, after
    Keras has assembled the epoch's logs, so the callback never sees it; and the
    callback logs an epoch cut short by a stop, which a resumed run then trains
    and logs again. Logged from here, the logs hold exactly the run's history.
    Without the tensorboard package (tf.summary needs it) nothing is written.
    """
    import importlib.util
    from pathlib import Path
    if importlib.util.find_spec("tensorboard") is None:
        return lambda row: None
    import tensorflow as tf
    writers = {}

    def write(split: str, scalars: dict, step: int) -> None:
        if split not in writers:
            writers[split] = tf.summary.create_file_writer(str(Path(log_dir) / split))
        with writers[split].as_default():
            for name, value in scalars.items():
                tf.summary.scalar(f"epoch_{name}", value, step=step)
        writers[split].flush()  # on disk now: the app may stop at any time

    def log_epoch(row: dict) -> None:
        write("train", {"loss": row["loss"], "accuracy": row["accuracy"], "learning_rate": row["lr"]}, row["epoch"])
        if "val_loss" in row:
            write("validation", {"loss": row["val_loss"], "accuracy": row["val_accuracy"]}, row["epoch"])

    return log_epoch
