"""The Train page in Streamlit's AppTest: the layer editor, its summary, the settings, and a real tiny training."""
import base64
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from cifar_demo import files, live, models, recipes, runs, trainqueue
from cifar_demo.spec import LAYER_NAMES

APP = str(Path(__file__).resolve().parent.parent / "app.py")


def train_page() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=90)
    at.switch_page("pages/train.py")
    return at.run()


def texts(at, kind: str) -> str:
    return "\n".join(str(e.value) for e in at.get(kind))


def layer_names(at) -> list[str]:
    """'N. type' for each row of the layer editor, from the name it shows people (spec.LAYER_NAMES)."""
    types = {name: kind for kind, name in LAYER_NAMES.items()}
    shown = [m.value.strip("*") for m in at.markdown if m.value.startswith("**") and ". " in m.value[:8]]
    return [f"{n}. {types.get(name, name)}" for n, _, name in (s.partition(". ") for s in shown)]


def start_button(at):
    return at.button(key="train_start")


def summary_rows(at) -> list[str]:
    return list(summary_table(at)["Layer"])


def summary_table(at):
    """The "What it computes" table: output shape, parameters and FLOPs per layer."""
    return next(d for d in at.dataframe if "Layer" in d.value).value


def button(at, prefix: str, i: int):
    """The move/remove button of layer i (0-based) in the current editor version."""
    return next(b for b in at.button if b.key and b.key.startswith(prefix) and b.key.endswith(f"_{i}"))


pytestmark = pytest.mark.usefixtures("nothing_left_training")


def fake_run(status: str, *, batches=(), history=(), error=None) -> runs.Run:
    """A run folder as a trainer leaves it: config, status, history and live.json (written by this process)."""
    run = runs.create({"preset": "fast", "epochs": 8})
    files.write_json(run.path / "history.json", list(history))
    files.write_json(run.path / live.LIVE_FILE, {"phase": live.RUNNING, "epoch": 1, "epochs": 8,
                                                 "batch": len(batches), "steps_per_epoch": 100,
                                                 "batches": list(batches), "started": time.time()})
    if status != runs.RUNNING:
        run.set_status(status, error=error)
    return run


def test_default_is_the_fast_preset_with_its_summary():
    at = train_page()
    assert not at.exception
    assert at.selectbox(key="train_preset").value == "fast"
    spec = recipes.PRESETS["fast"].spec
    assert layer_names(at) == [f"{i}. {layer['type']}" for i, layer in enumerate(spec, start=1)]
    rows = models.summarize(spec)
    table = summary_table(at)
    assert list(table["Layer"]) == ["input image"] + [f"{r.index + 1}. {LAYER_NAMES[r.kind]}" for r in rows]
    assert list(table["Parameters"])[1:] == [r.params for r in rows]
    assert list(table["FLOPs"])[1:] == [r.flops for r in rows]
    assert {m.label: m.value for m in at.metric}["Parameters"] == f"{sum(r.params for r in rows):,}"
    # the preset's tutorial settings
    assert at.number_input(key="train_hp_fast_epochs").value == recipes.PRESETS["fast"].train["epochs"] == 5
    assert at.selectbox(key="train_hp_fast_optimizer").value == "muon"
    peak = recipes.PRESETS["fast"].train["learning_rate"]
    assert at.number_input(key="train_hp_fast_learning_rate").value == pytest.approx(peak)
    assert not start_button(at).disabled


def test_choosing_a_preset_loads_its_layers_and_settings():
    at = train_page()
    at.selectbox(key="train_preset").select("keras_tutorial").run()
    assert not at.exception
    assert [n.split(". ")[1] for n in layer_names(at)] == [x["type"] for x in recipes.PRESETS["keras_tutorial"].spec]
    assert at.number_input(key="train_hp_keras_tutorial_epochs").value == 25
    assert at.slider(key="train_hp_keras_tutorial_validation_split").value == pytest.approx(0.2)
    assert "Reported 75% test accuracy" in texts(at, "caption")


def test_removing_the_softmax_is_a_clear_error_and_start_is_disabled():
    at = train_page()
    n = len(recipes.PRESETS["fast"].spec)
    button(at, "train_remove_", n - 1).click().run()
    assert not at.exception
    assert len(layer_names(at)) == n - 1
    assert "the last layer must be a softmax" in texts(at, "error")
    assert start_button(at).disabled
    assert "custom" in texts(at, "caption")
    # back to the preset: valid again
    next(b for b in at.button if b.label == "Back to the preset's layers").click().run()
    assert not at.exception
    assert not at.error and not start_button(at).disabled
    assert len(layer_names(at)) == n


