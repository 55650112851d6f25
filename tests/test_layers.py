"""The fused batch norm trains like Keras's own, predicts the same, and survives a save and a safe load."""
import keras
import numpy as np
import tensorflow as tf

from cifar_demo import runs
from cifar_demo.layers import FusedBatchNorm


def _pair(**kw):
    x = tf.random.stateless_normal((8, 5, 5, 6), seed=(1, 2)) * 3 + 1
    fused, plain = FusedBatchNorm(**kw), keras.layers.BatchNormalization(**kw)
    fused.build(x.shape)
    plain.build(x.shape)
    rng = np.random.default_rng(0)
    weights = [rng.normal(1, 0.1, 6).astype("float32"), rng.normal(0, 0.1, 6).astype("float32")]
    for layer in (fused, plain):
        layer.gamma.assign(weights[0])
        layer.beta.assign(weights[1])
    return x, fused, plain


def test_training_output_gradients_and_moving_statistics_match_keras():
    x, fused, plain = _pair(momentum=0.6, epsilon=1e-5)
    outs, grads = [], []
    for layer in (fused, plain):
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = layer(x, training=True)
            loss = tf.reduce_sum(y * tf.range(6, dtype=tf.float32))
        outs.append(y.numpy())
        grads.append([g.numpy() for g in tape.gradient(loss, [x, layer.gamma, layer.beta])])
    np.testing.assert_allclose(outs[0], outs[1], atol=1e-4)
    for a, b in zip(*grads):
        np.testing.assert_allclose(a, b, atol=1e-3)
    np.testing.assert_allclose(fused.moving_mean.numpy(), plain.moving_mean.numpy(), atol=1e-5)
    # TensorFlow's fused kernel keeps the unbiased variance (n / (n - 1) of Keras's): 200 values per channel
    np.testing.assert_allclose(fused.moving_variance.numpy(), plain.moving_variance.numpy(), rtol=2e-2)
    assert not np.allclose(fused.moving_mean.numpy(), 0)  # the statistics did move


def test_inference_uses_the_moving_statistics_like_keras():
    x, fused, plain = _pair()
    np.testing.assert_allclose(fused(x, training=False).numpy(), plain(x, training=False).numpy(), atol=1e-6)


def test_a_saved_model_with_it_loads_safely_and_predicts_the_same(tmp_path):
    inputs = keras.Input((4, 4, 3))
    model = keras.Model(inputs, keras.layers.Flatten()(FusedBatchNorm(name="bn")(inputs)))
    x = np.random.default_rng(1).normal(size=(2, 4, 4, 3)).astype("float32")
    model(x, training=True)  # move the statistics away from their initial values
    path = tmp_path / "m.keras"
    model.save(path)
    loaded = runs.load_model_file(path)
    assert isinstance(loaded.get_layer("bn"), FusedBatchNorm)
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0), atol=1e-6)
