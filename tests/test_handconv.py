"""A convolution worked by hand equals the layer's own output, inside the image and on its padded edges."""
import numpy as np
import pytest

from cifar_demo import handconv, models, runs


def tolerance(worked):
    return dict(rel=2e-2, abs=2e-2) if worked.compute_dtype == "bfloat16" else dict(rel=1e-4, abs=1e-5)


@pytest.mark.parametrize("filter_index, row, col", [(0, 16, 16), (5, 0, 0), (31, 31, 31), (7, 0, 20)])
def test_the_tiny_runs_first_convolution_by_hand(tiny_runs, cifar, filter_index, row, col):
    model = runs.list_runs(tiny_runs)[0].load_model()  # two_block: Conv2D 32, 3x3, same padding, ReLU
    worked = handconv.by_hand(model, cifar.x_test[3], filter_index, row, col)
    assert worked.kernel.shape == worked.patch.shape == (3, 3, 3) and worked.activation == "relu"
    assert worked.value == pytest.approx(worked.layer_value, **tolerance(worked))
    assert worked.value == pytest.approx(max(worked.total, 0.0))
    if (row, col) == (0, 0):  # same padding: the window's first row and column lie outside the image
        assert (worked.pixels[0] == -1).all() and (worked.patch[0] == 0).all() and worked.top == -1


def test_the_shipped_models_whitening_layer_by_hand(cifar):
    model = runs.default_run().load_model()  # L1_whiten: 24 frozen 2x2 filters, valid padding, no activation
    worked = handconv.by_hand(model, cifar.x_test[0], 13, 30, 4)
    assert worked.kernel.shape == (2, 2, 3) and not worked.learned and worked.map_shape == (31, 31)
    assert worked.value == pytest.approx(worked.layer_value, rel=1e-4, abs=1e-5)
    assert (worked.top, worked.left) == (30, 4)
    np.testing.assert_array_equal(worked.pixels, cifar.x_test[0][30:32, 4:6])


@pytest.mark.parametrize("padding, stride", [("same", 2), ("valid", 2), ("same", 1)])
def test_strides_and_padding_match_keras(padding, stride):
    spec = [{"type": "conv", "filters": 4, "kernel": 3, "stride": stride, "padding": padding, "activation": "elu"},
            {"type": "flatten"}, {"type": "dense", "units": 10, "activation": "softmax"}]
    model = models.build(spec)
    image = np.random.default_rng(0).integers(0, 256, (32, 32, 3), dtype=np.uint8)
    h = handconv.feature_map(model, image, 0).shape[0]
    for row, col in ((0, 0), (h - 1, h - 1), (h // 2, 1)):
        worked = handconv.by_hand(model, image, 2, row, col)
        assert worked.value == pytest.approx(worked.layer_value, rel=1e-4, abs=1e-5), (row, col)


def test_a_first_convolution_that_does_not_see_the_pixels_is_refused():
    spec = [{"type": "pool"}, {"type": "conv", "filters": 4}, {"type": "flatten"},
            {"type": "dense", "units": 10, "activation": "softmax"}]
    with pytest.raises(handconv.HandError, match="does not look at the pixels directly"):
        handconv.by_hand(models.build(spec), np.zeros((32, 32, 3), np.uint8), 0, 0, 0)
