"""Grad-CAM, first-layer filters and feature maps, checked against hand-built networks whose answer is known."""
import numpy as np
import pytest

from cifar_demo import explain, filters, models, pictures, recipes
from cifar_demo.data import CLASS_NAMES

RED, BLUE = 0, 1  # the two classes the hand-built network tells apart


def two_colour_model(*, sign: float = 1.0):
    """Conv 1x1 with a 'red' and a 'blue' channel (ReLU), global average pooling, dense softmax:
    class 0 rises with red, class 1 with blue. Its Grad-CAM is the CAM of Zhou et al.,
    which NumPy can compute: relu(sum_k w[k, c] * A_k)."""
    import keras
    model = keras.Sequential([keras.Input((32, 32, 3)),
                              keras.layers.Conv2D(2, 1, activation="relu", name="L1_conv"),
                              keras.layers.GlobalAveragePooling2D(name="L2_gap"),
                              keras.layers.Dense(len(CLASS_NAMES), activation="softmax", name="L3_dense")])
    kernel = np.zeros((1, 1, 3, 2), np.float32)
    kernel[0, 0, 0, 0] = kernel[0, 0, 2, 1] = 1.0  # channel 0 sees red, channel 1 blue
    model.layers[0].set_weights([kernel, np.zeros(2, np.float32)])
    dense = np.zeros((2, len(CLASS_NAMES)), np.float32)
    dense[0, RED] = dense[1, BLUE] = 5.0 * sign
    model.layers[-1].set_weights([dense, np.zeros(len(CLASS_NAMES), np.float32)])
    return model


def half_and_half() -> np.ndarray:
    """Red on the left half, blue on the right: uint8 (32, 32, 3)."""
    image = np.zeros((32, 32, 3), np.uint8)
    image[:, :16, 0] = 200
    image[:, 16:, 2] = 200
    return image


def flat_model():
    import keras
    return keras.Sequential([keras.Input((32, 32, 3)), keras.layers.Flatten(),
                             keras.layers.Dense(len(CLASS_NAMES), activation="softmax")])


def test_gradcam_points_at_the_half_that_made_each_class():
    model, image = two_colour_model(), half_and_half()
    red, blue = explain.gradcam(model, image, RED), explain.gradcam(model, image, BLUE)
    assert red.shape == blue.shape == (32, 32) and red.dtype == np.float32
    assert red[:, :15].min() == pytest.approx(1.0) and red[:, 17:].max() == pytest.approx(0.0, abs=1e-6)
    assert blue[:, 17:].min() == pytest.approx(1.0) and blue[:, :15].max() == pytest.approx(0.0, abs=1e-6)


def test_gradcam_matches_numpy_cam_on_a_random_image():
    model = two_colour_model()
    image = np.random.default_rng(0).integers(0, 256, (32, 32, 3), dtype=np.uint8)
    x = image.astype(np.float32) / 255
    conv, bias = model.layers[0].get_weights()
    dense = model.layers[-1].get_weights()[0]
    for c in (RED, BLUE):
        cam = np.maximum(np.maximum(x @ conv[0, 0] + bias, 0) @ dense[:, c], 0)  # (32, 32)
        np.testing.assert_allclose(explain.gradcam(model, image, c), cam / cam.max(), atol=1e-4)


def test_the_predicted_class_by_default_and_one_class_per_image():
    model, image = two_colour_model(), half_and_half()
    blue_only = image.copy()
    blue_only[:, :16] = 0  # now the network says blue
    batch = np.stack([image, blue_only])
    maps = explain.gradcam(model, batch)
    assert maps.shape == (2, 32, 32)
    np.testing.assert_allclose(maps[1], explain.gradcam(model, blue_only, BLUE), atol=1e-6)
    per_image = explain.gradcam(model, batch, class_index=[RED, BLUE])
    np.testing.assert_allclose(per_image[0], explain.gradcam(model, image, RED), atol=1e-6)
    np.testing.assert_allclose(per_image[1], explain.gradcam(model, blue_only, BLUE), atol=1e-6)


def test_a_map_with_nothing_for_the_class_stays_zero():
    model = two_colour_model(sign=-1.0)  # red and blue only ever lower their classes' scores
    heat = explain.gradcam(model, half_and_half(), RED)
    assert heat.shape == (32, 32) and not heat.any()


