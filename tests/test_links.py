"""Lesson links without Streamlit: every setting and every preset's layers go through a link and back, and a
tampered link is read as far as it can be, with each part it ignores said in words that quote nothing clickable."""
import base64
import json
import zlib

import pytest

from cifar_demo import links, recipes
from cifar_demo.settings import SETTINGS, TrainConfig
from cifar_demo.spec import insert_layer, set_param


def packed(obj) -> str:
    """Any JSON as a ``layers=`` text, the way a link packs one."""
    return base64.urlsafe_b64encode(zlib.compress(json.dumps(obj).encode())).decode().rstrip("=")


@pytest.mark.parametrize("key", list(recipes.PRESETS))
def test_every_presets_layers_go_through_a_short_link_and_back(key):
    spec = set_param(insert_layer(recipes.preset(key).spec, 1, "dropout"), 0, "kernel", 3)
    text = links.encode_layers(spec)
    assert links.decode_layers(text) == spec
    assert len(text) < 400 and text.replace("-", "").replace("_", "").isalnum()  # URL-safe as it is


def test_a_config_goes_through_a_link_and_back_with_only_its_changes_written():
    start = TrainConfig.for_preset("long").to_dict()
    changed = {**start, "epochs": 3, "learning_rate": 1.5e-5, "subset": None, "test_subset": 1_000, "flip": False,
               "optimizer": "adamw", "warmup_epochs": 0.25, "seed": 2**31 - 1}
    settings = {name: changed[name] for name in SETTINGS}
    query = links.setup_query("long", settings, start)
    assert set(query) == {"preset", "epochs", "learning_rate", "test_subset", "flip", "optimizer", "warmup_epochs",
                          "seed"} | ({"subset"} if start["subset"] is not None else set())
    assert query["learning_rate"] == "1.5e-05" and query["flip"] == "0"
    opened = links.read_query(query)
    assert opened.preset == "long" and not opened.ignored and opened.spec is None
    assert {**start, **opened.settings} == {**start, **{k: v for k, v in changed.items() if k in SETTINGS}}


@pytest.mark.parametrize("setting, text, why", [
    ("epochs", "abc", "not a number"), ("epochs", "2.5", "not a whole number"),
    ("epochs", "201", "epochs must be at most 200"), ("learning_rate", "0", "learning rate must be above 0"),
    ("learning_rate", "inf", "learning rate must be a number"), ("optimizer", "adm", "not one of its choices"),
    ("flip", "maybe", "on is 1, off is 0"), ("subset", "5", "training images must be at least 10"),
])
def test_a_bad_value_is_ignored_and_said(setting, text, why):
    opened = links.read_query({"preset": "two_block", setting: text, "epochs" if setting != "epochs" else "seed": "4"})
    assert setting not in opened.settings and len(opened.settings) == 1
    assert opened.ignored == [f"{SETTINGS[setting].label.lower()} \u201c{text}\u201d: {why}"]


@pytest.mark.parametrize("layers, why", [
    ("not-a-link", "could not be read"),
    (links.encode_layers(recipes.preset("fast").spec)[:-6], "could not be read"),  # cut short
    (packed({"type": "conv"}), "not a list of layers"),
    (packed([{"type": "lstm"}]), "layer 1 is not a layer this app knows"),
    (packed([{"type": "conv", "filters": 10**6}]), "layer 1 (Conv2D): its filters cannot be \u201c1000000\u201d"),
    (packed([{"type": "conv", "filters": True}]), "its filters cannot be"),
    (packed([{"type": "dense", "colour": 1}]), "layer 1 (Dense) has no setting called \u201ccolour\u201d"),
    (packed([{"type": "dense", "activation": "[x](http://e.com)"}]), "its activation cannot be \u201cxhttpecom\u201d"),
    (packed([{"type": "dropout", "rate": 1.5}]), "the dropout rate must be in [0, 1)"),
    (packed([{"type": "flatten"}] * 65), "65 layers, more than the 64"),
    (base64.urlsafe_b64encode(zlib.compress(b"[" + b" " * 200_000 + b"]")).decode(), "could not be read"),
])
def test_layers_that_cannot_be_used_leave_the_presets_and_say_why(layers, why):
    opened = links.read_query({"preset": "two_block", "layers": layers, "epochs": "4"})
    assert opened.spec is None and opened.settings == {"epochs": 4}
    assert len(opened.ignored) == 1 and why in opened.ignored[0]


def test_an_unknown_preset_starts_from_the_fallback_and_quotes_nothing_clickable():
    opened = links.read_query({"preset": "[win](https://www.example.com)"}, fallback="two_block")
    assert opened.preset == "two_block"
    assert opened.ignored == ["the preset \u201cwinhttpswwwexamplecom\u201d: there is no such preset"]
    assert links.shown("1.5e-3") == "1.5e-3" and links.shown("x" * 30) == "x" * 24 + "\u2026"


def test_an_empty_network_is_a_network_a_link_can_hold():
    assert links.read_query({"layers": links.encode_layers([])}).spec == []


def test_values_are_told_in_words():
    told = [links.value_words(SETTINGS[name], value) for name, value in
            [("flip", True), ("flip", False), ("subset", None), ("subset", 2_000), ("optimizer", "nesterov"),
             ("learning_rate", 2e-3)]]
    assert told == ["on", "off", "all", "2,000", "SGD with Nesterov momentum", "0.002"]
