import json
import subprocess
import sys
import time

import numpy as np
import pytest

from cifar_demo import files, live, recipes, runs, transfer


def test_atomic_write_leaves_the_old_file_whole_when_the_writer_dies(tmp_path):
    target = tmp_path / "history.json"
    files.write_json(target, [{"epoch": 1}])
    with pytest.raises(RuntimeError):
        with files.atomic_path(target) as tmp:
            tmp.write_text('[{"epoch": 1}, {"epo')  # half written...
            raise RuntimeError("killed mid-write")
    assert files.read_json(target) == [{"epoch": 1}]
    assert [p.name for p in tmp_path.iterdir()] == ["history.json"]  # no temporary left behind


def test_run_folder_lifecycle(runs_dir):
    run = runs.create({"preset": "two_block", "epochs": 3})
    assert run.path.parent == runs_dir and run.status == runs.RUNNING
    run.append_epoch({"epoch": 1, "val_accuracy": 0.3})
    run.append_epoch({"epoch": 2, "val_accuracy": 0.4})
    run.set_status(runs.STOPPED)
    s = run.summary()
    assert (s["status"], s["epochs"], s["best_val_accuracy"]) == ("stopped", "2/3", 0.4)
    assert runs.open_run(run.id) == run and runs.list_runs() == [run]


def test_run_of_a_dead_process_is_interrupted_with_its_epochs(runs_dir):
    run = runs.create({"preset": "two_block", "epochs": 5})
    run.append_epoch({"epoch": 1, "val_accuracy": 0.25})
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    record = {**run.status_record(), "pid": int(dead.stdout), "status": "running"}
    (run.path / "status.json").write_text(json.dumps(record))
    assert run.status == runs.INTERRUPTED
    assert run.summary()["epochs_done"] == 1


def test_running_status_in_this_process_without_a_live_job_is_interrupted(runs_dir):
    run = runs.create({"preset": "x"})
    assert run.status == runs.RUNNING
    runs._live_here.discard(run.id)  # as if the training thread had died without a word
    assert run.status == runs.INTERRUPTED


def test_unknown_run_and_broken_model_files_give_clear_errors(tmp_path):
    with pytest.raises(runs.RunError, match="no run 'nope'"):
        runs.open_run("nope")
    half = tmp_path / "model.keras"
    half.write_bytes(b"PK\x03\x04 half a zip")
    with pytest.raises(runs.RunError, match="is not a model Keras can load safely"):
        runs.load_model_file(half)
    with pytest.raises(runs.RunError, match="does not exist"):
        runs.load_model_file(tmp_path / "missing.keras")


def test_model_with_a_lambda_is_refused_by_safe_mode(tmp_path):
    import keras
    inputs = keras.Input((32, 32, 3))
    outputs = keras.layers.Lambda(lambda x: x * 2)(inputs)
    path = tmp_path / "lambda.keras"
    keras.Model(inputs, outputs).save(path)
    with pytest.raises(runs.RunError, match="safely"):
        runs.load_model_file(path)


def test_corrupt_json_is_a_run_error(runs_dir):
    run = runs.create({"preset": "x"})
    (run.path / "history.json").write_text("[{")
    with pytest.raises(runs.RunError, match="history.json is not valid JSON"):
        run.history()


def test_delete_refuses_a_running_run(runs_dir):
    run = runs.create({"preset": "x"})
    with pytest.raises(runs.RunError, match="training right now"):
        runs.delete(run)
    run.set_status(runs.FINISHED)
    runs.delete(run)
    assert not run.path.exists()


def test_export_copies_a_finished_run_with_a_slim_model(tiny_runs, tmp_path):
    run = next(r for r in runs.list_runs(tiny_runs) if r.status == runs.FINISHED)
    copy = transfer.export(run, tmp_path / "shipped")
    assert copy.history() == run.history() and copy.config == run.config
    assert copy.status == runs.FINISHED and copy.status_record()["exported_from"] == run.id
    # a run trained in mixed bfloat16 is tested again as the float32 copy it ships
    assert copy.evaluation().accuracy == pytest.approx(run.evaluation().accuracy, abs=0.02)
    assert copy.status_record()["test_accuracy"] == pytest.approx(copy.evaluation().accuracy)
    assert {layer.compute_dtype for layer in copy.load_model().layers} == {"float32"}
    assert copy.model_path.stat().st_size < run.model_path.stat().st_size  # no optimizer state
    assert copy.load_model().count_params() == run.load_model().count_params()
    with pytest.raises(runs.RunError, match="not empty"):
        transfer.export(run, tmp_path / "shipped")


def test_float32_copy_computes_in_float32_with_the_same_weights(cifar):
    from cifar_demo import data, models
    mixed = models.build(recipes.preset("fast").spec, precision="mixed_bfloat16")
    assert mixed.get_layer(index=3).compute_dtype == "bfloat16"
    copy = transfer.float32_copy(mixed)
    assert {layer.compute_dtype for layer in copy.layers} == {"float32"}
    assert all(np.array_equal(a, b) for a, b in zip(copy.get_weights(), mixed.get_weights()))
    images = data.normalize(cifar.x_test[:16])
    assert copy.predict(images, verbose=0).dtype == np.float32
    np.testing.assert_allclose(copy.predict(images, verbose=0), mixed.predict(images, verbose=0), atol=0.02)
    assert transfer.float32_copy(copy) is copy  # float32 already: left as it is


def test_the_elapsed_time_of_a_paused_training_runs_on_and_stops_when_it_ends():
    run = runs.create({"preset": "fast", "epochs": 2})  # running, in this process
    files.write_json(run.path / live.LIVE_FILE, {"phase": live.PAUSED, "epoch": 1, "epochs": 2,
                                                 "started": time.time() - 60})
    first = live.snapshot(run)
    first_elapsed = first.elapsed_seconds  # what the page shows at its first reading
    time.sleep(1.2)
    again = live.snapshot(run)  # nothing in its folder changed while it was paused
    assert first.status == again.status == live.PAUSED
    assert 60 <= first_elapsed and again.elapsed_seconds >= first_elapsed + 1
    run.set_status(runs.STOPPED)
    ended = live.snapshot(run).elapsed_seconds
    time.sleep(1.2)
    assert live.snapshot(run).elapsed_seconds == ended
