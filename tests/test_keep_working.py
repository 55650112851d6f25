"""Keep working with runs: resume a stopped one, TensorBoard logs, the runs table, importing a .keras model."""
import io
import zipfile

import numpy as np
import pytest

from cifar_demo import live, run_table, runs, trainer, training, transfer
from cifar_demo.settings import TrainConfig


def tiny(**overrides):
    base = dict(epochs=3, subset=320, test_subset=200, batch_size=32, validation_split=0.2, schedule="cosine")
    return TrainConfig.for_preset("two_block", **{**base, **overrides})


def stop_after_first_epoch(run: runs.Run):
    """A listener that asks for a stop as soon as epoch 1 is finished: the stop lands in epoch 2."""
    return lambda event: live.request_stop(run) if event["event"] == "epoch" and event["epoch"] == 1 else None


# --- resume ------------------------------------------------------------------------------------------------

@pytest.mark.slow
def test_resume_goes_on_without_losing_or_repeating_an_epoch(cifar):
    config = tiny()
    run = runs.create(config.to_dict())
    outcome = trainer.train(config, run, data=cifar, listener=stop_after_first_epoch(run))
    assert outcome["status"] == runs.STOPPED and run.status == runs.STOPPED
    assert [row["epoch"] for row in run.history()] == [1]
    first_seconds = run.status_record()["train_seconds"]

    outcome = trainer.train(trainer.resumable(run), run, data=cifar, resume=True)
    snap = live.snapshot(run)
    assert outcome["status"] == snap.status == runs.FINISHED, snap.error
    history = run.history()
    assert [row["epoch"] for row in history] == [1, 2, 3]
    assert [row["epoch"] for row in snap.history] == [1, 2, 3]  # the live view shows the earlier epoch too
    # the schedule went on at the step it had reached: each epoch ends on its own step's learning rate
    steps = snap.steps_per_epoch
    for row in history:
        expected = training.learning_rate_at(row["epoch"] * steps - 1, 3 * steps, steps, config)
        assert row["lr"] == pytest.approx(expected, rel=1e-5)
    assert snap.batches[0]["step"] == steps + 1 and snap.batches[-1]["step"] == 3 * steps
    assert snap.progress == 1.0 and snap.images_per_second > 0
    assert run.status == runs.FINISHED and run.evaluation() is not None
    assert run.status_record()["train_seconds"] > first_seconds  # both sessions count
    # every epoch is in TensorBoard's logs, validation too
    assert _scalars(run.path / "tensorboard" / "validation", "epoch_accuracy") == [1, 2, 3]
    assert _scalars(run.path / "tensorboard" / "train", "epoch_loss") == [1, 2, 3]  # the cut-short epoch 2 once


def _scalars(folder, tag):
    """The steps at which ``tag`` was logged in the TensorBoard event files under folder."""
    import tensorflow as tf
    steps = []
    for path in sorted(folder.glob("events.out.tfevents.*")):
        for event in tf.compat.v1.train.summary_iterator(str(path)):
            steps += [event.step for value in event.summary.value if value.tag == tag]
    return sorted(steps)


@pytest.mark.parametrize("status, has_model, reason", [
    (runs.FINISHED, True, "is finished"),
    (runs.FAILED, False, "saved no model"),
    (runs.STOPPED, False, "saved no model"),
    (runs.IMPORTED, True, "imported"),
    (runs.RUNNING, True, "training right now"),
])
def test_resume_refuses_what_cannot_go_on(status, has_model, reason):
    run = runs.create(tiny().to_dict())
    if has_model:
        run.model_path.write_bytes(b"a model")
    if status != runs.RUNNING:
        run.set_status(status)
    with pytest.raises(runs.RunError, match=reason):
        trainer.resumable(run)
    assert run.status == status  # refusing changes nothing


