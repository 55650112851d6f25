"""The Keras callbacks one training runs with: progress and control, lookahead, TensorBoard logs.

Progress leaves the engine only through a listener passed in (any callable
taking one dict), so a page, a command-line progress bar or a test can watch.
"""
from __future__ import annotations

import importlib.util
import math
import time
from collections.abc import Callable
from pathlib import Path

import keras
import numpy as np

from .recipes import LOOKAHEAD_DECAY, LOOKAHEAD_EVERY

Listener = Callable[[dict], None]
PAUSE_POLL_SECONDS = 0.25  # how often a paused training asks whether to go on


class Monitor(keras.callbacks.Callback):
    """Drives and reports one training.

    Before each step it sets the learning rate to ``schedule(step)`` times a
    scale, 1 until the learning rate is changed mid-run. After each batch it
    tells ``listener`` {"event": "batch", "epoch", "batch", "step", "loss",
    "accuracy", "lr"} (this batch's own loss and accuracy), then obeys
    ``requests()`` (a callable returning live.Requests, or None): a new learning
    rate from the next batch on (the schedule goes on, scaled so that it gives
    that rate now; told as {"event": "lr", "step", "epoch", "after_epochs",
    "from", "to"}), a pause (told as {"event": "paused"}, then {"event":
    "resumed", "seconds"}), a stop after this batch. It also stops on a NaN or infinite loss, leaving the
    reason in ``.diverged``. After each complete epoch it validates on
    ``validation`` (a dataset, or None), calls ``on_epoch(row, model)`` (to
    save it) and then tells ``listener`` {"event": "epoch", "epoch", "loss",
    "accuracy", "val_loss", "val_accuracy", "lr"}, with "lr_changes" (the
    epoch's changes) and "lr_scale" once the rate was changed. An epoch cut
    short by a stop is not reported: it is not a finished epoch.
    """

    def __init__(self, listener: Listener, *, steps_per_epoch: int, requests: Callable | None = None,
                 schedule: Callable[[int], float] | None = None, validation=None,
                 on_epoch: Callable[[dict, object], None] | None = None, lr_scale: float = 1.0):
        super().__init__()
        self.listener, self.steps_per_epoch, self.requests = listener, steps_per_epoch, requests
        self.schedule, self.validation, self.on_epoch = schedule, validation, on_epoch
        self.diverged = None
        self.epoch = 0
        self.batches = 0
        self.lr_scale = lr_scale           # the schedule's factor since a change of learning rate mid-run
        self.paused_seconds = 0.0          # time spent paused: not training time
        self._changes, self._obeyed = [], 0
        self._prev = (0.0, 0.0)

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch, self.batches, self._prev, self._changes = epoch + 1, 0, (0.0, 0.0), []

    def on_train_batch_begin(self, batch, logs=None):
        if self.schedule is not None:
            self.model.optimizer.learning_rate.assign(self.schedule(self._step(batch)) * self.lr_scale)

    def _step(self, batch):
        return (self.epoch - 1) * self.steps_per_epoch + batch

    def on_train_batch_end(self, batch, logs=None):
        n = self.batches = batch + 1
        mean_loss, mean_acc = float(logs["loss"]), float(logs["accuracy"])
        # Keras reports running means over the epoch; recover this batch's own values
        loss = n * mean_loss - batch * self._prev[0]
        acc = min(1.0, max(0.0, n * mean_acc - batch * self._prev[1]))
        self._prev = (mean_loss, mean_acc)
        self.listener({"event": "batch", "epoch": self.epoch, "batch": n, "step": self._step(batch) + 1,
                       "loss": loss, "accuracy": acc, "lr": self._lr()})
        if not math.isfinite(mean_loss):
            self.diverged = (f"the loss became {mean_loss} at epoch {self.epoch}, batch {n}: "
                             f"training diverged. Try a smaller learning rate.")
            self.model.stop_training = True
        elif self.requests is not None:
            self._obey(self.requests())

    def _obey(self, asked) -> None:
        """Do what was asked after this batch: a new learning rate, a pause until asked to go on, a stop."""
        self._new_rate(asked)
        if asked.pause and not asked.stop:
            self.listener({"event": "paused"})
            started = time.monotonic()
            while asked.pause and not asked.stop:
                time.sleep(PAUSE_POLL_SECONDS)
                asked = self.requests()
                self._new_rate(asked)  # asked while paused: in force when it goes on
            self.paused_seconds += (paused := time.monotonic() - started)
            self.listener({"event": "resumed", "seconds": paused})
        if asked.stop:
            self.model.stop_training = True

    def _new_rate(self, asked) -> None:
        if asked.learning_rate is None or asked.asked_at == self._obeyed:
            return
        self._obeyed, old, new = asked.asked_at, self._lr(), asked.learning_rate
        step = self._step(self.batches)  # the next step's number: the first with the new rate
        planned = self.schedule(step) if self.schedule is not None else old / self.lr_scale
        self.lr_scale = new / planned if planned > 0 else self.lr_scale
        self.model.optimizer.learning_rate.assign(new)
        change = {"step": step, "epoch": self.epoch, "after_epochs": step / self.steps_per_epoch,
                  "from": old, "to": new}
        self._changes.append(change)
        self.listener({"event": "lr", **change})

    def on_epoch_end(self, epoch, logs=None):
        if self.diverged or self.batches < self.steps_per_epoch:
            return
        row = {"epoch": epoch + 1, "loss": float(logs["loss"]), "accuracy": float(logs["accuracy"])}
        if self.validation is not None:
            val = self.model.evaluate(self.validation, verbose=0, return_dict=True)
            row.update(val_loss=float(val["loss"]), val_accuracy=float(val["accuracy"]))
        row["lr"] = self._lr()
        if self._changes:
            row["lr_changes"] = self._changes
        if self.lr_scale != 1.0:
            row["lr_scale"] = self.lr_scale  # a resumed run goes on with it
        if self.on_epoch is not None:
            self.on_epoch(row, self.model)
        self.listener({"event": "epoch", **row})

    def _lr(self):
        return float(keras.ops.convert_to_numpy(self.model.optimizer.learning_rate))


