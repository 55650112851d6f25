"""The pure logic behind the Explore and Predict pages: data.py and inference.py helpers."""
from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from cifar_demo import augment, data, inference, pictures, runs


def random_images(n=4, seed=0):
    return np.random.default_rng(seed).integers(0, 256, (n, 32, 32, 3), dtype=np.uint8)


def png(colour, size=(40, 30)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, "PNG")
    return buffer.getvalue()


# --- data: looking at images ---------------------------------------------------------------------

@pytest.mark.parametrize("factor", [1, 3, 8])
def test_upscale_is_nearest_neighbour(factor):
    images = random_images()
    big = pictures.upscale(images, factor)
    oracle = np.stack([np.kron(image, np.ones((factor, factor, 1), dtype=np.uint8)) for image in images])
    assert big.shape == (4, 32 * factor, 32 * factor, 3) and big.dtype == np.uint8
    np.testing.assert_array_equal(big, oracle)
    np.testing.assert_array_equal(pictures.upscale(images[0], factor), oracle[0])  # one image, (H, W, 3)


def test_upscale_refuses_a_zero_factor():
    with pytest.raises(ValueError):
        pictures.upscale(random_images(1), 0)


def test_pages_cover_every_item_once_in_order():
    items = np.arange(103)
    pages = pictures.page_count(len(items), 40)
    assert pages == 3
    shown = [pictures.page_of(items, p, 40)[0] for p in range(1, pages + 1)]
    assert [len(s) for s in shown] == [40, 40, 23]
    np.testing.assert_array_equal(np.concatenate(shown), items)


@pytest.mark.parametrize("asked, expected", [(0, 1), (-5, 1), (3, 3), (99, 3)])
def test_a_page_out_of_range_is_clamped(asked, expected):
    shown, page = pictures.page_of(np.arange(100), asked, 40)
    assert page == expected
    np.testing.assert_array_equal(shown, np.arange(100)[(expected - 1) * 40:expected * 40])


def test_no_items_make_one_empty_page():
    assert pictures.page_count(0, 40) == 1
    shown, page = pictures.page_of(np.arange(0), 1, 40)
    assert page == 1 and len(shown) == 0


def test_describe_pixels_before_and_after_normalize():
    image = random_images(1, seed=3)[0]
    stored, normalized = pictures.describe_pixels(image)
    assert (stored["shape"], stored["dtype"]) == ("(32, 32, 3)", "uint8")
    assert (stored["min"], stored["max"]) == (int(image.min()), int(image.max()))
    assert normalized["dtype"] == "float32"
    assert normalized["min"] == pytest.approx(image.min() / 255)
    assert normalized["max"] == pytest.approx(image.max() / 255)
    assert normalized["mean"] == pytest.approx(image.mean() / 255, rel=1e-5)


def test_pixel_row_reads_one_row():
    image = random_images(1, seed=4)[0]
    rows = pictures.pixel_row(image, 7)
    assert [r["x"] for r in rows] == list(range(32))
    np.testing.assert_array_equal([[r["red"], r["green"], r["blue"]] for r in rows], image[7])


def test_one_per_class_gives_each_class_once():
    labels = np.random.default_rng(0).integers(0, 10, 500)
    picked = data.one_per_class(labels, seed=2)
    assert labels[picked].tolist() == list(range(10))
    np.testing.assert_array_equal(picked, data.one_per_class(labels, seed=2))


# --- data: the augmentation preview --------------------------------------------------------------

def test_no_augmentation_leaves_copies_unchanged():
    image = random_images(1)[0]
    copies = augment.augmented_copies(image, n=3, flip=False, shift=0, seed=0)
    assert copies.shape == (3, 32, 32, 3) and copies.dtype == np.uint8
    assert all(np.array_equal(c, image) for c in copies)


def test_flip_gives_the_image_or_its_mirror_and_both_appear():
    image = random_images(1, seed=1)[0]
    copies = augment.augmented_copies(image, n=16, flip=True, shift=0, seed=5)
    mirrored = [np.array_equal(c, image[:, ::-1]) for c in copies]
    assert all(m or np.array_equal(c, image) for m, c in zip(mirrored, copies))
    assert 0 < sum(mirrored) < 16  # 2**-15 odds of a false failure for a fair coin


def test_shift_cuts_windows_of_the_reflect_padded_image():
    image, shift = random_images(1, seed=2)[0], 3
    padded = np.pad(image, ((shift, shift), (shift, shift), (0, 0)), mode="reflect")
    windows = {(dy, dx): padded[dy:dy + 32, dx:dx + 32] for dy in range(7) for dx in range(7)}
    copies = augment.augmented_copies(image, n=8, flip=False, shift=shift, seed=1)
    found = [next((k for k, w in windows.items() if np.array_equal(c, w)), None) for c in copies]
    assert None not in found
    assert len(set(found)) > 1


