"""Lesson links and presenter mode in Streamlit's AppTest: the Train page's set-up follows into the address, a
link opens that set-up in a fresh session, a tampered link opens what it can and says what it ignored, presenter
mode hides the advanced settings but keeps their values, and the Labs page's open lab is in the address."""
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest
from test_app_train import layer_names, texts

from cifar_demo import links, recipes
from cifar_demo.settings import SETTINGS
from cifar_demo.spec import insert_layer

APP = str(Path(__file__).resolve().parent.parent / "app.py")
ADVANCED = [name for name, s in SETTINGS.items() if s.advanced]

pytestmark = pytest.mark.usefixtures("nothing_left_training")


def open_train(query: dict | None = None) -> AppTest:
    """A fresh session opening /train with this query, as a browser opening a link."""
    at = AppTest.from_file(APP, default_timeout=90)
    for key, value in (query or {}).items():
        at.query_params[key] = value
    at.switch_page("pages/train.py")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def setup_query(at: AppTest) -> dict:
    """The lesson-link part of the address."""
    return {k: v for k, v in at.query_params.items() if k in links.SETUP_KEYS}


def test_the_address_follows_the_setup_and_a_link_to_it_restores_it():
    at = open_train()
    assert setup_query(at) == {"preset": "fast"}  # as the page starts: nothing but the preset
    at.selectbox(key="train_preset").select("two_block").run()
    at.number_input(key="train_hp_two_block_epochs").set_value(3).run()
    at.number_input(key="train_hp_two_block_learning_rate").set_value(0.002).run()
    at.checkbox(key="train_hp_two_block_flip").check().run()
    at.selectbox(key="train_add_kind").select("dropout").run()
    next(b for b in at.button if b.label == "Add").click().run()
    assert not at.exception
    edited = insert_layer(recipes.preset("two_block").spec, 6, "dropout")
    query = setup_query(at)
    assert query == {"preset": "two_block", "epochs": "3", "learning_rate": "0.002", "flip": "1",
                     "layers": links.encode_layers(edited)}
    assert len("/train?" + "&".join(f"{k}={v}" for k, v in query.items())) < 2_000
    at.session_state["train_link_open"] = True  # the link to copy holds the set-up too
    at.run()
    assert f"/train?preset=two_block&epochs=3&learning_rate=0.002&flip=1&layers={query['layers']}" in texts(at, "code")

    again = open_train(query)  # a teacher's link, opened by a learner
    assert again.selectbox(key="train_preset").value == "two_block"
    assert again.number_input(key="train_hp_two_block_epochs").value == 3
    assert again.number_input(key="train_hp_two_block_learning_rate").value == pytest.approx(0.002)
    assert again.checkbox(key="train_hp_two_block_flip").value is True
    assert again.slider(key="train_hp_two_block_shift").value == 0  # not in the link: the preset's start
    assert [n.split(". ")[1] for n in layer_names(again)] == [layer["type"] for layer in edited]
    assert ("Opened the set-up from the link: the **Two-block** preset, with epochs 3, learning rate 0.002 and random "
            "flip left-right on. The layers are the link's own, not the preset's.") in texts(again, "info")
    assert "custom" in texts(again, "caption")  # edited layers: the run will be saved as custom
    assert setup_query(again) == query  # and the address stays as it was
    again.run()
    assert "Opened the set-up from the link" not in texts(again, "info")  # said once, not at every rerun


def test_undoing_the_changes_takes_them_out_of_the_address():
    at = open_train({"preset": "two_block", "epochs": "3",
                     "layers": links.encode_layers(insert_layer(recipes.preset("two_block").spec, 0, "batchnorm"))})
    assert set(setup_query(at)) == {"preset", "epochs", "layers"}
    next(b for b in at.button if b.label == "Back to the preset's layers").click().run()
    start = recipes.PRESETS["two_block"].train.get("epochs", 8)
    at.number_input(key="train_hp_two_block_epochs").set_value(start).run()
    assert setup_query(at) == {"preset": "two_block"}
    assert layer_names(at)[0] == "1. conv"  # the rerun after the address changed did not open the old link again


