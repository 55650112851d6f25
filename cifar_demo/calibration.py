"""Calibration: how sure a model is against how often it is right, from its saved test predictions.

A model is calibrated when, of the images it is 80% sure about, 80% are right. ``reliability`` bins the
test images by the probability of the predicted class (its confidence) and compares, in each bin, the
mean confidence with the share right; the expected calibration error (ECE) is the gap between the two,
averaged over the images. NumPy in, NumPy out.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

BINS = 10
SURE = 0.9  # "very sure": a mistake made at this confidence or above is a confident mistake


@dataclass(frozen=True)
class Reliability:
    """A reliability diagram's numbers for N images in B equal-width confidence bins."""
    edges: np.ndarray          # float (B + 1,): 0, 0.1, ..., 1
    counts: np.ndarray         # int (B,): images whose confidence falls in each bin
    confidence: np.ndarray     # float (B,): their mean confidence (NaN for an empty bin)
    accuracy: np.ndarray       # float (B,): the share of them predicted right (NaN for an empty bin)
    ece: float                 # expected calibration error: sum over bins of counts/N * |accuracy - confidence|
    mean_confidence: float     # over all images
    overall_accuracy: float    # over all images
    wrong_confidence: np.ndarray  # float (M,): the confidence on each of the M wrongly predicted images
    right_confidence: np.ndarray  # float (N - M,): on each rightly predicted image


def bin_index(confidence: np.ndarray, bins: int = BINS) -> np.ndarray:
    """Which of ``bins`` equal bins of [0, 1] each confidence falls in; a value on an edge goes to the lower
    bin (as scikit-learn's calibration_curve bins it), so 1.0 is in the last and 0.1 in the first."""
    edges = np.linspace(0.0, 1.0, bins + 1)
    return np.searchsorted(edges[1:-1], np.asarray(confidence, np.float64))


def reliability(y_true: np.ndarray, proba: np.ndarray, bins: int = BINS) -> Reliability:
    """The reliability diagram of labels, int (N,), and class probabilities, float (N, 10)."""
    y_true, proba = np.asarray(y_true).reshape(-1), np.asarray(proba, np.float64)
    confidence, right = proba.max(axis=1), proba.argmax(axis=1) == y_true
    which = bin_index(confidence, bins)
    counts = np.bincount(which, minlength=bins)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_conf = np.bincount(which, weights=confidence, minlength=bins) / counts
        share_right = np.bincount(which, weights=right, minlength=bins) / counts
    n = max(len(y_true), 1)
    gaps = np.where(counts > 0, np.abs(np.nan_to_num(share_right) - np.nan_to_num(mean_conf)), 0.0)
    return Reliability(np.linspace(0.0, 1.0, bins + 1), counts, mean_conf, share_right,
                       float(np.sum(counts / n * gaps)), float(confidence.mean()) if len(y_true) else 0.0,
                       float(right.mean()) if len(y_true) else 0.0, confidence[~right], confidence[right])


def verdict(r: Reliability) -> str:
    """'overconfident', 'underconfident' or 'well calibrated' (within one point on average)."""
    if r.ece < 0.01:
        return "well calibrated"
    return "overconfident" if r.mean_confidence > r.overall_accuracy else "underconfident"


def in_words(r: Reliability) -> str:
    """The expected calibration error in a sentence a learner can check against the diagram."""
    gap = r.mean_confidence - r.overall_accuracy
    said = (f"On average it says it is {r.mean_confidence:.1%} sure and is right {r.overall_accuracy:.1%} of the "
            f"time, so it is {verdict(r)}")
    if verdict(r) != "well calibrated":
        said += f" by {100 * abs(gap):.1f} points overall"
    return (said + f"; bin by bin its confidence is off by {100 * r.ece:.1f} points on average "
            f"(the expected calibration error, ECE).")


def confident_mistakes(r: Reliability, sure: float = SURE) -> float:
    """The share of the mistakes made at a confidence of ``sure`` or more (0 when there is no mistake)."""
    return float(np.mean(r.wrong_confidence >= sure)) if len(r.wrong_confidence) else 0.0
