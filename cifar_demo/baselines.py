"""Baselines: logistic regression and k-nearest neighbours on raw pixels (scikit-learn), saved as runs.

What does a CNN buy over the simplest classifiers? Each baseline trains on a subset of the training
images drawn as a CNN run with the same subset and seed draws it (``training.split``), is tested on the
same first test images, and is saved as a run folder of its own (config, status, history of one "epoch",
evaluation; no model.keras), so that Results and Compare runs list it beside the networks.
"""
from __future__ import annotations

import time
import warnings
from dataclasses import dataclass

import numpy as np

from . import runs
from .data import NUM_CLASSES, normalize
from .evaluation import Evaluation
from .settings import TrainConfig
from .training import split

KINDS = {"logistic_regression": "Logistic regression", "knn": "k-nearest neighbours"}
NEIGHBOURS = 5             # k of the k-nearest neighbours: each test image takes the vote of its 5 nearest
LOGISTIC_C = 5e-4          # inverse regularisation strength: strong, since 3,072 pixels outnumber the images
LOGISTIC_ITERATIONS = 200  # lbfgs iterations at most; about 110 suffice on standardised pixels
TRAIN_SCORE_IMAGES = 1_000  # training images the training accuracy is measured on (all of them for LR is slow)


@dataclass(frozen=True)
class Baseline:
    run: runs.Run
    estimator: object      # the fitted scikit-learn estimator
    fit_seconds: float     # training
    test_seconds: float    # predicting the test images


def features(images: np.ndarray) -> np.ndarray:
    """float32 (N, 3072): each image's pixels, scaled to 0..1 as the networks get them, in one row."""
    images = np.asarray(images)
    return normalize(images).reshape(len(images), -1)


def estimator(kind: str):
    """An unfitted scikit-learn classifier of the given kind."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.neighbors import KNeighborsClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    if kind == "logistic_regression":
        return make_pipeline(StandardScaler(), LogisticRegression(C=LOGISTIC_C, max_iter=LOGISTIC_ITERATIONS))
    if kind == "knn":
        return KNeighborsClassifier(n_neighbors=NEIGHBOURS)
    raise ValueError(f"unknown baseline {kind!r}: use one of {', '.join(KINDS)}")


def describe(kind: str) -> str:
    """'logistic regression on 3,072 raw pixels', the architecture column of the runs table."""
    return {"logistic_regression": "logistic regression on 3,072 raw pixels",
            "knn": f"{NEIGHBOURS}-nearest neighbours on 3,072 raw pixels"}[kind]


def train(kind: str, data, *, subset: int, test_subset: int | None = None, seed: int = 0,
          base=None) -> Baseline:
    """Fit one baseline on ``subset`` training images and test it; the run folder it is saved as comes back."""
    # the images a CNN run with this subset and seed trains on (the preset plays no part in the draw)
    drawn = TrainConfig.for_preset("two_block", subset=subset, validation_split=0.0, test_subset=test_subset,
                                   seed=seed)
    parts = split(data, drawn)
    config = {"preset": kind, "kind": "baseline", "spec": [], "architecture": describe(kind), "epochs": 1,
              "subset": subset, "test_subset": test_subset, "validation_split": 0.0, "seed": seed}
    run = runs.create(config, base=base, name=kind)
    try:
        model = estimator(kind)
        started = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # lbfgs may stop at its limit a little short of convergence
            model.fit(features(parts.x_train), parts.y_train)
        fit_seconds = time.perf_counter() - started
        started = time.perf_counter()
        ev = Evaluation(parts.y_test, probabilities(model, parts.x_test))
        test_seconds = time.perf_counter() - started
        run.append_epoch(_training_row(model, parts.x_train, parts.y_train))
        run.save_evaluation(ev)
        run.set_status(runs.FINISHED, train_seconds=fit_seconds, test_seconds=test_seconds, epochs_done=1,
                       test_accuracy=float(ev.accuracy))
    except BaseException:
        runs.discard(run)
        raise
    return Baseline(run, model, fit_seconds, test_seconds)


def probabilities(model, images: np.ndarray) -> np.ndarray:
    """float (N, 10): a fitted baseline's class probabilities for uint8 images; a class missing from its
    training images gets probability 0."""
    proba = model.predict_proba(features(images))
    full = np.full((len(proba), NUM_CLASSES), 0.0)
    full[:, model.classes_] = proba
    return full / full.sum(axis=1, keepdims=True)


def _training_row(model, x_train: np.ndarray, y_train: np.ndarray) -> dict:
    """The one history row: accuracy and loss on (up to TRAIN_SCORE_IMAGES of) the training images."""
    from sklearn.metrics import log_loss
    x, y = x_train[:TRAIN_SCORE_IMAGES], y_train[:TRAIN_SCORE_IMAGES]
    full = probabilities(model, x)
    return {"epoch": 1, "accuracy": float(np.mean(full.argmax(axis=1) == y)),
            "loss": float(log_loss(y, full, labels=list(range(NUM_CLASSES))))}


def baseline_runs(run_list: list[runs.Run]) -> list[runs.Run]:
    """The runs of ``run_list`` that are baselines, in its order; unreadable ones are left out."""
    found = []
    for run in run_list:
        try:
            if run.config.get("kind") == "baseline":
                found.append(run)
        except runs.RunError:
            continue
    return found
