"""The muon optimizer: Muon's orthogonalised step on the convolution filters, Nesterov SGD on the rest; it
saves and loads with a model, trains in the app, and a run's script carries it."""
import numpy as np
import pytest
from test_codegen import namespace, run_script

from cifar_demo import codegen, models, runs, training
from cifar_demo.muon import MuonSGD, newton_schulz
from cifar_demo.recipes import MUON_LR_RATIO
from cifar_demo.settings import TrainConfig


def test_newton_schulz_makes_every_direction_about_the_same_size():
    g = np.random.default_rng(0).normal(size=(72, 16)) @ np.diag(np.geomspace(1, 100, 16))  # badly conditioned
    singular = np.linalg.svd(np.asarray(newton_schulz(g.astype("float32"))), compute_uv=False)
    assert singular.max() / singular.min() < 2.5 < np.linalg.cond(g) / 10
    assert 0.5 < singular.mean() < 1.3


def test_a_step_is_muon_on_conv_kernels_and_nesterov_sgd_on_the_rest():
    import keras
    model = keras.Sequential([keras.Input((8, 8, 3)), keras.layers.Conv2D(16, 3, use_bias=True),
                              keras.layers.Flatten(), keras.layers.Dense(4)])
    before = [w.numpy().copy() for w in model.weights]
    x = np.random.default_rng(1).normal(size=(32, 8, 8, 3)).astype("float32")
    y = keras.utils.to_categorical(np.arange(32) % 4, 4)
    model.compile(optimizer=MuonSGD(muon_ratio=0.5, learning_rate=0.1, momentum=0.9),
                  loss=keras.losses.CategoricalCrossentropy(from_logits=True))
    with __import__("tensorflow").GradientTape() as tape:
        loss = model.compute_loss(x=x, y=y, y_pred=model(x, training=True))
    grads = [g.numpy() for g in tape.gradient(loss, model.trainable_weights)]
    model.train_on_batch(x, y)
    kernel_step = (before[0] - model.weights[0].numpy()).reshape(27, 16)
    singular = np.linalg.svd(kernel_step, compute_uv=False)
    assert singular.max() / singular.min() < 2.5  # orthogonalised: not the raw gradient's shape
    assert singular.mean() == pytest.approx(0.1 * 0.5 * (27 / 16) ** 0.5, rel=0.5)  # lr x ratio x Muon's scale
    for i in (1, 2, 3):  # the conv bias and the dense weights: Nesterov SGD, first step (momentum 0.9)
        want = before[i] - 0.1 * (grads[i] + 0.9 * grads[i])
        np.testing.assert_allclose(model.weights[i].numpy(), want, rtol=1e-4, atol=1e-6)


def test_a_model_trained_with_muon_saves_and_loads_its_optimizer(tmp_path):
    config = TrainConfig.for_preset("two_block", optimizer="muon", learning_rate=0.05)
    model = models.build(config.spec)
    training.compile_model(model, config)
    x = np.random.default_rng(2).normal(size=(16, 32, 32, 3)).astype("float32")
    model.train_on_batch(x, np.eye(10, dtype="float32")[np.arange(16) % 10])
    model.save(tmp_path / "m.keras")
    loaded = runs.load_model_file(tmp_path / "m.keras", compile=True)
    assert isinstance(loaded.optimizer, MuonSGD) and loaded.optimizer.muon_ratio == MUON_LR_RATIO


@pytest.mark.slow
def test_a_muon_runs_script_carries_the_optimizer_and_trains(tmp_path):
    config = TrainConfig.for_preset("fast", optimizer="muon", epochs=1)
    text = codegen.script(codegen.Source(config, "a muon test", "muon.py"))
    assert "class MuonSGD(keras.optimizers.SGD)" in text and "cifar_demo" not in text
    assert isinstance(namespace(text)["MuonSGD"](), __import__("keras").optimizers.SGD)
    done = run_script(text, tmp_path, "--epochs", "1", "--subset", "600", "--test-subset", "300")
    assert done.returncode == 0, done.stderr[-2000:]
    assert "test accuracy:" in done.stdout
