"""How a trained model does on labelled images: accuracy, confusion, per-class report, mistakes.

``evaluate`` runs the model once; everything else is derived from the labels
and the predicted probabilities it keeps, with scikit-learn where it already
computes the number. ``save``/``load`` keep those two arrays beside a run, plus a
human-readable ``evaluation.json`` for people (``load`` never reads it back).
"""
from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sklearn.metrics import confusion_matrix, precision_recall_fscore_support

from .data import CLASS_NAMES, NUM_CLASSES
from .files import write_json, write_npz
from .inference import predict_proba
from .recipes import TTA_SHIFT, TTA_SHIFT_WEIGHT

LABELS = list(range(NUM_CLASSES))
SUMMARY_FILE = "evaluation.json"
PREDICTIONS_FILE = "predictions.npz"
MACRO = "macro avg"  # the class name of the report's last row


@dataclass(frozen=True)
class Evaluation:
    """Labels and the model's predicted probabilities for the same N images.

    y_true: int array of shape (N,), class indices 0..9.
    proba: float32 array of shape (N, 10); each row sums to 1.
    """
    y_true: np.ndarray
    proba: np.ndarray

    def __post_init__(self):
        y_true = np.asarray(self.y_true).astype(np.int64).reshape(-1)  # Keras gives labels as (N, 1)
        proba = np.asarray(self.proba, dtype=np.float32)
        if proba.ndim != 2 or proba.shape != (len(y_true), NUM_CLASSES):
            raise ValueError(f"proba has shape {proba.shape}; expected ({len(y_true)}, {NUM_CLASSES}) "
                             f"for {len(y_true)} labels")
        if y_true.size and (y_true.min() < 0 or y_true.max() >= NUM_CLASSES):
            raise ValueError(f"labels must be class indices 0..{NUM_CLASSES - 1}")
        object.__setattr__(self, "y_true", y_true)
        object.__setattr__(self, "proba", proba)

    def __len__(self) -> int:
        return len(self.y_true)

    @property
    def y_pred(self) -> np.ndarray:
        """int array of shape (N,): the most probable class of each image."""
        return self.proba.argmax(axis=1)

    @property
    def confidence(self) -> np.ndarray:
        """float32 array of shape (N,): the probability of the predicted class."""
        return self.proba.max(axis=1)

    @property
    def accuracy(self) -> float:
        return float(np.mean(self.y_pred == self.y_true)) if len(self) else 0.0

    def confusion(self, normalize: bool = False) -> np.ndarray:
        """Array of shape (10, 10): rows are true classes, columns predicted ones.

        Counts (int), or with ``normalize`` each row divided by its class's
        support, so the diagonal is the per-class recall (an empty row stays 0).
        """
        return confusion_matrix(self.y_true, self.y_pred, labels=LABELS,
                                normalize="true" if normalize else None)

    def report(self) -> list[dict]:
        """One row per class, {class, precision, recall, f1, support}, then the macro average."""
        p, r, f, s = precision_recall_fscore_support(self.y_true, self.y_pred, labels=LABELS,
                                                     zero_division=0)
        rows = [_row(name, p[c], r[c], f[c], s[c]) for c, name in enumerate(CLASS_NAMES)]
        rows.append(_row(MACRO, p.mean(), r.mean(), f.mean(), s.sum()))
        return rows

    def mistakes(self, *, true_class: int | str | None = None,
                 pred_class: int | str | None = None) -> np.ndarray:
        """Indices of misclassified images, optionally of one true and/or predicted class.

        Sorted by the model's confidence in its wrong answer, most confident first:
        those are the mistakes worth looking at.
        """
        keep = self.y_pred != self.y_true
        if true_class is not None:
            keep &= self.y_true == class_index(true_class)
        if pred_class is not None:
            keep &= self.y_pred == class_index(pred_class)
        return self._by_confidence(np.flatnonzero(keep))

    def cell(self, true_class: int | str, pred_class: int | str) -> np.ndarray:
        """Indices of the images in one confusion-matrix cell (diagonal too), most confident first."""
        keep = (self.y_true == class_index(true_class)) & (self.y_pred == class_index(pred_class))
        return self._by_confidence(np.flatnonzero(keep))

    def top_k(self, i: int, k: int = 3) -> list[tuple[str, float]]:
        """The k most probable (class name, probability) pairs for image i, best first."""
        order = np.argsort(-self.proba[i], kind="stable")[:k]
        return [(CLASS_NAMES[c], float(self.proba[i, c])) for c in order]

    def most_confused(self, n: int = 5) -> list[tuple[str, str, int]]:
        """The n commonest (true name, predicted name, count) mistakes, biggest first."""
        cm = self.confusion()
        np.fill_diagonal(cm, 0)
        flat = np.argsort(-cm, axis=None, kind="stable")[:n]  # ties keep CLASS_NAMES order
        pairs = [np.unravel_index(j, cm.shape) for j in flat]
        return [(CLASS_NAMES[t], CLASS_NAMES[p], int(cm[t, p])) for t, p in pairs if cm[t, p] > 0]

    def summary(self) -> dict:
        """{accuracy, n, per_class_accuracy: {name: recall or None when the class is absent}}."""
        support = np.bincount(self.y_true, minlength=NUM_CLASSES)
        hits = np.bincount(self.y_true[self.y_pred == self.y_true], minlength=NUM_CLASSES)
        per_class = {name: (float(hits[c] / support[c]) if support[c] else None)
                     for c, name in enumerate(CLASS_NAMES)}
        return {"accuracy": self.accuracy, "n": len(self), "per_class_accuracy": per_class}

    def _by_confidence(self, idx: np.ndarray) -> np.ndarray:
        return idx[np.argsort(-self.confidence[idx], kind="stable")]


