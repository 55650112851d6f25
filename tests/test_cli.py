"""The command line as a user meets it: real processes, real files."""
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent


def cli(*args, env=None):
    return subprocess.run([sys.executable, "-m", "cifar_demo", *map(str, args)], cwd=ROOT, capture_output=True,
                          text=True, timeout=600, env={**os.environ, **(env or {})})


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """One tiny run trained through the CLI, shared by the tests that need a model."""
    folder = tmp_path_factory.mktemp("cli_runs")
    env = {"CIFAR_DEMO_RUNS": str(folder)}
    done = cli("train", "--preset", "two_block", "--epochs", "1", "--subset", "400", "--test-subset", "300",
               "--cutout", "4", env=env)
    assert done.returncode == 0, done.stderr
    return folder, env, done


def test_train_prints_progress_and_writes_a_complete_run(trained):
    folder, env, done = trained
    assert "epoch 1/1: loss" in done.stderr
    assert done.stdout.startswith("finished: run ") and "test accuracy" in done.stdout
    (run,) = folder.iterdir()
    written = {p.name for p in run.iterdir()}
    assert {"config.json", "history.json", "model.keras", "evaluation.json", "status.json"} <= written
    assert json.loads((run / "config.json").read_text())["cutout"] == 4  # options reach the run's config
    listing = cli("runs", env=env)
    assert run.name in listing.stdout and "finished" in listing.stdout


@pytest.mark.parametrize("as_path", [False, True])
def test_evaluate_a_run_by_id_or_folder(trained, as_path):
    folder, env, _ = trained
    (run,) = folder.iterdir()
    done = cli("evaluate", run if as_path else run.name, "--test-subset", "200", env=env)
    assert done.returncode == 0, done.stderr
    assert "test accuracy" in done.stdout and "airplane" in done.stdout and "most confused" in done.stdout


def test_predict_photos_and_report_bad_files_without_stopping(trained, tmp_path):
    folder, env, _ = trained
    (run,) = folder.iterdir()
    photo = tmp_path / "sky.png"
    Image.fromarray(np.full((64, 48, 3), (90, 140, 220), np.uint8)).save(photo)
    text = tmp_path / "notes.jpg"
    text.write_text("not a picture")
    done = cli("predict", run.name, photo, text, env=env)
    assert done.returncode == 1  # one file failed
    line = next(x for x in done.stdout.splitlines() if x.startswith(str(photo)))
    assert len(line.split(", ")) == 3 and "%" in line  # top-3 classes with probabilities
    assert f"error: {text}" in done.stderr and "Traceback" not in done.stderr
    model_file = run / "model.keras"
    assert cli("predict", model_file, photo, env=env).returncode == 0


def test_predict_with_no_model_named_classifies_every_image_with_the_shipped_model(tmp_path):
    """`predict a.png b.jpg`, as a new user types it: two images, no model; neither is taken for one."""
    a, b = tmp_path / "a.png", tmp_path / "b.jpg"
    Image.fromarray(np.full((64, 48, 3), (90, 140, 220), np.uint8)).save(a)
    Image.fromarray(np.full((40, 60, 3), (200, 60, 40), np.uint8)).save(b)
    snapshot = tmp_path / "snapshot"  # a picture saved without an extension: a file, so still an image
    snapshot.write_bytes(a.read_bytes())
    for first in (a, snapshot):
        done = cli("predict", first, b)
        assert done.returncode == 0, done.stderr
        lines = done.stdout.splitlines()
        assert [line.split(": ")[0] for line in lines] == [str(first), str(b)]
        assert all(len(line.split(", ")) == 3 and "%" in line for line in lines)


def test_predict_a_missing_image_first_is_an_image_error_not_a_model(tmp_path):
    photo = tmp_path / "sky.png"
    Image.fromarray(np.full((64, 48, 3), (90, 140, 220), np.uint8)).save(photo)
    gone = tmp_path / "IMG_0001.JPG"
    done = cli("predict", gone, photo)
    assert done.returncode == 1  # one file failed, the other was classified with the shipped model
    assert done.stdout.startswith(f"{photo}: ")
    assert f"error: {gone}: " in done.stderr and "no run" not in done.stderr and "Traceback" not in done.stderr


