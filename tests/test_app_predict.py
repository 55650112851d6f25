"""The Predict page, driven through app.py with Streamlit's AppTest (uploads and camera included)."""
from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from streamlit.testing.v1 import AppTest

from cifar_demo import runs
from cifar_demo.data import CLASS_NAMES

APP = str(Path(__file__).resolve().parent.parent / "app.py")
TIMEOUT = 90  # the first model load imports TensorFlow


def encode(image: Image.Image, fmt: str) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt)
    return buffer.getvalue()


PHOTO = encode(Image.new("RGB", (64, 48), (30, 120, 200)), "PNG")
JPEG = encode(Image.new("RGB", (40, 40), (200, 50, 50)), "JPEG")


def make_model_run(*, sure_of: str | None = None, status: str = runs.FINISHED) -> runs.Run:
    """A finished run whose model gives every image the same probabilities:
    all but certain of ``sure_of``, or 10% for each class when None."""
    import keras
    model = keras.Sequential([keras.Input((32, 32, 3)), keras.layers.Flatten(),
                              keras.layers.Dense(len(CLASS_NAMES), activation="softmax")])
    bias = np.zeros(len(CLASS_NAMES), dtype=np.float32)
    if sure_of is not None:
        bias[CLASS_NAMES.index(sure_of)] = 12.0
    model.layers[-1].set_weights([np.zeros((32 * 32 * 3, len(CLASS_NAMES)), np.float32), bias])
    run = runs.create({"preset": "test"})
    run.save_model(model)
    run.set_status(status)
    return run


@pytest.fixture(autouse=True)
def _no_default_model(monkeypatch):
    """Tests see only the runs they make, whether or not a default model ships in the tree."""
    monkeypatch.setattr(runs, "default_run", lambda: None)


def open_predict() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.run()
    at.switch_page("pages/predict.py")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def texts(at: AppTest) -> str:
    return "\n".join(m.value for m in at.markdown)


def test_no_model_sends_the_user_to_train():
    at = open_predict()
    assert "no trained model" in at.info[0].value
    assert any("train" in link.proto.page for link in at.get("page_link"))
    assert not at.get("file_uploader")


def test_good_and_bad_files_in_one_upload():
    make_model_run(sure_of="frog")
    at = open_predict()
    uploader = at.get("file_uploader")[0]
    assert uploader.accept_multiple_files
    uploader.set_value([("photo.png", PHOTO, "image/png"), ("notes.png", b"just some text", "image/png"),
                        ("empty.jpg", b"", "image/jpeg"), ("cut.jpg", JPEG[:len(JPEG) // 2], "image/jpeg"),
                        ("red.jpg", JPEG, "image/jpeg")])
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    errors = [e.value for e in at.error]
    assert len(errors) == 3
    assert "notes.png" in errors[0] and "not an image" in errors[0]
    assert "empty.jpg" in errors[1] and "cut.jpg" in errors[2]
    assert "**photo.png**" in texts(at) and "**red.jpg**" in texts(at)
    assert texts(at).count("The model says **frog**, 100.0% sure.") == 2
    assert len(at.get("plotly_chart")) == 2 and not at.warning
    seen = [img for img in at.get("image") if img.captions[0].startswith("What the model sees")]
    assert len(seen) == 2 and all(img.value[0].endswith(".png") for img in seen)


def test_an_unsure_model_says_so_and_names_the_ten_classes():
    make_model_run(sure_of=None)
    at = open_predict()
    at.get("file_uploader")[0].set_value(("photo.png", PHOTO, "image/png"))
    at.run()
    assert not at.exception
    assert "10.0% sure" in texts(at)
    assert "unsure" in at.warning[0].value and "truck" in at.warning[0].value


def test_the_newest_finished_model_is_preselected_and_fit_and_k_apply():
    make_model_run(sure_of="cat")
    newest = make_model_run(sure_of="ship")
    make_model_run(sure_of="dog", status=runs.STOPPED)  # newer still, but stopped
    at = open_predict()
    assert at.selectbox[0].value == newest.id and len(at.selectbox[0].options) == 3
    at.slider[0].set_value(3)
    at.get("button_group")[0].set_value("pad")
    at.get("file_uploader")[0].set_value(("photo.png", PHOTO, "image/png"))
    at.run()
    assert not at.exception and "**ship**" in texts(at)
    bars = json.loads(at.get("plotly_chart")[0].proto.spec)["data"][0]
    assert len(bars["y"]) == 3 and bars["y"][-1] == "ship"  # k = 3 bars, the most probable on top


def test_a_damaged_model_file_gets_a_message():
    run = make_model_run(sure_of="cat")
    run.model_path.write_bytes(b"this is not a keras file")
    at = open_predict()
    assert "could not be loaded" in at.error[0].value
    at.get("file_uploader")[0].set_value(("photo.png", PHOTO, "image/png"))
    at.run()
    assert not at.exception and not at.get("plotly_chart")
    assert "could not be loaded" in at.error[0].value


def test_the_camera_waits_behind_a_toggle():
    make_model_run(sure_of="horse")
    at = open_predict()
    assert not at.get("camera_input")
    at.toggle[0].set_value(True).run()
    camera = at.get("camera_input")
    assert len(camera) == 1
    camera[0].set_value(("image.jpg", JPEG, "image/jpeg"))
    at.run()
    assert not at.exception
    assert "**camera photo**" in texts(at) and "**horse**" in texts(at)


def test_the_default_model_comes_first_but_a_finished_run_of_ones_own_is_preselected(monkeypatch):
    own = make_model_run(sure_of="cat")
    shipped = make_model_run(sure_of="deer")
    monkeypatch.setattr(runs, "default_run", lambda: shipped)
    at = open_predict()
    assert at.selectbox[0].value == own.id
    assert at.selectbox[0].options[0].startswith("Default model")
    own.set_status(runs.STOPPED)  # without a finished run of one's own, the shipped model is the last resort
    at = open_predict()
    assert at.selectbox[0].value == shipped.id
