"""The map lab's engine: penultimate features, their t-SNE layout, nearest neighbours."""
import numpy as np
import pytest

from cifar_demo import embedding, inference, lab_cache, runs


@pytest.fixture(scope="module")
def tiny(tiny_runs):
    return runs.list_runs(tiny_runs)[0]


def test_the_features_are_the_input_of_the_class_scores(tiny, cifar):
    model = tiny.load_model()  # two_block: ... flatten, dense 128, dense 10 softmax
    layer = embedding.feature_layer(model)
    assert layer.name.endswith("_dense") and layer.units == 128
    feats = embedding.features(model, cifar.x_test[:7])
    assert feats.shape == (7, 128) and feats.dtype == np.float32


def test_maps_are_averaged_over_positions_where_the_network_ends_without_a_flat_layer():
    from cifar_demo import models
    from cifar_demo.settings import TrainConfig
    model = models.build(TrainConfig.for_preset("all_conv").spec)  # conv48 maps, then conv10 + GAP
    assert embedding.feature_layer(model).output.shape[-1] == 48
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (3, 32, 32, 3), dtype=np.uint8)
    assert embedding.features(model, images).shape == (3, 48)


def test_one_point_per_test_image_agreeing_with_the_models_predictions(tiny, cifar):
    model = tiny.load_model()
    images = cifar.x_test[:120]
    xy = embedding.layout(embedding.features(model, images))
    assert xy.shape == (120, 2) and np.isfinite(xy).all()
    proba = inference.predict_proba(model, images)  # what the map's colours and crosses are drawn from
    np.testing.assert_array_equal(proba.argmax(axis=1), np.argmax(model.predict(images / 255.0, verbose=0), axis=1))


def test_a_training_images_nearest_neighbours_include_itself(tiny, cifar):
    model = tiny.load_model()
    pool = embedding.bank_indices(cifar.y_train, 20)
    assert len(pool) == 200 and np.bincount(cifar.y_train[pool], minlength=10).tolist() == [20] * 10
    feats = embedding.features(model, cifar.x_train[pool])
    mean = feats.mean(axis=0)
    bank = embedding.centred_rows(feats, mean)  # as the page keeps it
    for row in (0, 57, 199):
        query = embedding.centred_rows(embedding.features(model, cifar.x_train[pool[row]:pool[row] + 1]), mean)
        best, sims = embedding.nearest(bank, query, k=5)
        assert best[0, 0] == row and sims[0, 0] == pytest.approx(1.0, abs=1e-3)
        assert (np.diff(sims[0]) <= 1e-6).all()  # most alike first


def test_nearest_against_a_brute_force_sort():
    rng = np.random.default_rng(1)
    bank, query = embedding.unit_rows(rng.normal(size=(50, 8))), embedding.unit_rows(rng.normal(size=(4, 8)))
    best, sims = embedding.nearest(bank, query, k=6)
    want = np.argsort(-(query @ bank.T), axis=1)[:, :6]
    np.testing.assert_array_equal(best, want)
    np.testing.assert_allclose(sims, np.take_along_axis(query @ bank.T, want, axis=1), rtol=1e-6)


def test_the_map_is_kept_in_the_run_folder_for_a_second_look(tiny, cifar):
    key = lab_cache.key_of(tiny.path, n=50)
    calls = []

    def compute():
        calls.append(1)
        return {"xy": embedding.layout(embedding.features(tiny.load_model(), cifar.x_test[:50]))}

    first = lab_cache.cached(tiny.path, "map_test", key, compute)
    again = lab_cache.cached(tiny.path, "map_test", key, compute)
    np.testing.assert_array_equal(first["xy"], again["xy"])
    assert len(calls) == 1 and (tiny.path / "labs" / "map_test.npz").is_file()