def test_a_dense_layer_on_a_map_names_the_layer():
    at = train_page()
    at.selectbox(key="train_preset").select("two_block").run()
    at.selectbox(key="train_add_kind").select("dense").run()
    where = next(s for s in at.selectbox if s.key and s.key.startswith("train_add_at_"))
    where.select(0).run()  # before layer 1
    next(b for b in at.button if b.label == "Add").click().run()
    assert not at.exception
    assert layer_names(at)[0] == "1. dense"
    assert "layer 1 (dense" in texts(at, "error")
    assert start_button(at).disabled


def test_move_edit_and_add_layers_update_the_summary():
    at = train_page()
    at.selectbox(key="train_preset").select("two_block").run()  # conv pool conv pool flatten dense dense
    button(at, "train_down_", 0).click().run()  # conv below the first pool
    assert layer_names(at)[:2] == ["1. pool", "2. conv"]
    assert summary_rows(at)[1:3] == ["1. Pooling", "2. Conv2D"]
    assert list(summary_table(at)["Output shape"])[1:3] == ["16×16×3", "16×16×32"]
    button(at, "train_up_", 1).click().run()  # and back
    assert layer_names(at)[:2] == ["1. conv", "2. pool"]

    filters = next(n for n in at.number_input if n.key and n.key.endswith("_0_filters"))
    filters.set_value(8).run()
    assert not at.exception
    assert list(summary_table(at)["Output shape"])[1] == "32×32×8"
    assert list(summary_table(at)["Parameters"])[1] == 3 * 3 * 3 * 8 + 8

    at.selectbox(key="train_add_kind").select("dropout").run()
    next(b for b in at.button if b.label == "Add").click().run()  # default place: before the last layer
    names = layer_names(at)
    assert len(names) == 8 and names[-2] == "7. dropout" and names[-1] == "8. dense"
    assert not at.error and not start_button(at).disabled


def test_a_failed_training_shows_its_reason_and_links_to_results():
    run = fake_run(runs.FAILED, error="the loss became nan at epoch 1, batch 3: training diverged. Try a smaller "
                                      "learning rate.")
    at = train_page()
    assert not at.exception
    assert "training diverged" in texts(at, "error")
    links = at.get("page_link")
    assert any(run.id in link.proto.label for link in links)
    assert not start_button(at).disabled  # a failed training does not block the next


def svg_images(at) -> list[ET.Element]:
    """The SVG pictures st.image shows, parsed back from their data URLs."""
    prefix = "data:image/svg+xml;base64,"
    return [ET.fromstring(base64.b64decode(url[len(prefix):])) for image in at.get("image") for url in image.value
            if url.startswith(prefix)]


def test_live_charts_are_svg_while_it_trains_and_can_be_turned_off():
    batches = tuple({"step": i, "epoch": 1, "batch": i, "loss": 2.0 - i / 100, "accuracy": i / 100, "lr": 0.1}
                    for i in range(1, 41))
    history = ({"epoch": 1, "loss": 1.6, "accuracy": 0.4, "val_loss": 1.7, "val_accuracy": 0.38},)
    run = fake_run(runs.RUNNING, batches=batches, history=history)
    at = train_page()
    assert not at.exception
    assert at.toggle(key="train_live_charts").value is True
    # while it trains the curves are static pictures, cheap for the browser: no Plotly to redraw
    assert not at.get("plotly_chart")
    per_batch, per_epoch = svg_images(at)
    polylines = "{http://www.w3.org/2000/svg}polyline"
    assert len(list(per_batch.iter(polylines))) == 4  # loss and accuracy, each per batch and averaged
    assert len(list(per_epoch.iter(polylines))) == 0  # one epoch: train and validation are a dot each
    assert len(list(per_epoch.iter("{http://www.w3.org/2000/svg}circle"))) == 2

    at.toggle(key="train_live_charts").set_value(False).run()
    assert not at.exception
    assert not at.get("plotly_chart") and not svg_images(at)
    assert "Live charts are off" in texts(at, "caption")
    assert "Training now" in texts(at, "markdown")  # the progress goes on

    run.set_status(runs.STOPPED)  # once it has ended the curves are drawn whatever the toggle said, interactive
    at.run()
    assert not at.exception
    assert not [t for t in at.toggle if t.key == "train_live_charts"]
    assert "Live charts are off" not in texts(at, "caption")
    assert len(at.get("plotly_chart")) == 2 and not svg_images(at)


def wait_for(condition, timeout=240, poll=None):
    """Wait until ``condition()`` holds, calling ``poll()`` (a page's rerun, as a browser would) meanwhile."""
    deadline = time.time() + timeout
    while not condition() and time.time() < deadline:
        time.sleep(1)
        if poll is not None:
            poll()
    assert condition(), "not in time"