class Lookahead(keras.callbacks.Callback):
    """Averages the weights along the way (airbench's "lookahead").

    Every ``every`` optimizer steps the slow copy moves towards the weights,
    slow = d * slow + (1 - d) * weights, and the weights are set to it. The
    pull d grows as (step / total_steps) ** 3 up to ``decay``: nothing early,
    when the weights should move fast, and a strong average near the end,
    which smooths away the noise of the last steps. The last step updates
    too, so training ends on the slow copy. Batch-norm statistics are averaged too.
    """

    def __init__(self, total_steps: int, *, every: int = LOOKAHEAD_EVERY, decay: float = LOOKAHEAD_DECAY):
        super().__init__()
        self.total_steps, self.every, self.decay = total_steps, every, decay

    def on_train_begin(self, logs=None):
        # from a NumPy copy: a Variable made from another's value can share its storage
        self.pairs = [(v, keras.Variable(np.array(v.numpy()), trainable=False, name="slow"))
                      for v in self.model.weights if "float" in str(v.dtype)]

    def on_train_batch_end(self, batch, logs=None):
        step = int(self.model.optimizer.iterations.numpy())
        if step % self.every and step < self.total_steps:
            return
        d = self.decay * min(1.0, step / self.total_steps) ** 3
        for weight, slow in self.pairs:
            slow.assign(d * slow.value + (1 - d) * weight.value)
            weight.assign(slow.value)


def tensorboard_logger(log_dir) -> Callable[[dict], None]:
    """A function that logs one finished epoch's row (as ``Monitor`` makes it) for TensorBoard.

    Writes epoch_loss, epoch_accuracy and epoch_learning_rate to log_dir/train
    and epoch_loss, epoch_accuracy to log_dir/validation, the names and layout of
    keras.callbacks.TensorBoard, at step = the epoch number (1-based, as in the
    app's charts), so TensorBoard draws train and validation on one chart.

    Why not the stock callback: validation happens inside ``Monitor``, after
    Keras has assembled the epoch's logs, so the callback never sees it; and the
    callback logs an epoch cut short by a stop, which a resumed run then trains
    and logs again. Logged from here, the logs hold exactly the run's history.
    Without the tensorboard package (tf.summary needs it) nothing is written.
    """
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
