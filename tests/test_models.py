import pytest

from cifar_demo import models, recipes
from cifar_demo.recipes import FLAT, POOL, SOFTMAX_OUT, conv, dense
from cifar_demo.spec import SpecError, describe_spec


@pytest.mark.parametrize("key", list(recipes.PRESETS))
def test_every_preset_builds_to_ten_probabilities_and_rows_add_up(key):
    import numpy as np
    model, rows = models.build_with_summary(recipes.PRESETS[key].spec)
    assert model.output_shape == (None, 10)
    assert len(rows) == len(recipes.PRESETS[key].spec)
    assert sum(r.params for r in rows) == model.count_params()  # Keras is the oracle
    out = model(np.zeros((2, 32, 32, 3), "float32")).numpy()
    assert np.allclose(out.sum(axis=1), 1, atol=1e-5)


def test_keras_tutorial_is_the_tutorials_network():
    spec = recipes.preset("keras_tutorial").spec
    assert describe_spec(spec) == "conv32-pool-conv64-pool-conv128-pool-flatten-dense128-dropout-dense10"
    assert all(layer["kernel"] == 3 and layer["padding"] == "same" and layer["activation"] == "relu"
               for layer in spec if layer["type"] == "conv")
    assert recipes.preset("keras_tutorial").train == {
        "epochs": 25, "batch_size": 64, "optimizer": "adam", "learning_rate": 1e-3, "validation_split": 0.2}
    assert [layer["rate"] for layer in spec if layer["type"] == "dropout"] == [0.5]


def test_tutorial_shapes_follow_valid_and_same_padding():
    rows = models.summarize(recipes.preset("tf_tutorial").spec)
    assert [r.output_shape for r in rows[:5]] == [(30, 30, 32), (15, 15, 32), (13, 13, 64), (6, 6, 64), (4, 4, 64)]
    rows = models.summarize(recipes.preset("all_conv").spec)
    assert rows[1].output_shape == (30, 30, 48) and rows[-3].output_shape == (13, 13, 10)


def test_flops_of_a_conv_and_a_dense_by_hand():
    rows = models.summarize([conv(8, kernel=3), FLAT, dense(10, "softmax")])
    assert rows[0].flops == 2 * 32 * 32 * 8 * 3 * 3 * 3
    assert rows[0].params == 3 * 3 * 3 * 8 + 8
    assert rows[2].flops == 2 * (32 * 32 * 8) * 10


@pytest.mark.parametrize("spec, message", [
    ([], "empty"),
    ([conv(8)] + [POOL] * 6 + [FLAT, SOFTMAX_OUT], r"layer 7 \(pool.*window does not fit the 1x1 map"),
    ([conv(8), dense(10, "softmax")], r"layer 2 \(dense.*needs a flat input.*add Flatten"),
    ([conv(8), FLAT, dense(12, "softmax")], "must end in 10 outputs"),
    ([conv(8), FLAT, dense(10, "relu")], "last layer must be a softmax"),
    ([{"type": "magic"}, FLAT, SOFTMAX_OUT], r"layer 1 \(magic\): unknown layer type"),
    ([conv(0), FLAT, SOFTMAX_OUT], "filters must be a whole number of at least 1"),
    ([{"type": "dropout", "rate": 1.5}, FLAT, SOFTMAX_OUT], r"rate must be in \[0, 1\)"),
    ([FLAT, conv(8), SOFTMAX_OUT], "needs an image-shaped"),
])
def test_specs_that_cannot_build_name_the_problem(spec, message):
    with pytest.raises(SpecError, match=message):
        models.summarize(spec)


def test_unknown_preset():
    with pytest.raises(SpecError, match="unknown preset 'nope'"):
        recipes.preset("nope")


def test_whitening_decorrelates_patches():
    import numpy as np
    rng = np.random.default_rng(0)
    base = rng.random((64, 32, 32, 1)).astype("float32")
    images = np.concatenate([base, base * 0.9, base * 0.8 + 0.1], axis=3)  # strongly correlated channels
    model = models.build([{"type": "whiten", "kernel": 2}, {"type": "gap"}, SOFTMAX_OUT])
    models.fit_whitening(model, images)
    layer = next(x for x in model.layers if x.name.endswith("_whiten"))
    out = layer(images).numpy().reshape(-1, 24)[:, :12]
    cov = np.cov(out - out.mean(axis=0), rowvar=False)
    big = np.diag(cov) > 1e-2  # the directions with real variance come out with unit variance, uncorrelated
    assert big.sum() >= 4
    sub = cov[np.ix_(big, big)]
    assert np.allclose(np.diag(sub), 1, atol=0.1)
    assert np.abs(sub - np.diag(np.diag(sub))).max() < 0.1


@pytest.mark.parametrize("k", [2, 3])
def test_patch_covariance_is_that_of_every_patch_flattened_row_by_row(k):
    import numpy as np
    images = np.random.default_rng(k).random((5, 8, 7, 3)).astype("float32")
    patches = [images[n, y:y + k, x:x + k].reshape(-1) for n in range(5) for y in range(8 - k + 1)
               for x in range(7 - k + 1)]
    np.testing.assert_allclose(models.patch_covariance(images, k), np.cov(np.array(patches), rowvar=False, bias=True),
                               atol=1e-6)


def test_identity_init_passes_input_channels_through_block_convs():
    import numpy as np
    spec = [conv(4), {"type": "block", "filters": 6, "activation": "relu"}, {"type": "gap"}, SOFTMAX_OUT]
    model = models.build(spec)
    models.init_identity(model)
    conv1, conv2 = (x for x in model.layers if "_block_conv" in x.name)
    x = np.random.default_rng(0).standard_normal((2, 8, 8, 4)).astype("float32")
    assert np.allclose(conv1(x).numpy()[..., :4], x, atol=1e-6)  # 4 inputs -> its first 4 of 6 filters
    assert np.abs(conv1.kernel.numpy()[..., 4:]).sum() > 0  # the rest keep their random start
    y = np.random.default_rng(1).standard_normal((2, 4, 4, 6)).astype("float32")
    assert np.allclose(conv2(y).numpy(), y, atol=1e-6)  # 6 -> 6: the identity throughout
    plain = next(x for x in model.layers if x.name == "L1_conv")
    assert not np.allclose(plain.kernel.numpy()[1, 1, :, :3], np.eye(3))  # plain convs are left alone
