"""Real (tiny) trainings through the trainer: progress in the run folder, stop, divergence, failures."""
import threading
import time

import numpy as np
import pytest

from cifar_demo import live, runs, trainer
from cifar_demo.settings import TrainConfig

pytestmark = pytest.mark.slow


def tiny(**overrides):
    base = dict(epochs=2, subset=320, test_subset=200, batch_size=32, validation_split=0.2)
    return TrainConfig.for_preset("two_block", **{**base, **overrides})


def start(config, cifar, **options):
    """A training in a thread of this process, as the command line runs one: (its run, the thread)."""
    run = runs.create(config.to_dict())
    thread = threading.Thread(target=trainer.train, args=(config, run), kwargs={"data": cifar, **options}, daemon=True)
    thread.start()
    return run, thread


def finish(run, thread, timeout=300) -> live.Snapshot:
    thread.join(timeout)
    assert not thread.is_alive(), "the training did not end in time"
    return live.snapshot(run)


def test_a_training_reports_progress_through_its_folder_and_leaves_a_complete_run(cifar):
    run, thread = start(tiny(), cifar)
    snap = finish(run, thread)
    assert snap.status == runs.FINISHED, snap.error
    assert [row["epoch"] for row in snap.history] == [1, 2]
    assert {"loss", "accuracy", "val_loss", "val_accuracy"} <= set(snap.history[0])
    assert len(snap.batches) == 2 * 8 and snap.batches[-1]["step"] == 16  # 256 images / 32 per batch
    assert snap.images_per_second > 0 and snap.progress == 1.0
    names = {p.name for p in run.path.iterdir()}
    assert {"config.json", "status.json", "history.json", "model.keras", "evaluation.json", "predictions.npz",
            "live.json", "heartbeat"} <= names
    assert run.status == runs.FINISHED and len(run.history()) == 2
    ev = run.evaluation()
    assert len(ev.y_true) == 200 and ev.accuracy == pytest.approx(snap.test_accuracy, abs=0.01)
    # the saved model is the trained one: it predicts like the evaluation says
    from cifar_demo import inference
    probs = inference.predict_proba(run.load_model(), cifar.x_test[:200])
    assert (probs.argmax(1) == ev.y_pred).mean() > 0.97


def test_a_stop_request_from_anywhere_is_honoured_within_a_batch_and_keeps_the_model(cifar):
    steps = []
    run, thread = start(tiny(epochs=50), cifar, listener=lambda e: steps.append(e["step"]) if "step" in e else None)
    deadline = time.time() + 120
    while time.time() < deadline and len(steps) < 3:
        time.sleep(0.01)
    live.request_stop(run)  # what the app's Stop button and `python -m cifar_demo stop RUN` write
    asked_at = steps[-1]  # the last batch done once the request is on disk
    assert live.snapshot(run).status in (live.STOPPING, live.TESTING, runs.STOPPED)  # it may have stopped already
    snap = finish(run, thread)
    assert snap.status == runs.STOPPED
    assert steps[-1] <= asked_at + 1  # the batch under way when it was asked, then no more
    assert run.status == runs.STOPPED and run.has_model
    assert run.history() == []  # an epoch cut short is not a finished epoch
    assert run.evaluation() is not None  # what was trained is kept and evaluated


def test_divergence_fails_the_run_with_the_reason_and_keeps_the_last_good_model(cifar):
    run, thread = start(tiny(epochs=3, optimizer="sgd", learning_rate=1e12), cifar)
    snap = finish(run, thread)
    assert snap.status == runs.FAILED
    assert "diverged" in snap.error and "smaller learning rate" in snap.error
    assert run.status == runs.FAILED and "diverged" in run.status_record()["error"]
    if run.has_model:  # any saved model comes from a finished epoch, before the NaN
        weights = run.load_model().get_weights()
        assert all(np.isfinite(w).all() for w in weights)


def test_a_crash_inside_the_training_is_reported_not_raised(cifar, monkeypatch):
    monkeypatch.setattr(trainer.training, "build_model", lambda *a, **k: 1 / 0)
    config = tiny()
    run = runs.create(config.to_dict())
    outcome = trainer.train(config, run, data=cifar)
    assert outcome["status"] == runs.FAILED and "ZeroDivisionError" in outcome["error"]
    assert run.status == runs.FAILED and "ZeroDivisionError" in live.snapshot(run).error
    assert "Traceback" in run.status_record()["traceback"]


def test_extra_callbacks_see_every_batch_of_the_run(cifar, tmp_path):
    import keras

    class Count(keras.callbacks.Callback):
        batches = 0

        def on_train_batch_end(self, batch, logs=None):
            Count.batches += 1

    config = tiny(epochs=1)
    outcome = trainer.train(config, runs.create(config.to_dict(), base=tmp_path), data=cifar, callbacks=[Count()])
    assert outcome["status"] == runs.FINISHED and Count.batches == 8  # 256 images / 32 per batch


def test_the_same_config_and_seed_give_the_same_model_and_test_accuracy(cifar):
    config = tiny(epochs=1, flip=True, shift=2, cutout=4, seed=7)
    first, second = runs.create(config.to_dict()), runs.create(config.to_dict())
    trainer.train(config, first, data=cifar)
    trainer.train(config, second, data=cifar)
    assert first.history() == second.history()
    assert first.evaluation().accuracy == second.evaluation().accuracy
    for a, b in zip(first.load_model().get_weights(), second.load_model().get_weights()):
        np.testing.assert_array_equal(a, b)


def test_the_default_preset_records_a_held_out_accuracy_every_epoch_on_test_images(cifar):
    config = TrainConfig.for_preset("fast", epochs=2, subset=512, test_subset=300)
    assert config.validation_split == 0  # it trains on all its images: the held-out curve comes from test images
    run = runs.create(config.to_dict())
    trainer.train(config, run, data=cifar)
    assert all("val_accuracy" in row and "val_loss" in row for row in run.history()) and len(run.history()) == 2
    assert run.held_out() == runs.TEST and run.status_record()["held_out_images"] == 300
    with_split = tiny(epochs=1)
    other = runs.create(with_split.to_dict())
    trainer.train(with_split, other, data=cifar)
    assert other.held_out() == runs.VALIDATION
