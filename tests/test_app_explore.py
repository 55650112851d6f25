"""The Home and Explore pages, driven through app.py with Streamlit's AppTest."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from cifar_demo import files, live, runs
from cifar_demo.data import CLASS_NAMES

APP = str(Path(__file__).resolve().parent.parent / "app.py")
TIMEOUT = 90  # the first run loads CIFAR-10; the augmentation tab imports TensorFlow


def open_page(path: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.run()
    at.switch_page(path)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def grid(at: AppTest) -> list[tuple[int, str]]:
    """(index, label) of each image in the sample grid, from the button under it: its class opens it up close."""
    return [(int(re.fullmatch(r"explore_open_(\d+)", b.key)[1]), b.label) for b in at.tabs[0].get("button")
            if (b.key or "").startswith("explore_open_")]


def widget(at: AppTest, kind: str, key: str):
    return next(w for w in at.get(kind) if w.key == key)


@pytest.fixture(scope="module")
def explore():
    return open_page("pages/explore.py")


def test_home_shows_the_four_steps_and_no_models_yet(monkeypatch):
    monkeypatch.setattr(runs, "default_run", lambda: None)
    at = open_page("pages/home.py")
    links = [link.proto.page for link in at.get("page_link")]
    for page in ("explore", "train", "results", "predict"):
        assert any(page in link for link in links), links
    assert [m.value for m in at.metric][:2] == ["0", "0"]
    assert [img.captions[0] for img in at.get("image")] == list(CLASS_NAMES)


@pytest.mark.parametrize("present, classes_per_row, steps_per_row", [("0", 10, 4), ("1", 5, 2)])
def test_home_in_presenter_mode_gives_its_larger_words_room(present, classes_per_row, steps_per_row):
    # at 1280 pixels presenter mode cut "automobile" in two and the default model's accuracy to "90.…"
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.query_params["present"] = present
    at.run()
    at.switch_page("pages/home.py")
    at.run()
    assert not at.exception
    columns = at.main.columns
    classes = [c.weight for c in columns if c.get("image")]
    steps = [c.weight for c in columns if c.get("page_link")][:4]
    assert len(classes) == 10 and classes == pytest.approx([1 / classes_per_row] * 10)
    assert steps == pytest.approx([1 / steps_per_row] * 4)
    assert [m.label for m in at.metric] == ["Training runs", "Models to predict with", "Default model"]


def test_home_shows_the_training_under_way():
    run = runs.create({"preset": "two_block", "epochs": 4}, name="two_block")  # marked running by this process
    files.write_json(run.path / live.LIVE_FILE, {"phase": live.RUNNING, "epoch": 2, "epochs": 4, "batch": 5,
                                                 "steps_per_epoch": 10, "started": 0})
    at = open_page("pages/home.py")
    progress = at.main.get("progress")
    assert len(progress) == 1 and progress[0].proto.value == 37  # 15 of 40 batches
    assert run.id in progress[0].proto.text and "epoch 2 of 4" in progress[0].proto.text
    assert any("train" in link.proto.page and "Watch" in link.proto.label for link in at.get("page_link"))


def test_the_grid_shows_40_labelled_images_of_the_train_split(explore, cifar):
    shown = grid(explore)
    assert len(shown) == 40
    assert all(CLASS_NAMES[cifar.y_train[i]] == label for i, label in shown)
    assert all(image.value[0].endswith(".png") for image in explore.tabs[0].get("image")[:40])  # no JPEG smear
    assert "Page 1 of 1,250" in explore.caption[1].value


def test_the_same_seed_shows_the_same_grid_and_reshuffle_changes_it():
    at = open_page("pages/explore.py")
    first = grid(at)
    at.button[0].click().run()  # Reshuffle
    assert not at.exception
    seed = widget(at, "number_input", "explore_seed").value
    assert grid(at) != first and f"seed {seed}" in at.caption[1].value
    widget(at, "number_input", "explore_seed").set_value(0).run()
    assert grid(at) == first


def test_filter_by_class_then_page_through():
    at = open_page("pages/explore.py")
    widget(at, "button_group", "explore_classes").set_value([CLASS_NAMES.index("ship"),
                                                            CLASS_NAMES.index("frog")]).run()
    first = grid(at)
    assert {label for _, label in first} <= {"ship", "frog"}
    assert "Page 1 of 250" in at.caption[1].value  # 10,000 images, 40 a page
    at.get("pagination")[0].set_value(2).run()
    second = grid(at)
    assert not at.exception and "Page 2 of 250" in at.caption[1].value
    assert {label for _, label in second} <= {"ship", "frog"} and not set(first) & set(second)


def test_the_test_split_and_the_close_up(cifar):
    at = open_page("pages/explore.py")
    widget(at, "number_input", "explore_index").set_value(45_000).run()
    widget(at, "button_group", "explore_split").set_value("test").run()  # 45,000 is past the test split
    assert not at.exception
    index = widget(at, "number_input", "explore_index").value
    assert index == grid(at)[0][0] < 10_000  # back to the grid's first image
    assert all(CLASS_NAMES[cifar.y_test[i]] == label for i, label in grid(at))
    widget(at, "number_input", "explore_index").set_value(7).run()
    close_up = at.tabs[0].get("image")[40]  # after the grid's 40
    assert close_up.captions[0].startswith(f"#7 · {CLASS_NAMES[cifar.y_test[7]]} · test split")
    facts = {row[""]: row for row in at.table[0].value.to_dict("records")}
    stored, given = "As stored (0–255)", "As the network gets it (÷255)"
    assert (facts["Number type"][stored], facts["Number type"][given]) == ("uint8", "float32")
    assert facts["Highest"][stored] == f"{cifar.x_test[7].max()}" and float(facts["Highest"][given]) <= 1
    row = at.dataframe[0].value
    assert row["red"].tolist() == cifar.x_test[7][16, :, 0].tolist()  # the middle row by default


def test_clicking_an_image_in_the_grid_opens_it_up_close(explore, cifar):
    at = open_page("pages/explore.py")
    index, label = grid(at)[7]
    button = next(b for b in at.tabs[0].get("button") if b.key == f"explore_open_{index}")
    assert button.label == label and button.help.startswith(f"Image #{index:,}")
    button.click().run()
    assert not at.exception
    assert widget(at, "number_input", "explore_index").value == index
    assert at.tabs[0].get("image")[40].captions[0].startswith(f"#{index} · {label} · train split")
    opened = [b for b in at.tabs[0].get("button") if (b.key or "").startswith("explore_open_") and b.proto.icon]
    assert [b.key for b in opened] == [f"explore_open_{index}"]  # the grid marks the one open


def test_classes_tab_draws_counts_and_ten_mean_images():
    at = open_page("pages/explore.py")
    at.session_state["explore_tab"] = "Classes"
    at.run()
    assert not at.exception
    assert [img.captions[0] for img in at.tabs[1].get("image")] == list(CLASS_NAMES)


def test_augmentation_tab_shows_the_original_and_eight_copies():
    at = open_page("pages/explore.py")
    at.session_state["explore_tab"] = "Augmentation"
    at.run()
    assert not at.exception
    images = at.tabs[2].get("image")
    assert [img.captions[0] for img in images] == ["original"] + [f"copy {i}" for i in range(1, 9)]
    before = [img.value for img in images]
    next(b for b in at.button if b.label == "New draw").click().run()
    assert not at.exception and [img.value for img in at.tabs[2].get("image")] != before
    widget(at, "toggle", "augment_flip").set_value(False)
    widget(at, "slider", "augment_shift").set_value(0).run()
    urls = {img.value[0] for img in at.tabs[2].get("image")}
    assert len(urls) == 1  # no augmentation: all nine are the same picture
    widget(at, "slider", "augment_cutout").set_value(8).run()
    assert not at.exception and len({img.value[0] for img in at.tabs[2].get("image")}) > 1  # squares greyed out
