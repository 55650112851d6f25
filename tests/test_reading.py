"""The numbers each view's "how to read it" quotes: checked against hand counts and scikit-learn."""
import numpy as np
import pytest
from sklearn.metrics import precision_recall_fscore_support

from cifar_demo import evaluation, reading
from cifar_demo.data import CLASS_NAMES

CAT, DOG, SHIP = (CLASS_NAMES.index(n) for n in ("cat", "dog", "ship"))


def counts() -> np.ndarray:
    """100 images a class, 80 right and 20 taken for the next class; but of the cats, 87 are taken for dogs."""
    cm = np.zeros((10, 10), np.int64)
    np.fill_diagonal(cm, 80)
    cm[np.arange(10), (np.arange(10) + 1) % 10] = 20  # each class's mistakes go to the next class
    cm[CAT, CAT + 1], cm[CAT, DOG], cm[CAT, CAT] = 0, 87, 13  # but cats: 87 taken for dogs (deer is between)
    return cm


def test_the_confusion_reading_names_the_commonest_mistake_of_this_matrix():
    seen = reading.read_confusion(counts())
    assert seen.tested == 1000 and seen.right == 9 * 80 + 13
    assert seen.accuracy == pytest.approx(733 / 1000)
    assert seen.worst == ("cat", "dog", 87) and seen.worst_of == 100 and seen.worst_share == pytest.approx(0.87)


def test_a_matrix_without_mistakes_has_none_to_name():
    seen = reading.read_confusion(np.eye(10, dtype=int) * 7)
    assert seen.worst is None and seen.worst_share == 0 and seen.accuracy == 1


def test_class_scores_are_the_matrix_counts_and_match_scikit_learn():
    rng = np.random.default_rng(3)
    labels = rng.integers(0, 10, 2000)
    proba = rng.dirichlet(np.full(10, 0.5), size=2000).astype(np.float32)
    proba[np.arange(2000), labels] += 0.3
    ev = evaluation.Evaluation(labels, proba / proba.sum(axis=1, keepdims=True))
    cm = ev.confusion()
    p, r, f, _ = precision_recall_fscore_support(ev.y_true, ev.y_pred, labels=list(range(10)), zero_division=0)
    for c in range(10):
        scores = reading.class_scores(cm, c)
        assert scores.name == CLASS_NAMES[c]
        assert scores.called == int(np.sum(ev.y_pred == c)) and scores.actual == int(np.sum(labels == c))
        assert scores.called_right == int(np.sum((ev.y_pred == c) & (labels == c)))
        assert (scores.precision, scores.recall, scores.f1) == pytest.approx((p[c], r[c], f[c]))


def test_the_worked_example_of_the_brief():
    """'of the 1,043 images it called cat, 702 were cats: precision 67%'."""
    cm = np.zeros((10, 10), np.int64)
    cm[CAT, CAT], cm[DOG, CAT], cm[SHIP, CAT] = 702, 300, 41
    cm[CAT, DOG] = 298
    scores = reading.class_scores(cm, CAT)
    assert (scores.called, scores.called_right, scores.actual) == (1043, 702, 1000)
    assert round(scores.precision, 2) == 0.67 and scores.recall == pytest.approx(0.702)
    assert scores.f1 == pytest.approx(2 * scores.precision * scores.recall / (scores.precision + scores.recall))


def test_the_weakest_class_has_the_lowest_f1():
    cm = counts()
    assert reading.weakest_class(cm) == CAT
    assert reading.class_scores(np.zeros((10, 10), int), 0).f1 == 0  # nothing at all: zeros, no division by zero


def epochs(train, val=None):
    return [{"epoch": i + 1, "accuracy": a, **({"val_accuracy": val[i]} if val else {})}
            for i, a in enumerate(train)]


def test_training_accuracy_well_above_validation_at_the_end_is_overfitting():
    seen = reading.read_curves(epochs([0.5, 0.7, 0.9], [0.45, 0.6, 0.62]), test_accuracy=0.61)
    assert (seen.epochs, seen.train, seen.held_out, seen.held_out_kind) == (3, 0.9, 0.62, "validation")
    assert seen.gap == pytest.approx(0.28) and seen.overfitting and seen.best_epoch == 3


def test_a_small_or_negative_gap_is_not_overfitting():
    close = reading.read_curves(epochs([0.5, 0.64], [0.5, 0.6]))
    assert close.gap == pytest.approx(0.04) and not close.overfitting
    below = reading.read_curves(epochs([0.5, 0.7], [0.55, 0.8]))
    assert below.gap == pytest.approx(-0.1) and not below.overfitting and below.best_epoch == 2
    assert reading.OVERFIT_GAP == 0.05


def test_without_a_validation_curve_the_test_accuracy_is_the_held_out_figure():
    seen = reading.read_curves(epochs([0.6, 0.95]), test_accuracy=0.85)
    assert seen.held_out_kind == "test" and seen.held_out == 0.85 and seen.overfitting and seen.best_epoch is None
    untested = reading.read_curves(epochs([0.6]))
    assert untested.held_out_kind is None and untested.gap is None and not untested.overfitting
    assert reading.read_curves([]).train is None
