"""The command line's view of a training under way: Rich's progress bar, a line per finished epoch."""
from __future__ import annotations

import sys

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from . import live, runs


def watch(run: runs.Run, thread, epochs_shown: int = 0) -> int:
    """A progress bar, from the run's folder, until ``thread``'s training ends (Ctrl-C asks it to stop,
    keeping the model); 1 if it failed."""
    with TrainingProgress(epochs_shown) as bar:
        try:
            while thread.is_alive():
                bar.show(live.snapshot(run))
                thread.join(0.5)
        except KeyboardInterrupt:
            bar.say("stopping after this batch (the model trained so far is kept)…")
            live.request_stop(run)
            thread.join()
        snap = live.snapshot(run)
        bar.show(snap)
    if snap.status == runs.FAILED:
        print(f"error: training failed: {snap.error}", file=sys.stderr)
        return 1
    acc = f"{snap.test_accuracy:.2%}" if snap.test_accuracy is not None else "n/a"
    print(f"{snap.status}: run {run.id}, {len(snap.history)} epochs, test accuracy {acc}")
    return 0


class TrainingProgress:
    """Rich's progress bar over the whole training on a terminal (batches, speed, time left, the last
    batch's loss and accuracy), with a line for each finished epoch; elsewhere only those lines."""

    def __init__(self, epochs_shown: int = 0, *, console: Console | None = None):
        self.console = console or Console(stderr=True)
        self.progress = Progress(
            TextColumn("epoch {task.fields[epoch]}"), BarColumn(), MofNCompleteColumn(),
            TextColumn("loss {task.fields[loss]:.3f}  acc {task.fields[accuracy]:.1%}"),
            TextColumn("{task.fields[rate]:,.0f} img/s"), TimeRemainingColumn(),
            console=self.console, disable=not self.console.is_terminal)
        self.task = self.progress.add_task("training", total=None, epoch="", loss=float("nan"),
                                           accuracy=float("nan"), rate=0.0)
        self.epochs_shown = epochs_shown

    def __enter__(self):
        self.progress.start()
        return self

    def __exit__(self, *exc):
        self.progress.stop()

    def say(self, text: str) -> None:
        self.progress.console.print(text, highlight=False, markup=False, soft_wrap=True)

    def show(self, snap) -> None:
        for row in snap.history[self.epochs_shown:]:
            val = f", val accuracy {row['val_accuracy']:.2%}" if "val_accuracy" in row else ""
            self.say(f"epoch {row['epoch']}/{snap.epochs}: loss {row['loss']:.3f}, accuracy {row['accuracy']:.2%}{val}")
        self.epochs_shown = max(self.epochs_shown, len(snap.history))
        if snap.steps_per_epoch:
            last = snap.batches[-1] if snap.batches else {"loss": float("nan"), "accuracy": float("nan")}
            self.progress.update(self.task, total=snap.epochs * snap.steps_per_epoch,
                                 completed=(snap.epoch - 1) * snap.steps_per_epoch + snap.batch,
                                 epoch=f"{snap.epoch}/{snap.epochs}", loss=last["loss"],
                                 accuracy=last["accuracy"], rate=snap.images_per_second)
