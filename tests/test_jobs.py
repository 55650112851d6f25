"""Real (tiny) trainings through the background job: progress, stop, divergence, the run folder."""
import numpy as np
import pytest

from cifar_demo import jobs, runs
from cifar_demo.settings import TrainConfig

pytestmark = pytest.mark.slow


def tiny(**overrides):
    base = dict(epochs=2, subset=320, test_subset=200, batch_size=32, validation_split=0.2)
    return TrainConfig.for_preset("two_block", **{**base, **overrides})


def test_job_trains_reports_progress_and_leaves_a_complete_run(cifar):
    job = jobs.start(tiny(), data=cifar)
    snap = job.join(timeout=300)
    assert snap.status == runs.FINISHED, snap.error
    assert [row["epoch"] for row in snap.history] == [1, 2]
    assert {"loss", "accuracy", "val_loss", "val_accuracy"} <= set(snap.history[0])
    assert len(snap.batches) == 2 * 8 and snap.batches[-1]["step"] == 16  # 256 images / 32 per batch
    assert snap.images_per_second > 0 and snap.progress == 1.0
    names = {p.name for p in job.run.path.iterdir()}
    assert {"config.json", "status.json", "history.json", "model.keras", "evaluation.json", "predictions.npz"} <= names
    assert job.run.status == runs.FINISHED and len(job.run.history()) == 2
    ev = job.run.evaluation()
    assert len(ev.y_true) == 200 and ev.accuracy == pytest.approx(snap.test_accuracy, abs=0.01)
    # the saved model is the trained one: it predicts like the evaluation says
    from cifar_demo import inference
    probs = inference.predict_proba(job.run.load_model(), cifar.x_test[:200])
    assert (probs.argmax(1) == ev.y_pred).mean() > 0.97


def test_stop_is_honoured_within_a_batch_and_keeps_the_model(cifar):
    import time
    job = jobs.start(tiny(epochs=50), data=cifar)
    while job.active and len(job.snapshot().batches) < 3:
        time.sleep(0.01)
    job.stop()
    step_when_asked = job.snapshot().batches[-1]["step"]
    assert job.snapshot().status == "stopping"
    snap = job.join(timeout=300)
    assert snap.status == runs.STOPPED
    assert snap.batches[-1]["step"] <= step_when_asked + 1  # the batch under way, then no more
    assert job.run.status == runs.STOPPED and job.run.has_model
    assert job.run.history() == []  # an epoch cut short is not a finished epoch
    assert job.run.evaluation() is not None  # what was trained is kept and evaluated


def test_one_job_at_a_time(cifar):
    job = jobs.start(tiny(epochs=30), data=cifar)
    try:
        with pytest.raises(jobs.JobBusyError, match=f"run {job.run.id} is training right now"):
            jobs.start(tiny(), data=cifar)
    finally:
        job.stop()
        job.join(timeout=300)
    assert not job.active


def test_divergence_fails_the_run_with_the_reason_and_keeps_the_last_good_model(cifar):
    job = jobs.start(tiny(epochs=3, optimizer="sgd", learning_rate=1e12), data=cifar)
    snap = job.join(timeout=300)
    assert snap.status == runs.FAILED
    assert "diverged" in snap.error and "smaller learning rate" in snap.error
    assert job.run.status == runs.FAILED and "diverged" in job.run.status_record()["error"]
    if job.run.has_model:  # any saved model comes from a finished epoch, before the NaN
        weights = job.run.load_model().get_weights()
        assert all(np.isfinite(w).all() for w in weights)


def test_a_crash_inside_the_job_is_reported_not_raised(cifar, monkeypatch):
    monkeypatch.setattr(jobs.training, "build_model", lambda *a, **k: 1 / 0)
    job = jobs.start(tiny(), data=cifar)
    snap = job.join(timeout=60)
    assert snap.status == runs.FAILED and "ZeroDivisionError" in snap.error
    assert job.run.status == runs.FAILED


def test_extra_callbacks_see_every_batch_of_the_run(cifar, tmp_path):
    import keras

    class Count(keras.callbacks.Callback):
        batches = 0

        def on_train_batch_end(self, batch, logs=None):
            Count.batches += 1

    config = tiny(epochs=1)
    outcome = jobs.train(config, runs.create(config.to_dict(), base=tmp_path), data=cifar, callbacks=[Count()])
    assert outcome["status"] == runs.FINISHED and Count.batches == 8  # 256 images / 32 per batch
