"""A run's settings as rows people read, and the settings that differ between runs."""
import re

from cifar_demo import config_table
from cifar_demo.settings import SETTINGS, TrainConfig

CODE = re.compile(r"\b[a-z][a-z0-9]*_[a-z0-9_]+\b")  # a snake_case identifier


def test_values_read_as_words_with_their_units():
    text = config_table.value_text
    assert text(SETTINGS["flip"], True) == "yes" and text(SETTINGS["lookahead"], False) == "no"
    assert text(SETTINGS["shift"], 2) == "2 pixels" and text(SETTINGS["shift"], 1) == "1 pixel"
    assert text(SETTINGS["cutout"], 8) == "8 pixels a side" and text(SETTINGS["warmup_epochs"], 1.0) == "1 epoch"
    assert text(SETTINGS["optimizer"], "nesterov") == "SGD with Nesterov momentum"
    assert text(SETTINGS["schedule"], "warmup_linear") == "warm-up, then linear decay"
    assert text(SETTINGS["subset"], None) == "all" and text(SETTINGS["subset"], 2000) == "2,000"
    assert text(SETTINGS["learning_rate"], 0.002) == "0.002" and text(SETTINGS["weight_decay"], 0.0) == "0"


def test_a_config_becomes_rows_of_labels_values_and_meanings_without_code_names():
    config = TrainConfig.for_preset("keras_tutorial", epochs=3, subset=500).to_dict()
    rows = config_table.config_rows(config)
    by_setting = {row["setting"]: row for row in rows}
    assert by_setting["Preset"]["value"] == "Keras tutorial"
    assert by_setting["Network"]["value"].startswith("Conv2D 32 → MaxPooling2D → Conv2D 64")
    assert by_setting["Network"]["value"].endswith("Dropout 0.5 → Dense 10")
    assert by_setting["Epochs"]["value"] == "3" and by_setting["Training images"]["value"] == "500"
    assert by_setting["Optimizer"]["meaning"] == SETTINGS["optimizer"].help
    assert len(rows) == 2 + len(SETTINGS)
    assert not [row for row in rows for text in row.values() if CODE.search(text)]


def test_an_old_config_had_the_defaults_of_settings_added_since_and_an_import_has_what_is_known():
    old = {k: v for k, v in TrainConfig.for_preset("two_block").to_dict().items() if k != "cutout"}
    assert {r["setting"]: r["value"] for r in config_table.config_rows(old)}["Cutout square"] == "0 pixels a side"
    imported = config_table.config_rows({"preset": "imported", "architecture": "5 layers, 1,000 parameters",
                                         "test_subset": 2000})
    assert [(r["setting"], r["value"]) for r in imported] == [
        ("Preset", "Imported model"), ("Network", "5 layers, 1,000 parameters"), ("Test images", "2,000")]


def test_only_the_settings_that_differ_are_listed_each_with_one_value_per_run():
    a = TrainConfig.for_preset("two_block", epochs=3).to_dict()
    b = TrainConfig.for_preset("two_block", epochs=5, flip=True).to_dict()
    c = TrainConfig.for_preset("two_block", epochs=3, learning_rate=0.01).to_dict()
    assert config_table.differing([a, b, c]) == [
        {"setting": "Epochs", "values": ["3", "5", "3"]},
        {"setting": "Learning rate", "values": ["0.001", "0.001", "0.01"]},
        {"setting": "Random flip left-right", "values": ["no", "yes", "no"]}]
    assert config_table.differing([a, a]) == []
    other = config_table.differing([a, TrainConfig.for_preset("keras_tutorial").to_dict()])
    assert [r["setting"] for r in other][:2] == ["Preset", "Network"]


def test_presets_are_named_as_people_call_them():
    assert config_table.preset_title("two_block") == "Two-block"
    assert config_table.preset_title("custom").startswith("Custom") and config_table.preset_title("x") == "x"
