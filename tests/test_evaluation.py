"""Evaluation against NumPy oracles on random predictions; save/load round trip."""
import json

import numpy as np
import pytest

from cifar_demo import evaluation
from cifar_demo.data import CLASS_NAMES
from cifar_demo.evaluation import Evaluation

N = 500


def random_evaluation(n=N, seed=0, skill=2.0):
    """Labels and probabilities that are right more often than chance, with real mistakes."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 10, n)
    logits = rng.normal(size=(n, 10))
    logits[np.arange(n), y] += skill
    proba = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    return Evaluation(y, proba.astype(np.float32))


@pytest.fixture
def ev():
    return random_evaluation()


def numpy_confusion(y_true, y_pred):
    cm = np.zeros((10, 10), dtype=int)
    for t, p in zip(y_true, y_pred):
        cm[t, p] += 1
    return cm


def test_accuracy_and_confusion_match_numpy(ev):
    y_pred = ev.proba.argmax(axis=1)
    assert 0.2 < ev.accuracy < 0.95  # the fixture has both hits and mistakes
    assert ev.accuracy == pytest.approx(np.mean(y_pred == ev.y_true))
    cm = numpy_confusion(ev.y_true, y_pred)
    np.testing.assert_array_equal(ev.confusion(), cm)
    np.testing.assert_allclose(ev.confusion(normalize=True), cm / cm.sum(axis=1, keepdims=True))
    assert np.trace(ev.confusion()) == round(ev.accuracy * N)


def test_normalized_confusion_of_absent_class_is_zero():
    ev = Evaluation(np.array([0, 0, 1]), np.eye(10, dtype=np.float32)[[0, 1, 1]])
    cm = ev.confusion(normalize=True)
    np.testing.assert_allclose(cm[0, :2], [0.5, 0.5])
    assert np.all(cm[2:] == 0)


def test_report_matches_hand_computation(ev):
    cm = numpy_confusion(ev.y_true, ev.y_pred)
    tp = np.diag(cm)
    precision = np.divide(tp, cm.sum(axis=0), out=np.zeros(10), where=cm.sum(axis=0) > 0)
    recall = tp / cm.sum(axis=1)
    f1 = 2 * precision * recall / (precision + recall)
    rows = ev.report()
    assert [r["class"] for r in rows] == [*CLASS_NAMES, "macro avg"]
    for c, row in enumerate(rows[:10]):
        assert row["precision"] == pytest.approx(precision[c])
        assert row["recall"] == pytest.approx(recall[c])
        assert row["f1"] == pytest.approx(f1[c])
        assert row["support"] == cm[c].sum()
    assert rows[-1]["f1"] == pytest.approx(f1.mean())
    assert rows[-1]["support"] == N


def test_report_is_zero_for_a_never_predicted_class():
    proba = np.eye(10, dtype=np.float32)[[0, 0, 1]]  # class 2 is never predicted nor present
    rows = Evaluation(np.array([0, 1, 1]), proba).report()
    assert rows[2] == {"class": "bird", "precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 0}
    assert rows[1]["recall"] == pytest.approx(0.5)


def test_mistakes_agree_with_confusion_matrix(ev):
    cm = ev.confusion()
    assert len(ev.mistakes()) == cm.sum() - np.trace(cm)
    for t in range(10):
        assert len(ev.mistakes(true_class=t)) == cm[t].sum() - cm[t, t]
        assert len(ev.mistakes(pred_class=t)) == cm[:, t].sum() - cm[t, t]
        for p in range(10):
            found = ev.mistakes(true_class=t, pred_class=p)
            assert len(found) == (0 if t == p else cm[t, p])
            assert np.all(ev.y_true[found] == t) and np.all(ev.y_pred[found] == p)
            assert len(ev.cell(t, p)) == cm[t, p]


def test_mistakes_are_sorted_by_confidence_in_the_wrong_answer(ev):
    found = ev.mistakes()
    assert np.all(ev.y_pred[found] != ev.y_true[found])
    confidence = ev.proba[found, ev.y_pred[found]]
    assert np.all(np.diff(confidence) <= 0)
    assert set(found) == set(np.flatnonzero(ev.y_pred != ev.y_true))
    cell = ev.cell(3, 3)
    assert np.all(np.diff(ev.proba[cell, 3]) <= 0)


def test_classes_can_be_named(ev):
    np.testing.assert_array_equal(ev.mistakes(true_class="cat", pred_class="dog"),
                                  ev.mistakes(true_class=3, pred_class=5))
    with pytest.raises(ValueError, match="unknown class 'unicorn'"):
        ev.cell("unicorn", 0)


def test_top_k():
    proba = np.full((1, 10), 0.05, dtype=np.float32)
    proba[0, [3, 5, 7]] = [0.4, 0.2, 0.05 + 0.1]
    pairs = Evaluation(np.array([3]), proba).top_k(0, k=3)
    assert [name for name, _ in pairs] == ["cat", "dog", "horse"]
    assert [p for _, p in pairs] == pytest.approx([0.4, 0.2, 0.15])


def test_most_confused(ev):
    cm = ev.confusion()
    off = [(cm[t, p], t, p) for t in range(10) for p in range(10) if t != p]
    pairs = ev.most_confused(n=5)
    assert [count for _, _, count in pairs] == sorted((c for c, _, _ in off), reverse=True)[:5]
    for true_name, pred_name, count in pairs:
        assert cm[CLASS_NAMES.index(true_name), CLASS_NAMES.index(pred_name)] == count
    assert Evaluation(np.array([1]), np.eye(10, dtype=np.float32)[[1]]).most_confused() == []


def test_summary_is_json_friendly(ev):
    summary = json.loads(json.dumps(ev.summary()))
    assert summary["n"] == N
    assert summary["accuracy"] == pytest.approx(ev.accuracy)
    recall = [r["recall"] for r in ev.report()[:10]]
    assert list(summary["per_class_accuracy"].values()) == pytest.approx(recall)
    absent = Evaluation(np.array([0]), np.eye(10, dtype=np.float32)[[0]]).summary()
    assert absent["per_class_accuracy"]["cat"] is None


def test_shape_mismatch_is_refused():
    with pytest.raises(ValueError, match=r"expected \(3, 10\)"):
        Evaluation(np.array([0, 1, 2]), np.zeros((2, 10)))


def test_save_load_round_trip(ev, tmp_path):
    evaluation.save(ev, tmp_path / "run")
    back = evaluation.load(tmp_path / "run")
    np.testing.assert_array_equal(back.y_true, ev.y_true)
    assert back.proba.dtype == np.float32
    np.testing.assert_allclose(back.proba, ev.proba, atol=1e-3)  # stored as float16
    assert back.accuracy == pytest.approx(ev.accuracy, abs=2 / N)  # a near tie may flip
    saved = json.loads((tmp_path / "run" / "evaluation.json").read_text())
    assert saved["confusion"] == ev.confusion().tolist()
    assert saved["summary"]["n"] == N
    assert saved["report"][-1]["class"] == "macro avg"
    assert saved["most_confused"][0] == list(ev.most_confused(n=1)[0])


def test_load_missing_folder(tmp_path):
    with pytest.raises(FileNotFoundError, match="predictions.npz"):
        evaluation.load(tmp_path)


@pytest.mark.parametrize("damage", ["garbage", "truncated", "wrong_keys"])
def test_load_corrupt_file_names_the_path(ev, tmp_path, damage):
    path = tmp_path / "predictions.npz"
    if damage == "garbage":
        path.write_bytes(b"not a zip file at all")
    elif damage == "truncated":
        evaluation.save(ev, tmp_path)
        path.write_bytes(path.read_bytes()[:200])
    else:
        np.savez(path, labels=ev.y_true)
    with pytest.raises(ValueError, match="predictions.npz is corrupt"):
        evaluation.load(tmp_path)


def test_evaluate_averages_flipped_predictions():
    def fake_predict_proba(model, images):
        # class 1 for an image whose left column is bright, class 0 otherwise
        left = images[:, :, 0, 0].mean(axis=1) > 127
        return np.eye(10, dtype=np.float32)[left.astype(int)]

    images = np.zeros((2, 32, 32, 3), dtype=np.uint8)
    images[0, :, 0] = 255  # left edge bright: class 1; mirrored: class 0
    labels = np.array([[1], [0]])  # Keras-style (N, 1) labels
    plain = evaluation.evaluate(None, images, labels, predict=fake_predict_proba)
    np.testing.assert_array_equal(plain.y_true, [1, 0])
    assert plain.accuracy == 1.0
    flipped = evaluation.evaluate(None, images, labels, tta_flip=True, predict=fake_predict_proba)
    np.testing.assert_allclose(flipped.proba[0, :2], [0.5, 0.5])
    np.testing.assert_allclose(flipped.proba[1, :2], [1.0, 0.0])


def test_shifted_moves_pixels_and_reflects_at_the_edge():
    images = np.arange(2 * 4 * 4 * 1).reshape(2, 4, 4, 1)
    down_right = evaluation.shifted(images, 1, 1)
    np.testing.assert_array_equal(down_right[:, 1:, 1:], images[:, :-1, :-1])
    np.testing.assert_array_equal(down_right[0, 0, 1:, 0], images[0, 1, :-1, 0])  # row -1 reflects row 1
    np.testing.assert_array_equal(evaluation.shifted(images, -1, -1)[:, :-1, :-1], images[:, 1:, 1:])


def test_test_time_shifts_weigh_each_shifted_view_half():
    def bright_at_5_5(model, images):  # class 1 for an image whose pixel (5, 5) is bright, class 0 otherwise
        return np.eye(10, dtype=np.float32)[(images[:, 5, 5, 0] > 127).astype(int)]

    images = np.zeros((1, 32, 32, 3), np.uint8)
    images[0, 6, 6] = 255  # only the view shifted up-left has it at (5, 5)
    ev = evaluation.evaluate(None, images, np.array([0]), tta_shift=True, predict=bright_at_5_5)
    np.testing.assert_allclose(ev.proba[0, :2], [0.75, 0.25])  # views weigh 1, 0.5, 0.5
    both = evaluation.evaluate(None, images, np.array([0]), tta_flip=True, tta_shift=True, predict=bright_at_5_5)
    np.testing.assert_allclose(both.proba[0, :2], [0.875, 0.125])
    assert evaluation.tta_label(True, True) == "averaged over 6 views (flipped and shifted)"
    assert evaluation.tta_label(False, False) == ""