def test_cutout_preview_greys_a_square_of_the_chosen_size():
    image = random_images(1, seed=3)[0]
    copies = augment.augmented_copies(image, n=4, flip=False, shift=0, cutout=6, seed=2)
    for copy in copies:
        changed = np.any(copy != image, axis=-1)
        assert np.all(copy[changed] == 128) and 0 < changed.sum() <= 36


def test_same_seed_same_draw_new_seed_new_draw():
    image = random_images(1, seed=6)[0]
    first = augment.augmented_copies(image, flip=True, shift=4, seed=11)
    np.testing.assert_array_equal(first, augment.augmented_copies(image, flip=True, shift=4, seed=11))
    assert not np.array_equal(first, augment.augmented_copies(image, flip=True, shift=4, seed=12))


# --- inference: classifying an upload ------------------------------------------------------------

class RedModel:
    """Stands in for a Keras model: the redder the image, the surer it is of class 0; counts its calls."""

    def __init__(self):
        self.batches = []

    def predict_on_batch(self, x):
        x = np.asarray(x)
        self.batches.append(len(x))
        red = x[..., 0].mean(axis=(1, 2))
        probs = np.tile((1 - red)[:, None] / 9, (1, 10))
        probs[:, 0] = red
        return probs


def test_classify_uploads_keeps_order_reports_errors_and_predicts_once():
    model = RedModel()
    uploads = [("red.png", png((255, 0, 0))), ("notes.png", b"not an image"), ("empty.jpg", b""),
               ("blue.png", png((0, 0, 255), size=(300, 20))), ("cut.png", png((0, 0, 255))[:60])]
    results = inference.classify_uploads(model, uploads, fit="stretch", k=3)
    assert [r.name for r in results] == [name for name, _ in uploads]
    assert model.batches == [2]  # both good images, one call
    red, notes, empty, blue, cut = results
    assert red.error is None and red.top[0] == ("airplane", pytest.approx(1.0))
    assert len(red.top) == 3 and red.model_input.shape == (32, 32, 3) and red.original.size == (40, 30)
    assert not red.unsure
    assert "notes.png" in notes.error and "not an image" in notes.error and notes.top == ()
    assert "empty.jpg" in empty.error and "empty" in empty.error
    assert "cut.png" in cut.error
    assert blue.error is None and blue.unsure  # no red: 1/9 for every class but airplane
    assert blue.top[0] == ("automobile", pytest.approx(1 / 9)) and blue.original.size == (300, 20)


def test_classify_uploads_with_nothing_readable_never_calls_the_model():
    model = RedModel()
    results = inference.classify_uploads(model, [("a.png", b"x"), ("b.gif", b"")])
    assert model.batches == [] and all(r.error for r in results)


@pytest.mark.parametrize("top, unsure", [(0.39, True), (0.4, False), (0.95, False)])
def test_unsure_below_forty_percent(top, unsure):
    assert inference.Result("x", top=(("cat", top), ("dog", 1 - top))).unsure is unsure


# --- inference: which models can predict ---------------------------------------------------------

def make_run(status, *, model=True, preset="p"):
    run = runs.create({"preset": preset})
    if model:
        run.model_path.write_bytes(b"a model")
    run.set_status(status)
    return run


def test_prediction_runs_lists_done_runs_with_a_model_newest_first():
    older_finished = make_run(runs.FINISHED, preset="a")
    make_run(runs.FINISHED, model=False, preset="b")
    make_run(runs.FAILED, preset="c")
    make_run(runs.RUNNING, preset="d")
    newest_finished = make_run(runs.FINISHED, preset="e")
    stopped = make_run(runs.STOPPED, preset="f")
    broken = make_run(runs.FINISHED, preset="g")
    (broken.path / "status.json").write_text("{not json")
    choices = runs.prediction_runs(runs.list_runs())
    assert [r.id for r in choices] == [stopped.id, newest_finished.id, older_finished.id]


def test_the_shipped_default_model_comes_first(tmp_path):
    make_run(runs.FINISHED)
    default = runs.Run(tmp_path / "default_run")
    choices = runs.prediction_runs(runs.list_runs(), default)
    assert choices[0] == default and len(choices) == 2


def test_no_runs_no_models():
    assert runs.prediction_runs([]) == []
    only_stopped = make_run(runs.STOPPED)
    assert runs.prediction_runs(runs.list_runs()) == [only_stopped]
