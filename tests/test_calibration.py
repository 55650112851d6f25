"""Calibration: the reliability diagram's bins against scikit-learn's calibration_curve, and the ECE by hand."""
import numpy as np
import pytest
from sklearn.calibration import calibration_curve

from cifar_demo import calibration, runs


def predictions(n=2_000, seed=0, temperature=1.0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 10, n)
    logits = rng.normal(size=(n, 10)) + 3.0 * np.eye(10)[y]
    scores = np.exp(logits / temperature)
    return y, scores / scores.sum(axis=1, keepdims=True)


@pytest.mark.parametrize("temperature", [0.3, 1.0, 3.0])
def test_the_bins_agree_with_scikit_learn_on_right_or_wrong(temperature):
    y, proba = predictions(temperature=temperature)
    r = calibration.reliability(y, proba)
    assert r.counts.sum() == len(y)
    right = (proba.argmax(axis=1) == y).astype(int)
    share_right, mean_confidence = calibration_curve(right, proba.max(axis=1), n_bins=10, strategy="uniform")
    full = r.counts > 0
    np.testing.assert_allclose(r.accuracy[full], share_right)
    np.testing.assert_allclose(r.confidence[full], mean_confidence)
    assert np.isnan(r.accuracy[~full]).all()


def test_ece_by_hand_and_the_confidences_of_mistakes():
    y, proba = predictions(500, seed=3)
    r = calibration.reliability(y, proba)
    conf, right = proba.max(axis=1), proba.argmax(axis=1) == y
    ece = sum(abs(right[m].mean() - conf[m].mean()) * m.sum() / len(y)
              for b in range(10) if (m := calibration.bin_index(conf) == b).any())
    assert r.ece == pytest.approx(ece)
    assert len(r.wrong_confidence) == (~right).sum() and len(r.right_confidence) == right.sum()
    assert r.overall_accuracy == pytest.approx(right.mean())
    assert calibration.confident_mistakes(r) == pytest.approx(np.mean(conf[~right] >= 0.9))


def test_a_sharpened_model_is_overconfident_and_a_softened_one_underconfident():
    y, proba = predictions(temperature=0.05)  # about 90% right, and nearly always sure
    sharp = calibration.reliability(y, proba)
    soft = calibration.reliability(y, predictions(temperature=5.0)[1])
    assert calibration.verdict(sharp) == "overconfident" and calibration.verdict(soft) == "underconfident"
    assert sharp.mean_confidence > sharp.overall_accuracy + 0.05
    assert "overconfident by" in calibration.in_words(sharp) and "(the expected calibration error" in \
        calibration.in_words(soft)


def test_edges_go_to_the_lower_bin_and_one_to_the_last():
    np.testing.assert_array_equal(calibration.bin_index(np.array([0.0, 0.1, 0.1001, 0.95, 1.0])), [0, 0, 1, 9, 9])


def test_the_shipped_models_saved_predictions():
    ev = runs.default_run().evaluation()
    r = calibration.reliability(ev.y_true, ev.proba)
    assert r.counts.sum() == len(ev) == 10_000
    assert r.overall_accuracy == pytest.approx(ev.accuracy)