@pytest.mark.slow
def test_start_watch_from_a_second_session_and_stop_from_it():
    at = train_page()
    at.selectbox(key="train_hp_fast_subset").select(500).run()
    at.selectbox(key="train_hp_fast_test_subset").select(1000).run()
    at.number_input(key="train_hp_fast_epochs").set_value(20).run()
    at.slider(key="train_hp_fast_cutout").set_value(6).run()
    start_button(at).click().run()
    assert not at.exception
    (run,) = runs.list_runs()
    config = run.config
    assert (config["subset"], config["epochs"], config["cutout"], config["preset"]) == (500, 20, 6, "fast")
    wait_for(lambda: run.status == runs.RUNNING)  # a worker process took it from the queue
    assert run.status_record()["pid"] != __import__("os").getpid()

    # another browser session sees the same training, and stops it
    other = train_page()
    assert not other.exception
    assert f"Training now: run `{run.id}`" in texts(other, "markdown")
    # while it trains the set-up is drawn only once its expander is opened; Start then joins the queue
    assert not [b for b in other.button if b.key == "train_start"] and not other.selectbox
    other.session_state["train_setup_open"] = True
    other.run()
    assert start_button(other).label == "Add to the queue" and not start_button(other).disabled
    next(b for b in other.button if b.key == f"train_stop_{run.id}").click().run()
    assert not other.exception
    wait_for(lambda: run.status in (runs.STOPPED, runs.FINISHED))

    at.run()
    assert not at.exception
    assert "Last training" in texts(at, "markdown")
    shown = texts(at, "warning") + texts(at, "success")
    assert ("Stopped" if run.status == runs.STOPPED else "Finished") in shown
    assert any(run.id in link.proto.label for link in at.get("page_link"))
    assert start_button(at).label == "Start training"


@pytest.mark.slow
def test_a_second_start_queues_and_trains_after_the_first():
    first, second = train_page(), train_page()
    for at in (first, second):
        at.selectbox(key="train_preset").select("two_block").run()
        at.selectbox(key="train_hp_two_block_subset").select(500).run()
        at.selectbox(key="train_hp_two_block_test_subset").select(1000).run()
        at.number_input(key="train_hp_two_block_epochs").set_value(2).run()
    start_button(first).click().run()
    start_button(second).click().run()
    assert not first.exception and not second.exception
    older, newer = sorted(runs.list_runs(), key=lambda r: r.status_record()["created"])
    assert newer.status == runs.QUEUED and trainqueue.place(newer) in (1, 2)  # the first may not have started yet
    second.run()
    assert "Waiting to train" in texts(second, "markdown") and "(yours)" in texts(second, "markdown")
    wait_for(lambda: newer.status == runs.FINISHED, timeout=400, poll=second.run)
    assert older.status == runs.FINISHED
    # in order: the first finished before the second started
    assert older.status_record()["updated"] <= files.read_json(newer.path / live.LIVE_FILE)["started"] + 1
    second.run()
    assert not second.exception and "Finished" in texts(second, "success")


def test_all_images_is_a_choice_the_select_boxes_keep_across_reruns():
    """None ("all") would show as an empty select box ("Choose an option"); all is offered as the count."""
    at = train_page()
    box = at.selectbox(key="train_hp_fast_test_subset")
    assert box.value == 10_000 and "all 10,000" in box.options
    at.selectbox(key="train_hp_fast_subset").select(50_000).run()
    at.run()
    assert at.selectbox(key="train_hp_fast_subset").value == 50_000
    assert at.selectbox(key="train_hp_fast_test_subset").value == 10_000
    assert "Trains on 50,000 images" in texts(at, "caption")


def test_the_setup_can_be_read_as_a_keras_script():
    at = train_page()
    assert not at.get("code")  # written only when opened
    at.session_state["train_code_open"] = True
    at.run()
    assert not at.exception
    command, code = at.get("code")  # how to try it, then the script
    assert command.value.endswith("--epochs 1 --subset 2000")
    assert "keras.Sequential" in code.value and "import cifar_demo" not in code.value


def test_the_fast_preset_lists_its_speed_tricks_each_with_its_switch_and_names_its_keras_layers():
    at = train_page()
    tricks = next(d for d in at.dataframe if "Trick" in d.value).value
    assert len(tricks) == len(recipes.TRICKS) and all(tricks["To turn it off"])
    assert "Keras: Conv2D, MaxPooling2D, BatchNormalization, Activation, Conv2D, BatchNormalization, Activation" \
        in texts(at, "caption")
    assert at.checkbox(key="train_hp_fast_identity_start").value is True  # the switch the table names
    at.selectbox(key="train_preset").select("two_block").run()
    assert not [d for d in at.dataframe if "Trick" in d.value]  # no tricks in a tutorial's network
