"""Show me the code: the standalone Keras script of a preset or run builds the same network and trains."""
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from cifar_demo import codegen, models, runs, training
from cifar_demo.recipes import PRESETS
from cifar_demo.settings import TrainConfig

ROOT = Path(__file__).resolve().parent.parent


def namespace(text: str) -> dict:
    """The script's functions and constants, as importing it would give them (main() does not run)."""
    found = {"__name__": "generated_script"}
    exec(compile(text, "generated_script.py", "exec"), found)
    return found


def run_script(text: str, tmp_path: Path, *args) -> subprocess.CompletedProcess:
    path = tmp_path / "script.py"
    path.write_text(text)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    return subprocess.run([sys.executable, str(path), *args], cwd=tmp_path, capture_output=True, text=True,
                          timeout=600, env=env)


@pytest.mark.parametrize("key", list(PRESETS))
def test_each_presets_script_builds_its_network_with_the_same_parameters(key):
    import keras
    config = TrainConfig.for_preset(key)
    ours = models.build(config.spec)
    theirs = namespace(codegen.script(codegen.resolve(key)))["build_model"]()
    assert theirs.count_params() == ours.count_params()
    trainable = sum(int(w.numpy().size) for w in theirs.trainable_weights)
    assert trainable == sum(int(w.numpy().size) for w in ours.trainable_weights)
    assert theirs.output_shape == ours.output_shape == (None, 10)
    keras.backend.clear_session()


def test_the_script_imports_nothing_of_cifar_demo_and_reads_the_data_safely():
    text = codegen.script(codegen.resolve("fast"))
    assert "cifar_demo" not in text
    assert "class ArraysOnly(pickle.Unpickler)" in text and "keras.datasets.cifar10.load_data()" in text
    for option in ("--epochs", "--subset", "--test-subset"):
        assert option in text
    compile(text, "fast.py", "exec")


@pytest.mark.parametrize("schedule, warmup", [("warmup_linear", 1.0), ("cosine", 0.5), ("cosine", 0.0),
                                              ("step", 0.0)])
def test_the_scripts_learning_rate_follows_the_trainers_schedule(schedule, warmup):
    """The script's schedule, evaluated step by step, against training.learning_rate_at (the app's)."""
    config = TrainConfig.for_preset("fast", schedule=schedule, warmup_epochs=warmup, learning_rate=0.4)
    found = namespace(codegen.script(codegen.Source(config, "a test", "t.py")))
    steps, epochs = 20, 5
    total = steps * epochs
    expression = codegen.schedule_of(config)
    lr = eval(expression, {**found, "args": type("A", (), {"epochs": epochs}), "steps": steps})
    for step in range(0, total, 7):
        want = training.learning_rate_at(step, total, steps, config)
        got = float(lr(step)) if callable(lr) else lr
        near_a_change = schedule == "step" and step in (total // 2, 3 * total // 4)
        if not near_a_change and not (schedule == "cosine" and step <= warmup * steps):
            assert got == pytest.approx(want, rel=1e-4, abs=1e-6), step


def test_a_trained_runs_script_trains_and_prints_its_test_accuracy(tiny_runs, tmp_path):
    run = runs.list_runs(tiny_runs)[0]
    printed = subprocess.run([sys.executable, "-m", "cifar_demo", "code", str(run.path)], cwd=ROOT,
                             capture_output=True, text=True, timeout=300)
    assert printed.returncode == 0, printed.stderr
    assert f"{run.test_accuracy():.2%} test accuracy" in printed.stdout
    done = run_script(printed.stdout, tmp_path, "--epochs", "1", "--subset", "500", "--test-subset", "500")
    assert done.returncode == 0, done.stderr[-3000:]
    accuracy = re.search(r"test accuracy: ([\d.]+)% on 500 test images", done.stdout)
    assert accuracy and 0 <= float(accuracy.group(1)) <= 100, done.stdout[-2000:]
    assert "loss:" in done.stdout  # Keras reported the epoch


def test_a_script_with_every_augmentation_lookahead_and_a_hold_out_trains(tmp_path):
    config = TrainConfig.for_preset("fast", cutout=8, lookahead=True, schedule="cosine", optimizer="adamw",
                                    validation_split=0.2, learning_rate=0.002)
    text = codegen.script(codegen.Source(config, "a test", "t.py"))
    for piece in ("def cutout(", "def shift(", "def flip(", "class Lookahead(", "def fit_whitening(",
                  "def start_as_identity("):
        assert piece in text
    done = run_script(text, tmp_path, "--epochs", "1", "--subset", "600", "--test-subset", "200")
    assert done.returncode == 0, done.stderr[-3000:]
    assert "val_accuracy" in done.stdout and "test accuracy:" in done.stdout


def test_a_model_not_trained_here_has_no_code_and_the_command_line_says_so(tmp_path, runs_dir):
    run = runs.create({"preset": "imported", "spec": [], "architecture": "3 layers, 1,000 parameters"})
    with pytest.raises(codegen.CodeError, match="was not trained here"):
        codegen.resolve(run.id)
    done = subprocess.run([sys.executable, "-m", "cifar_demo", "code", "nonsense"], cwd=ROOT, capture_output=True,
                          text=True, timeout=120, env={**os.environ, "CIFAR_DEMO_RUNS": str(runs_dir)})
    assert done.returncode == 2 and done.stderr.startswith("error: no run 'nonsense'")


def test_the_shipped_model_has_code_with_its_accuracy():
    source = codegen.resolve("default")
    assert source.config.preset == "long" and source.accuracy == pytest.approx(0.9086)
    assert "In cifar-demo it reached 90.86% test accuracy." in codegen.script(source)