@pytest.mark.parametrize("key", list(recipes.PRESETS))
def test_every_preset_explains_maps_and_filters(key):
    model = models.build(recipes.PRESETS[key].spec)
    images = np.random.default_rng(1).integers(0, 256, (3, 32, 32, 3), dtype=np.uint8)
    layer = explain.last_conv_layer(model)
    assert layer is not None and len(model.get_layer(layer).output.shape) == 4
    heat = explain.gradcam(model, images)
    assert heat.shape == (3, 32, 32) and heat.min() >= 0 and heat.max() <= 1
    shown, probs = explain.feature_maps(model, images[0])
    assert shown and probs.shape == (10,) and probs.sum() == pytest.approx(1, abs=1e-4)
    for layer_maps in shown:
        expected = tuple(model.get_layer(layer_maps.name).output.shape[1:])
        assert layer_maps.maps.shape == layer_maps.shape == expected
        assert layer_maps.purpose.endswith(".") and layer_maps.kind
    titles = explain.layer_titles(model)
    assert all("_" not in title for title in titles.values()) and len(set(titles.values())) == len(titles)
    assert [m.title for m in shown] == [titles[m.name] for m in shown]
    learned = filters.learned_filters(model, images)
    layer = filters.first_learned_conv(model)
    assert layer.trainable and learned.title == titles[layer.name]
    count = layer.kernel.shape[-1]
    if learned.traced:  # after the fixed whitening: traced back to its receptive field in pixels
        assert filters.fixed_first_layer(model) is not None and learned.inputs == 2 * 3 * recipes.WHITEN_KERNEL ** 2
        assert learned.pictures.shape == (count, 4, 4, 3)  # a 2x2 whitening, then a 3x3 convolution
    else:
        k = layer.kernel.shape[0]
        assert filters.fixed_first_layer(model) is None and learned.pictures.shape == (count, k, k, 3)
    assert learned.pictures.dtype == np.uint8


def test_the_layer_chosen_is_the_last_conv_output_before_flattening():
    pick = {key: explain.last_conv_layer(models.build(p.spec)) for key, p in recipes.PRESETS.items()}
    assert pick["keras_tutorial"] == "L5_conv"       # the 8x8 conv, not the 4x4 pooling after it
    assert pick["fast"] == "L5_block_act2"            # a block's output, after BN and ReLU
    assert pick["all_conv"] == "L7_conv"              # the 1x1 class maps before global pooling


def test_looked_at_names_the_layer_and_its_grid():
    fast = models.build(recipes.PRESETS["fast"].spec)
    assert explain.looked_at(fast) == explain.LookedAt("Block 3 · Activation (relu) 2", 3, 3, recipes.FAST_WIDTHS[-1])
    tutorial = explain.looked_at(models.build(recipes.PRESETS["keras_tutorial"].spec))
    assert (tutorial.title, tutorial.height, tutorial.width) == ("Conv2D 3", 8, 8)
    assert explain.looked_at(flat_model()) is None


def test_a_custom_spec_and_its_layer_rows():
    spec = [recipes.conv(8, kernel=5, padding="valid"), {"type": "pool", "size": 2, "kind": "avg"},
            {"type": "batchnorm"}, {"type": "activation", "fn": "tanh"}, recipes.conv(16),
            {"type": "gap"}, recipes.dense(10, "softmax")]
    model, rows = models.build_with_summary(spec)
    image = np.full((32, 32, 3), 90, np.uint8)
    assert explain.last_conv_layer(model) == "L5_conv"
    assert explain.gradcam(model, image, class_index=7).shape == (32, 32)
    shown, _ = explain.feature_maps(model, image)
    by_name = {row.name: row.output_shape for row in rows}
    assert [m.name for m in shown] == ["L1_conv", "L2_pool", "L4_activation", "L5_conv"]
    assert all(m.shape == by_name[m.name] for m in shown)
    assert "mean" in shown[1].purpose and "tanh" in shown[2].purpose


