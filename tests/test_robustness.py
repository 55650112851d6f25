"""Robustness lab: the corruptions against NumPy, accuracy under noise, and the FGSM example."""
import numpy as np
import pytest

from cifar_demo import inference, lab_cache, robustness, runs


@pytest.fixture(scope="module")
def images(cifar):
    return np.asarray(cifar.x_test[:16])


@pytest.mark.parametrize("name", list(robustness.CORRUPTIONS))
def test_each_corruption_keeps_the_shape_and_its_first_level_changes_nothing(images, name):
    levels = robustness.CORRUPTIONS[name].levels
    assert len(levels) == robustness.LEVELS
    np.testing.assert_array_equal(robustness.corrupt(images, name, levels[0]), images)
    strongest = robustness.corrupt(images, name, levels[-1])
    assert strongest.dtype == np.uint8 and strongest.shape == images.shape
    assert np.abs(strongest.astype(int) - images).mean() > 2  # the strongest level shows
    assert robustness.level_label(name, levels[0]) == "clean"


def test_shift_occlusion_brightness_and_contrast_by_hand(images):
    moved = robustness.corrupt(images, "Shift", 4)
    np.testing.assert_array_equal(moved[:, 4:, 4:], images[:, :-4, :-4])
    covered = robustness.corrupt(images, "Occlusion", 8)
    assert (covered[:, 12:20, 12:20] == 128).all() and (covered[:, :12] == images[:, :12]).all()
    brighter = robustness.corrupt(images, "Brightness", 40)
    np.testing.assert_array_equal(brighter, np.clip(images.astype(int) + 40, 0, 255))
    flat = robustness.corrupt(images, "Contrast", 0.5).astype(float)
    np.testing.assert_allclose(flat.mean(axis=(1, 2, 3)), images.mean(axis=(1, 2, 3)), atol=0.6)
    assert flat.std() < images.std()


def test_accuracy_under_the_strongest_noise_is_below_the_clean_accuracy(cifar):
    model = runs.default_run().load_model()
    curves = robustness.accuracy_curves(model, cifar.x_test[:200], cifar.y_test[:200], names=["Noise"])
    clean, *_, strongest = curves["Noise"]
    assert clean > 0.8 and strongest < clean - 0.3
    assert list(curves) == ["Noise"] and len(curves["Noise"]) == robustness.LEVELS


def test_fgsm_changes_the_answer_with_the_smallest_step_and_stays_within_it(tiny_runs, cifar):
    model = runs.list_runs(tiny_runs)[0].load_model()
    attacks = [robustness.fgsm(model, image) for image in cifar.x_test[:5]]
    attack = next(a for a in attacks if a.changed)
    before, after = inference.predict_proba(model, np.stack([attack.original, attack.result]))
    assert before.argmax() == attack.before.argmax() != after.argmax() == attack.after.argmax()
    assert 1 <= np.abs(attack.perturbation).max() <= attack.step
    if attack.step > 1:  # one level less did not change it
        smaller = np.clip(attack.original.astype(int) + (attack.step - 1) * attack.direction, 0, 255)
        assert inference.predict_proba(model, smaller.astype(np.uint8)).argmax() == before.argmax()


def test_the_lab_cache_recomputes_for_another_key_or_a_changed_model(tmp_path):
    (tmp_path / "model.keras").write_bytes(b"one")
    calls = []

    def compute():
        calls.append(1)
        return {"x": np.arange(3)}

    key = lab_cache.key_of(tmp_path, n=3)
    np.testing.assert_array_equal(lab_cache.cached(tmp_path, "lab", key, compute)["x"], np.arange(3))
    lab_cache.cached(tmp_path, "lab", key, compute)
    assert len(calls) == 1  # the second look read the file
    (tmp_path / "model.keras").write_bytes(b"a changed model")
    lab_cache.cached(tmp_path, "lab", lab_cache.key_of(tmp_path, n=3), compute)
    assert len(calls) == 2