def test_cli_resume_of_a_finished_run_is_one_line_and_exit_2(capsys):
    from cifar_demo import cli
    run = runs.create(tiny().to_dict())
    run.model_path.write_bytes(b"a model")
    run.set_status(runs.FINISHED)
    assert cli.main(["resume", run.id]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: run ") and "is finished" in err and "Traceback" not in err


# --- the runs table ------------------------------------------------------------------------------------------

def test_table_has_one_row_per_run_with_its_settings_and_scores():
    config = tiny(flip=True, shift=2, cutout=8, subset=None)
    done = runs.create(config.to_dict())
    for epoch, val in ((1, 0.31), (2, 0.42), (3, 0.40)):
        done.append_epoch({"epoch": epoch, "loss": 1.0, "accuracy": 0.5, "val_accuracy": val})
    done.set_status(runs.FINISHED, train_seconds=12.5)
    broken = runs.create(tiny().to_dict())
    (broken.path / "history.json").write_text("[{")

    rows = {row["id"]: row for row in run_table.table(runs.list_runs())}
    row = rows[done.id]
    assert row["status"] == "finished" and row["preset"] == "two_block"
    assert row["architecture"].startswith("conv") and "dense10" in row["architecture"]
    assert (row["epochs"], row["epochs_done"], row["batch_size"], row["optimizer"]) == (3, 3, 32, "adam")
    assert row["learning_rate"] == config.learning_rate
    assert (row["augmentation"], row["subset"]) == ("flip, shift 2, cutout 8", 50_000)
    assert (row["best_val_accuracy"], row["final_val_accuracy"]) == (0.42, 0.40)
    assert row["test_accuracy"] is None and row["train_seconds"] == 12.5
    assert rows[broken.id]["status"] == "unreadable" and "not valid JSON" in rows[broken.id]["error"]
    assert run_table.table([]) == []


# --- importing a .keras model ---------------------------------------------------------------------------------

def _model_bytes(tmp_path, *, inputs=(32, 32, 3), classes=10, lambda_layer=False) -> bytes:
    import keras
    x = inp = keras.Input(inputs)
    if lambda_layer:
        x = keras.layers.Lambda(lambda t: t * 2.0)(x)
    x = keras.layers.Conv2D(4, 3, activation="relu")(x)
    x = keras.layers.GlobalAveragePooling2D()(x)
    out = keras.layers.Dense(classes, activation="softmax")(x)
    path = tmp_path / "m.keras"
    keras.Model(inp, out).save(path)
    return path.read_bytes()


def test_a_good_model_becomes_a_tested_run(tmp_path, cifar):
    run = transfer.import_model(_model_bytes(tmp_path), "my net.keras", data=cifar)
    assert run.status == runs.IMPORTED and run.has_model and "imported-my-net" in run.id
    assert run.config["preset"] == "imported" and run.config["source"] == "my net.keras"
    ev = run.evaluation()
    assert len(ev) == transfer.IMPORT_TEST_IMAGES
    np.testing.assert_array_equal(ev.y_true, cifar.y_test[:transfer.IMPORT_TEST_IMAGES])
    assert run_table.table([run])[0]["test_accuracy"] == pytest.approx(ev.accuracy)
    assert run in runs.prediction_runs(runs.list_runs())  # Predict offers it


@pytest.mark.parametrize("make, message", [
    (lambda tmp: b"not a zip at all", "not a .keras file"),
    (lambda tmp: _zip({"readme.txt": "hello"}), "not a model Keras can load"),
    (lambda tmp: _model_bytes(tmp, inputs=(28, 28, 1)), r"input of shape \(None, 28, 28, 1\)"),
    (lambda tmp: _model_bytes(tmp, classes=100), r"output of shape \(None, 100\)"),
    (lambda tmp: _model_bytes(tmp, lambda_layer=True), "Lambda layer"),
])
def test_a_bad_upload_is_refused_in_words_and_leaves_no_run(tmp_path, cifar, make, message):
    with pytest.raises(transfer.ModelRejected, match=message):
        transfer.import_model(make(tmp_path), "upload.keras", data=cifar)
    assert runs.list_runs() == []


def _zip(members: dict) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for name, text in members.items():
            z.writestr(name, text)
    return out.getvalue()
