"""'Inside the network', and Grad-CAM on Predict and Results, in Streamlit's AppTest with a small trained model."""
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


def png(color=(30, 120, 200), size=(64, 48)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, "PNG")
    return out.getvalue()


@pytest.fixture
def trained(tiny_runs):
    """A runs folder holding one two-block network trained for an epoch on 400 images, and tested."""
    return tiny_runs


@pytest.fixture(autouse=True)
def _no_default_model(monkeypatch):
    monkeypatch.setattr(runs, "default_run", lambda: None)


def open_page(page: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.switch_page(page)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def markdown(at) -> str:
    return "\n".join(m.value for m in at.markdown)


def test_without_a_model_the_page_sends_the_user_to_train():
    at = open_page("pages/inside.py")
    assert "no trained model" in at.info[0].value
    assert any("train" in link.proto.page for link in at.get("page_link"))


def captions(at) -> str:
    return "\n".join(c.value for c in at.caption)


def test_the_answer_first_then_one_layer_at_a_time_then_the_filters(trained, monkeypatch):
    monkeypatch.setenv("CIFAR_DEMO_RUNS", str(trained))
    at = open_page("pages/inside.py")
    assert [h.value for h in at.subheader] == ["The answer", "Layer by layer", "What the first layer looks for"]
    assert "**test image #0, a cat**" in captions(at)
    bars = json.loads(at.get("plotly_chart")[0].proto.spec)["data"][0]
    assert sorted(bars["y"]) == sorted(CLASS_NAMES) and sum(bars["x"]) == pytest.approx(1, abs=1e-3)
    assert f"It says **{bars['y'][-1]}**" in markdown(at)
    looked = at.selectbox(key="inside_gradcam_" + str(CLASS_NAMES.index(bars["y"][-1])))
    assert looked.value == CLASS_NAMES.index(bars["y"][-1])  # the top class, explained first
    assert "the last convolution's output, whose maps are a 16×16 grid" in captions(at)  # how coarse Grad-CAM is
    assert "32 [filters](glossary#filter) of the first convolution, *Conv2D 1*, each 3×3" in captions(at)
    images = at.get("image")
    assert len(images) == 5  # the image, the Grad-CAM, the strip of layers, the opened layer's maps, the filters
    assert all(url.endswith(".png") for img in images for url in img.value)
    (strip,) = [img for img in images if len(img.value) > 1]
    assert strip.captions == ["1", "2", "3", "4"]

    # one layer open at a time, by its name for people (no Keras layer name such as L1_conv)
    layer = at.get("select_slider")[0]
    assert layer.options == [
        "1 · Conv2D 1", "2 · MaxPooling2D 1", "3 · Conv2D 2", "4 · MaxPooling2D 2"]
    assert "**Layer 1 of 4: Conv2D 1** · output 32×32×32" in markdown(at)
    assert "32 maps of 32×32, so each of their pixels stands for about one pixel of the image" in captions(at)
    for i, shape, patch in ((1, "16×16×32", "2×2"), (3, "8×8×64", "4×4")):
        layer.set_value(i).run()
        assert not at.exception and f"output {shape}" in markdown(at) and f"about a {patch} patch" in captions(at)
        assert "L1_conv" not in markdown(at) + captions(at)

    at.selectbox(key="inside_class").set_value(CLASS_NAMES.index("ship"))
    at.number_input(key="inside_which").set_value(5)
    at.run()
    assert not at.exception and "a ship**" in captions(at)
    looked = next(s for s in at.selectbox if s.label == "Where it looked for")
    looked.set_value((looked.value + 1) % 10).run()  # another class to explain
    assert not at.exception and len(at.get("image")) == 5


def test_an_upload_of_ones_own(trained, monkeypatch):
    monkeypatch.setenv("CIFAR_DEMO_RUNS", str(trained))
    at = open_page("pages/inside.py")
    at.get("button_group")[0].set_value("Your own").run()
    assert "Upload a photo" in at.info[0].value and "The answer" not in [h.value for h in at.subheader]
    at.get("file_uploader")[0].set_value(("notes.png", b"not a picture", "image/png")).run()
    assert not at.exception and "not an image" in at.error[0].value
    at.get("file_uploader")[0].set_value(("sky.png", png(), "image/png")).run()
    assert not at.exception and "**sky.png**" in captions(at) and "**Layer 1 of 4: Conv2D 1**" in markdown(at)


def test_a_network_without_convolutions_is_explained_in_words(monkeypatch):
    import keras
    model = keras.Sequential([keras.Input((32, 32, 3)), keras.layers.Flatten(),
                              keras.layers.Dense(len(CLASS_NAMES), activation="softmax")])
    run = runs.create({"preset": "test"})
    run.save_model(model)
    run.set_status(runs.FINISHED)
    at = open_page("pages/inside.py")
    infos = " ".join(i.value for i in at.info)
    assert "no convolution layer, so it has no filters" in infos and "no feature maps to show" in infos
    assert "Grad-CAM needs one" in " ".join(c.value for c in at.caption)
    assert len(at.get("plotly_chart")) == 1 and not any(s.label == "Where it looked for" for s in at.selectbox)


def test_predict_shows_where_it_looked_for_any_class(trained, monkeypatch):
    monkeypatch.setenv("CIFAR_DEMO_RUNS", str(trained))
    at = open_page("pages/predict.py")
    at.get("file_uploader")[0].set_value(("sky.png", png(), "image/png")).run()
    assert not at.exception
    looked = next(s for s in at.selectbox if s.label == "Where it looked for")
    assert looked.value == CLASS_NAMES.index(markdown(at).split("The model says **")[1].split("**")[0])
    gradcams = [img for img in at.get("image") if (img.captions[0] or "").startswith("Bright: where it found")]
    assert len(gradcams) == 1
    other = (looked.value + 3) % 10
    looked.set_value(other).run()
    assert not at.exception
    gradcams = [img for img in at.get("image") if (img.captions[0] or "").startswith("Bright: where it found")]
    assert (gradcams and CLASS_NAMES[other] in gradcams[0].captions[0]) or "An empty map" in captions(at)
    assert "no evidence" in " ".join(h.proto.body for h in at.get("html"))  # its colour scale, drawn


def test_results_shows_where_it_looked_only_when_asked(trained, monkeypatch):
    monkeypatch.setenv("CIFAR_DEMO_RUNS", str(trained))
    at = open_page("pages/results.py")
    before = len(at.get("image"))
    assert before > 0 and not any(s.label == "Where it looked for" for s in at.selectbox)
    at.toggle(key="results_gradcam").set_value(True).run()
    assert not at.exception
    assert len(at.get("image")) == 2 * before  # an overlay under every image of the cell
    assert "bright where it found the most evidence" in captions(at)
    assert "whose maps are a 16×16 grid" in captions(at)
    looked = next(s for s in at.selectbox if s.label == "Where it looked for")
    looked.set_value((looked.value + 1) % 10).run()
    assert not at.exception and len(at.get("image")) == 2 * before


def test_results_without_convolutions_says_why_there_is_no_map(cifar):
    import keras

    from cifar_demo import evaluation
    model = keras.Sequential([keras.Input((32, 32, 3)), keras.layers.Flatten(),
                              keras.layers.Dense(len(CLASS_NAMES), activation="softmax")])
    run = runs.create({"preset": "test"})
    run.save_model(model)
    labels = cifar.y_test[:100]
    run.save_evaluation(evaluation.Evaluation(labels, np.eye(len(CLASS_NAMES), dtype=np.float32)[labels]))
    run.set_status(runs.FINISHED, test_accuracy=1.0)
    at = open_page("pages/results.py")
    at.toggle(key="results_gradcam").set_value(True).run()
    assert not at.exception
    assert "Grad-CAM needs one" in " ".join(c.value for c in at.caption)