def test_a_network_without_convolutions_says_so():
    model = flat_model()
    assert explain.last_conv_layer(model) is None
    with pytest.raises(explain.ExplainError, match="no convolution layer"):
        explain.gradcam(model, half_and_half())
    with pytest.raises(explain.ExplainError, match="no convolution layer"):
        filters.learned_filters(model, half_and_half()[None])
    shown, probs = explain.feature_maps(model, half_and_half())
    assert shown == [] and probs.shape == (10,)


def test_filters_are_the_first_kernel_stretched_per_filter():
    model = two_colour_model()
    learned = filters.learned_filters(model, half_and_half()[None])
    assert not learned.traced and learned.inputs == 3 and learned.title == "Conv2D"
    assert learned.pictures.shape == (2, 1, 1, 3)
    assert learned.pictures[0, 0, 0].tolist() == [255, 0, 0] and learned.pictures[1, 0, 0].tolist() == [0, 0, 255]


def test_filters_after_a_fixed_layer_are_traced_back_to_the_pixels():
    """A frozen 1x1 conv that swaps red and blue, then a learned 1x1 conv reading its first channel: traced back,
    that filter is the pure blue one, whatever the images (everything is linear here)."""
    import keras
    model = keras.Sequential([keras.Input((32, 32, 3)),
                              keras.layers.Conv2D(3, 1, use_bias=False, trainable=False, name="L1_whiten"),
                              keras.layers.Conv2D(1, 1, use_bias=False, name="L2_conv"),
                              keras.layers.GlobalAveragePooling2D(), keras.layers.Dense(10, activation="softmax")])
    model.layers[0].set_weights([np.eye(3, dtype=np.float32)[::-1].reshape(1, 1, 3, 3)])
    model.layers[1].set_weights([np.array([1.0, 0, 0], np.float32).reshape(1, 1, 3, 1)])
    images = np.random.default_rng(0).integers(0, 256, (4, 32, 32, 3), dtype=np.uint8)
    assert filters.fixed_first_layer(model).name == "L1_whiten" and filters.first_learned_conv(model).name == "L2_conv"
    learned = filters.learned_filters(model, images)
    assert learned.traced and learned.inputs == 3 and learned.pictures.shape == (1, 1, 1, 3)
    assert learned.pictures[0, 0, 0].tolist() == [0, 0, 255]


def test_overlay_colormap_and_grids():
    heat = np.zeros((32, 32), np.float32)
    heat[:, 16:] = 1
    picture = pictures.overlay(half_and_half(), heat, size=128)
    assert picture.shape == (128, 128, 3) and picture.dtype == np.uint8
    cold, hot = pictures.colormap(np.array([0.0, 1.0]))
    assert cold.tolist() == [71, 1, 85] and hot.tolist() == [252, 231, 33]  # viridis: dark purple to bright yellow
    lightness = pictures.colormap(np.linspace(0, 1, 11)) @ np.array([0.299, 0.587, 0.114])
    assert np.all(np.diff(lightness) > 0)  # rises all the way: it reads in grey, so to colour-blind eyes too
    assert pictures.colour_stops(3) == ["#470155", "#1f908b", "#fce721"]
    # the right half: blue pixels under the hottest colour, as opaque as alpha; the left: red ones, a third of that
    np.testing.assert_allclose(picture[64, 100], 0.45 * np.array([0, 0, 200]) + 0.55 * hot, atol=1)
    third = 0.55 / 3
    np.testing.assert_allclose(picture[64, 20], (1 - third) * np.array([200, 0, 0]) + third * cold, atol=1)
    maps = np.random.default_rng(2).normal(size=(5, 5, 40)).astype(np.float32)
    tiles = pictures.scaled_maps(maps, 32)
    assert tiles.shape == (32, 5, 5) and tiles.min(axis=(1, 2)).max() == 0 and tiles.max(axis=(1, 2)).min() == 255
    dots = pictures.scaled_maps(np.arange(4, dtype=np.float32).reshape(1, 1, 4), 4)  # 1x1 maps: one scale
    assert dots.ravel().tolist() == [0, 85, 170, 255]
    assert pictures.grid(tiles, columns=8, tile=40, gap=2).shape == (4 * 42 - 2, 8 * 42 - 2, 3)  # 5 px x 8
