"""Baselines: logistic regression and k-nearest neighbours on raw pixels, saved as runs beside the CNNs."""
import numpy as np
import pytest

from cifar_demo import baselines, runs, training
from cifar_demo.settings import TrainConfig


@pytest.mark.parametrize("kind", list(baselines.KINDS))
def test_a_baseline_is_a_run_whose_accuracy_is_scikit_learns_own_score(kind, cifar, runs_dir):
    done = baselines.train(kind, cifar, subset=400, test_subset=300, seed=1)
    run = done.run
    parts = training.split(cifar, TrainConfig.for_preset("keras_tutorial", subset=400, validation_split=0.0,
                                                          test_subset=300, seed=1))
    score = done.estimator.score(baselines.features(parts.x_test), parts.y_test)
    assert run.test_accuracy() == pytest.approx(score)
    assert run.status == runs.FINISHED and not run.has_model
    assert runs.list_runs() == [run] and runs.prediction_runs(runs.list_runs()) == []  # nothing to predict with
    assert len(run.evaluation()) == 300 and run.config["architecture"] == baselines.describe(kind)
    assert run.history()[0]["epoch"] == 1 and 0 <= run.history()[0]["accuracy"] <= 1
    summary = run.summary()  # what the runs tables show
    assert run.config["subset"] == 400 and summary["test_accuracy"] == pytest.approx(score)
    assert summary["status"] == runs.FINISHED and summary["epochs_done"] == 1
    assert baselines.baseline_runs(runs.list_runs()) == [run]


def test_the_training_images_are_those_a_cnn_run_with_that_subset_draws(cifar, monkeypatch):
    seen = {}
    real = baselines.estimator

    def spy(kind):
        model = real(kind)
        fit = model.fit
        model.fit = lambda x, y: (seen.update(x=x, y=y), fit(x, y))[1]
        return model

    monkeypatch.setattr(baselines, "estimator", spy)
    baselines.train("knn", cifar, subset=200, test_subset=50, seed=3)
    parts = training.split(cifar, TrainConfig.for_preset("fast", subset=200, validation_split=0.0, seed=3))
    np.testing.assert_array_equal(seen["x"], baselines.features(parts.x_train))
    np.testing.assert_array_equal(seen["y"], parts.y_train)


def test_a_class_missing_from_the_training_images_gets_probability_zero(cifar):
    keep = np.flatnonzero(cifar.y_train[:300] != 3)
    model = baselines.estimator("knn").fit(baselines.features(cifar.x_train[keep]), cifar.y_train[keep])
    proba = baselines.probabilities(model, cifar.x_test[:20])
    assert proba.shape == (20, 10) and (proba[:, 3] == 0).all()
    np.testing.assert_allclose(proba.sum(axis=1), 1)