@pytest.mark.parametrize("items, model", [
    (["a.png", "b.png"], None),
    (["IMG_0001.JPG", "b.png"], None),
    (["photo.heic", "b.png"], None),   # a format we refuse, but an image all the same
    (["snapshot", "b.png"], None),     # exists as a file: an image, whatever its name
    (["a.png"], None),
    (["model.keras", "b.png"], "model.keras"),
    (["20261201-120000-long", "b.png"], "20261201-120000-long"),
    (["runs/20261201-120000-long", "b.png"], "runs/20261201-120000-long"),
    (["20261201-120000-long"], "20261201-120000-long"),
    (["no-such-run", "b.png"], "no-such-run"),  # not an image either: reported as an unknown run
])
def test_predict_tells_a_model_from_an_image(tmp_path, monkeypatch, runs_dir, items, model):
    from cifar_demo import cli as cli_module
    (runs_dir / "20261201-120000-long").mkdir(parents=True)
    (runs_dir / "20261201-120000-long" / "config.json").write_text("{}")
    (tmp_path / "snapshot").write_bytes(b"pixels")
    monkeypatch.chdir(tmp_path)
    ref, images = cli_module._model_and_images(items)
    assert ref == model
    assert images == (items[1:] if model else items)


@pytest.mark.parametrize("args, message", [
    (["evaluate", "no-such-run"], "error: no run 'no-such-run'"),
    (["train", "--preset", "two_block", "--epochs", "0"], "error: epochs must be at least 1"),
    (["predict", "no-such-run", "x.png"], "error: no run 'no-such-run'"),
])
def test_errors_are_one_clear_line(args, message):
    done = cli(*args)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines()[-1].startswith(message)
    assert "Traceback" not in done.stderr


def test_missing_data_set_is_a_clean_error(tmp_path):
    done = cli("train", "--epochs", "1", env={"CIFAR10_PATH": str(tmp_path / "gone.tar.gz")})
    assert done.returncode == 2 and "gone.tar.gz, which does not exist" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_killed_training_is_listed_as_interrupted_with_its_epochs_and_model(tmp_path):
    """Kill -9 the CLI mid-training: the finished epochs and their model survive on disk."""
    import json
    import signal
    import time
    env = {**os.environ, "CIFAR_DEMO_RUNS": str(tmp_path)}
    proc = subprocess.Popen([sys.executable, "-m", "cifar_demo", "train", "--preset", "two_block", "--epochs", "200",
                             "--subset", "300", "--test-subset", "100"], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 300
        history = []
        while time.time() < deadline and len(history) < 2:
            time.sleep(0.5)
            found = list(tmp_path.glob("*/history.json"))
            history = json.loads(found[0].read_text()) if found else []
        assert len(history) >= 2, "no epoch finished in time"
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    listing = cli("runs", env={"CIFAR_DEMO_RUNS": str(tmp_path)})
    assert "interrupted" in listing.stdout
    (run,) = tmp_path.iterdir()
    epochs = [row["epoch"] for row in json.loads((run / "history.json").read_text())]
    assert epochs == list(range(1, len(epochs) + 1)) and len(epochs) >= 2
    predicted = cli("evaluate", run.name, "--test-subset", "100", env={"CIFAR_DEMO_RUNS": str(tmp_path)})
    assert predicted.returncode == 0, predicted.stderr  # the last saved model loads and works


def test_evaluate_and_predict_default_to_the_shipped_model(tmp_path):
    done = cli("evaluate", "--test-subset", "500")
    assert done.returncode == 0, done.stderr
    label, _, rest = done.stdout.partition(": test accuracy ")
    assert label == "default_run" and "averaged over 6 views" in rest
    assert float(rest.split("%")[0]) > 85  # the shipped model is the long preset's, about 92% on all 10,000
    photo = tmp_path / "sky.png"
    Image.fromarray(np.full((64, 48, 3), (90, 140, 220), np.uint8)).save(photo)
    done = cli("predict", photo)
    assert done.returncode == 0 and done.stdout.startswith(str(photo)), done.stderr


def test_export_writes_a_slim_copy_that_evaluates(trained, tmp_path):
    folder, env, _ = trained
    (run,) = folder.iterdir()
    done = cli("export", run.name, tmp_path / "shared", env=env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"exported {run.name} to ") and "MB)" in done.stdout
    assert cli("evaluate", tmp_path / "shared", "--test-subset", "100", env=env).returncode == 0
    again = cli("export", run.name, tmp_path / "shared", env=env)
    assert again.returncode == 2 and "is not empty" in again.stderr