def test_a_tampered_link_opens_what_it_can_and_says_what_it_ignored():
    bad_rate = links.encode_layers([{"type": "dropout", "rate": 2}, {"type": "dense", "units": 10,
                                                                       "activation": "softmax"}])
    for layers in ("garbage!!", bad_rate):
        at = open_train({"preset": "no_such_net", "epochs": "abc", "seed": "-3", "learning_rate": "0.05",
                         "batch_size": "300", "optimizer": "[click](http://example.com)", "layers": layers})
        note = texts(at, "info")
        assert "Opened the set-up from the link" in note
        assert "no_such_net" in note and "epochs \u201cabc\u201d: not a number" in note
        assert "seed \u201c-3\u201d: seed must be at least 0" in note
        assert "its layers: " in note and "://" not in note and "](" not in note  # nothing from the link to click
        assert "batch size 256" in note and "batch size 300 → 256" in note  # not offered: the nearest that is
        assert at.selectbox(key="train_preset").value == recipes.DEFAULT_PRESET
        assert at.number_input(key="train_hp_fast_learning_rate").value == pytest.approx(0.05)  # the valid one
        assert at.number_input(key="train_hp_fast_epochs").value == recipes.PRESETS["fast"].train["epochs"]
        assert len(layer_names(at)) == len(recipes.PRESETS["fast"].spec)
        assert setup_query(at) == {"preset": "fast", "learning_rate": "0.05"}  # the address, cleaned


def test_presenter_mode_hides_the_advanced_settings_and_keeps_their_values():
    at = open_train()
    at.number_input(key="train_hp_fast_seed").set_value(7).run()
    at.toggle(key="presenter").set_value(True).run()
    assert not at.exception
    shown = {w.key for kind in ("number_input", "slider", "selectbox", "checkbox") for w in at.get(kind)}
    assert not shown & {f"train_hp_fast_{name}" for name in ADVANCED}
    assert "train_hp_fast_epochs" in shown
    assert f"Presenter mode hides {len(ADVANCED)} advanced settings" in texts(at, "caption")
    assert at.query_params["present"] == "1" and at.query_params["seed"] == "7"
    at.session_state["train_code_open"] = True  # the script of this set-up, written from its config
    at.run()
    assert "SEED = 7" in texts(at, "code")
    at.toggle(key="presenter").set_value(False).run()
    assert at.number_input(key="train_hp_fast_seed").value == 7
    assert "present" not in at.query_params


def test_a_link_with_present_opens_every_page_in_presenter_mode():
    at = open_train({"present": "1"})
    assert at.toggle(key="presenter").value is True
    assert not any(w.key == "train_hp_fast_seed" for w in at.number_input)
    for key in list(at.query_params):  # going to another page, a browser drops the address's query
        del at.query_params[key]
    at.switch_page("pages/glossary.py")
    at.run()
    assert at.toggle(key="presenter").value is True and at.query_params.get("present") == "1"


def test_presenter_mode_draws_the_charts_larger():
    import json

    def chart(present: bool) -> dict:
        at = AppTest.from_file(APP, default_timeout=90)
        at.switch_page("pages/explore.py")
        if present:
            at.query_params["present"] = "1"
        at.run()
        assert not at.exception
        at.tabs[1].run()  # Classes: the chart of images per class
        element = next(e for e in at.get("plotly_chart"))
        return json.loads(element.proto.spec)["layout"]

    usual, presented = chart(False), chart(True)
    assert presented["font"]["size"] > usual.get("font", {}).get("size", 12)


def test_a_link_opens_one_lab_and_the_address_follows_the_open_lab():
    at = AppTest.from_file(APP, default_timeout=90)
    at.query_params["lab"] = "convolution"
    at.switch_page("pages/labs.py")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.session_state["labs_tab"] == "A convolution by hand"
    at.session_state["labs_tab"] = "Show me the code"  # the learner opens another tab
    at.run()
    assert at.query_params["lab"] == "code"
