"""The numbers each view's "how to read it" quotes: this run's own, computed from plain arrays.

A view of a run (its confusion matrix, per-class scores, training curves) comes
with a sentence or two on how to read it, built from one of these readings, so
the sentence names this run's commonest mistake, its weakest class, its gap
between training and held-out accuracy. Nothing here draws or knows Streamlit.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from .data import CLASS_NAMES

OVERFIT_GAP = 0.05  # training accuracy this far above held-out accuracy at the end: overfitting worth pointing out


def _square(cm) -> np.ndarray:
    cm = np.asarray(cm, dtype=np.int64)
    if cm.shape != (len(CLASS_NAMES), len(CLASS_NAMES)):
        raise ValueError(f"confusion matrix has shape {cm.shape}; expected ({len(CLASS_NAMES)}, {len(CLASS_NAMES)})")
    return cm


@dataclass(frozen=True)
class ConfusionReading:
    """What a confusion matrix of counts says at a glance."""
    tested: int                     # images in the matrix
    right: int                      # on its diagonal: predicted as their true class
    worst: tuple[str, str, int] | None  # the biggest cell off the diagonal: (true, predicted, count); None if none
    worst_of: int                   # images of that true class (0 when there is no mistake)

    @property
    def accuracy(self) -> float:
        return self.right / self.tested if self.tested else 0.0

    @property
    def worst_share(self) -> float:
        """The commonest mistake's count over its true class's images (0 without one)."""
        return self.worst[2] / self.worst_of if self.worst and self.worst_of else 0.0


def read_confusion(cm) -> ConfusionReading:
    """``cm``: (10, 10) counts, rows true classes, columns predicted (as ``Evaluation.confusion()``)."""
    cm = _square(cm)
    off = cm.copy()
    np.fill_diagonal(off, 0)
    t, p = np.unravel_index(int(np.argmax(off)), off.shape)  # ties: the first in class order
    worst = (CLASS_NAMES[t], CLASS_NAMES[p], int(off[t, p])) if off[t, p] > 0 else None
    return ConfusionReading(tested=int(cm.sum()), right=int(np.trace(cm)), worst=worst,
                            worst_of=int(cm[t].sum()) if worst else 0)


@dataclass(frozen=True)
class ClassScores:
    """One class's precision, recall and F1, with the counts they are made of."""
    name: str
    called: int        # images the model predicted as the class: its column of the matrix
    called_right: int  # of those, truly of the class: the diagonal cell
    actual: int        # images truly of the class: its row of the matrix

    @property
    def precision(self) -> float:
        return self.called_right / self.called if self.called else 0.0

    @property
    def recall(self) -> float:
        return self.called_right / self.actual if self.actual else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


def class_scores(cm, c: int) -> ClassScores:
    """Class ``c``'s scores from the (10, 10) counts: the same numbers as scikit-learn's report."""
    cm = _square(cm)
    return ClassScores(CLASS_NAMES[c], called=int(cm[:, c].sum()), called_right=int(cm[c, c]),
                       actual=int(cm[c].sum()))


def weakest_class(cm) -> int:
    """The class with the lowest F1 (ties: the first): the one most worth a worked example."""
    cm = _square(cm)
    present = [c for c in range(len(CLASS_NAMES)) if cm[c].sum() or cm[:, c].sum()] or [0]
    return min(present, key=lambda c: class_scores(cm, c).f1)


@dataclass(frozen=True)
class CurveReading:
    """Where a run's accuracy curves end, and whether they show overfitting."""
    epochs: int               # finished epochs
    train: float | None       # accuracy on the training images in the last epoch
    held_out: float | None    # accuracy on images it did not learn from: the last validation, else the test
    held_out_kind: str | None  # "validation", "test", or None when there is neither
    best_epoch: int | None    # the epoch of the best validation accuracy (None without validation)

    @property
    def gap(self) -> float | None:
        """Training minus held-out accuracy, in [-1, 1]; None when either is missing."""
        return None if self.train is None or self.held_out is None else self.train - self.held_out

    @property
    def overfitting(self) -> bool:
        return self.gap is not None and self.gap > OVERFIT_GAP


def read_curves(history: Sequence[Mapping[str, float]], test_accuracy: float | None = None) -> CurveReading:
    """``history``: one dict per finished epoch ({"accuracy", "val_accuracy", ...}, as history.json keeps it);
    ``test_accuracy``: the run's, used as the held-out figure when no epoch has a validation accuracy."""
    train = [row["accuracy"] for row in history if row.get("accuracy") is not None]
    val = [(row.get("epoch", n), row["val_accuracy"]) for n, row in enumerate(history, start=1)
           if row.get("val_accuracy") is not None]
    if val:
        held_out, kind = val[-1][1], "validation"
    elif test_accuracy is not None:
        held_out, kind = test_accuracy, "test"
    else:
        held_out, kind = None, None
    best = max(val, key=lambda pair: pair[1])[0] if val else None
    return CurveReading(epochs=len(history), train=float(train[-1]) if train else None,
                        held_out=None if held_out is None else float(held_out), held_out_kind=kind,
                        best_epoch=best)