def class_index(c: int | str) -> int:
    """A class given by index or by name -> its index."""
    if isinstance(c, str):
        try:
            return CLASS_NAMES.index(c)
        except ValueError:
            raise ValueError(f"unknown class {c!r}: use one of {', '.join(CLASS_NAMES)}") from None
    if not 0 <= int(c) < NUM_CLASSES:
        raise ValueError(f"class index {c} is outside 0..{NUM_CLASSES - 1}")
    return int(c)


def _row(name: str, precision, recall, f1, support) -> dict:
    return {"class": name, "precision": float(precision), "recall": float(recall),
            "f1": float(f1), "support": int(support)}


def evaluate(model, images: np.ndarray, labels: np.ndarray, *, tta_flip: bool = False,
             tta_shift: bool = False, predict=predict_proba) -> Evaluation:
    """Run ``model`` on uint8 images of shape (N, 32, 32, 3) with int labels of shape (N,).

    Test-time augmentation: with ``tta_flip`` the probabilities are averaged
    with those of the mirrored images (CIFAR-10 objects look the same
    mirrored); with ``tta_shift`` the average also takes in copies shifted
    TTA_SHIFT pixels up-left and down-right, weighted TTA_SHIFT_WEIGHT against
    the image itself (airbench's scheme; recipes.py). Each view costs one more
    pass over the images. ``predict(model, images)`` gives the (N, 10)
    probabilities of one view.
    """
    images = np.asarray(images)
    views = [(images, 1.0)]
    if tta_shift:
        views += [(shifted(images, -TTA_SHIFT, -TTA_SHIFT), TTA_SHIFT_WEIGHT),
                  (shifted(images, TTA_SHIFT, TTA_SHIFT), TTA_SHIFT_WEIGHT)]
    if tta_flip:
        views += [(v[:, :, ::-1], w) for v, w in views]
    total = sum(w for _, w in views)
    proba = sum(predict(model, v) * (w / total) for v, w in views).astype(np.float32)
    return Evaluation(np.asarray(labels), proba)


def tta_label(tta_flip: bool, tta_shift: bool) -> str:
    """How a run's test accuracy was measured, for a line of text ('' without test-time augmentation)."""
    views = (2 if tta_flip else 1) * (3 if tta_shift else 1)
    kinds = " and ".join(k for k, on in (("flipped", tta_flip), ("shifted", tta_shift)) if on)
    return f"averaged over {views} views ({kinds})" if views > 1 else ""


def shifted(images: np.ndarray, dy: int, dx: int) -> np.ndarray:
    """The images moved dy pixels down and dx right (negative: up, left), edges filled by reflection."""
    p = max(abs(dy), abs(dx))
    padded = np.pad(images, ((0, 0), (p, p), (p, p), (0, 0)), mode="reflect")
    h, w = images.shape[1:3]
    return padded[:, p - dy:p - dy + h, p - dx:p - dx + w]


def save(evaluation: Evaluation, folder: Path | str) -> None:
    """Write ``predictions.npz`` (the arrays) and ``evaluation.json`` (for people) into folder."""
    folder = Path(folder)
    write_npz(folder / PREDICTIONS_FILE, y_true=evaluation.y_true.astype(np.uint8),
              proba=evaluation.proba.astype(np.float16))  # float16 halves the file; 3 digits suffice
    write_json(folder / SUMMARY_FILE, {
        "summary": evaluation.summary(),
        "class_names": list(CLASS_NAMES),
        "confusion": evaluation.confusion().tolist(),  # rows true, columns predicted
        "report": evaluation.report(),
        "most_confused": [list(t) for t in evaluation.most_confused(n=10)],
    })


def load(folder: Path | str) -> Evaluation:
    """The Evaluation saved in folder, from its ``predictions.npz``.

    Raises FileNotFoundError when there is none, ValueError when it is unreadable.
    """
    path = Path(folder) / PREDICTIONS_FILE
    if not path.is_file():
        raise FileNotFoundError(f"no evaluation saved in {folder}: {path} does not exist")
    try:
        with np.load(path, allow_pickle=False) as npz:
            y_true, proba = npz["y_true"], npz["proba"]
        return Evaluation(y_true, proba.astype(np.float32))
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as exc:
        raise ValueError(f"{path} is corrupt or not an evaluation ({exc.__class__.__name__}: {exc}); "
                         f"evaluate the model again to rewrite it") from exc
