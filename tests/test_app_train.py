"""The Train page in Streamlit's AppTest: the layer editor, its summary, the settings, and a real tiny training."""
import base64
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from cifar_demo import jobs, models, recipes, runs

APP = str(Path(__file__).resolve().parent.parent / "app.py")


def train_page() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=90)
    at.switch_page("pages/train.py")
    return at.run()


def texts(at, kind: str) -> str:
    return "\n".join(str(e.value) for e in at.get(kind))


def layer_names(at) -> list[str]:
    return [m.value.strip("*") for m in at.markdown if m.value.startswith("**") and ". " in m.value[:8]]


def start_button(at):
    return at.button(key="train_start")


def summary_rows(at) -> list[str]:
    return list(at.dataframe[0].value["Layer"])


def button(at, prefix: str, i: int):
    """The move/remove button of layer i (0-based) in the current editor version."""
    return next(b for b in at.button if b.key and b.key.startswith(prefix) and b.key.endswith(f"_{i}"))


@pytest.fixture(autouse=True)
def no_job_left_running():
    yield
    job = jobs._current  # not jobs.current(), which a test may have replaced
    if job is not None and job.active:
        job.stop()
        job.join(120)


@pytest.fixture
def idle(monkeypatch):
    """No job in this process, whatever earlier tests trained."""
    monkeypatch.setattr(jobs, "current", lambda: None)


def test_default_is_the_fast_preset_with_its_summary(idle):
    at = train_page()
    assert not at.exception
    assert at.selectbox(key="train_preset").value == "fast"
    spec = recipes.PRESETS["fast"].spec
    assert layer_names(at) == [f"{i}. {layer['type']}" for i, layer in enumerate(spec, start=1)]
    rows = models.summarize(spec)
    table = at.dataframe[0].value
    assert list(table["Layer"]) == ["input image"] + [f"{r.index + 1}. {r.kind}" for r in rows]
    assert list(table["Parameters"])[1:] == [r.params for r in rows]
    assert list(table["FLOPs"])[1:] == [r.flops for r in rows]
    assert {m.label: m.value for m in at.metric}["Parameters"] == f"{sum(r.params for r in rows):,}"
    # the preset's tutorial settings
    assert at.number_input(key="train_hp_fast_epochs").value == 8
    assert at.selectbox(key="train_hp_fast_optimizer").value == "nesterov"
    peak = recipes.PRESETS["fast"].train["learning_rate"]
    assert at.number_input(key="train_hp_fast_learning_rate").value == pytest.approx(peak)
    assert not start_button(at).disabled


def test_choosing_a_preset_loads_its_layers_and_settings(idle):
    at = train_page()
    at.selectbox(key="train_preset").select("keras_tutorial").run()
    assert not at.exception
    assert [n.split(". ")[1] for n in layer_names(at)] == [x["type"] for x in recipes.PRESETS["keras_tutorial"].spec]
    assert at.number_input(key="train_hp_keras_tutorial_epochs").value == 25
    assert at.slider(key="train_hp_keras_tutorial_validation_split").value == pytest.approx(0.2)
    assert "Reported 75% test accuracy" in texts(at, "caption")


def test_removing_the_softmax_is_a_clear_error_and_start_is_disabled(idle):
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


def test_a_dense_layer_on_a_map_names_the_layer(idle):
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


def test_move_edit_and_add_layers_update_the_summary(idle):
    at = train_page()
    at.selectbox(key="train_preset").select("two_block").run()  # conv pool conv pool flatten dense dense
    button(at, "train_down_", 0).click().run()  # conv below the first pool
    assert layer_names(at)[:2] == ["1. pool", "2. conv"]
    assert summary_rows(at)[1:3] == ["1. pool", "2. conv"]
    assert list(at.dataframe[0].value["Output shape"])[1:3] == ["16×16×3", "16×16×32"]
    button(at, "train_up_", 1).click().run()  # and back
    assert layer_names(at)[:2] == ["1. conv", "2. pool"]

    filters = next(n for n in at.number_input if n.key and n.key.endswith("_0_filters"))
    filters.set_value(8).run()
    assert not at.exception
    assert list(at.dataframe[0].value["Output shape"])[1] == "32×32×8"
    assert list(at.dataframe[0].value["Parameters"])[1] == 3 * 3 * 3 * 8 + 8

    at.selectbox(key="train_add_kind").select("dropout").run()
    next(b for b in at.button if b.label == "Add").click().run()  # default place: before the last layer
    names = layer_names(at)
    assert len(names) == 8 and names[-2] == "7. dropout" and names[-1] == "8. dense"
    assert not at.error and not start_button(at).disabled


def test_failed_job_shows_its_reason_and_links_to_results(monkeypatch):
    class FailedJob:
        run = runs.Run(Path("runs/20260101-000000-fast"))

        def snapshot(self):
            return jobs.Snapshot("20260101-000000-fast", runs.FAILED, 1, 8, 3, 10, error=(
                "the loss became nan at epoch 1, batch 3: training diverged. Try a smaller learning rate."))

        def stop(self):
            raise AssertionError("a finished job is not stopped")

    monkeypatch.setattr(jobs, "current", lambda: FailedJob())
    at = train_page()
    assert not at.exception
    assert "training diverged" in texts(at, "error")
    links = at.get("page_link")
    assert any("20260101-000000-fast" in link.proto.label for link in links)
    assert not start_button(at).disabled  # a failed job does not block the next


def svg_images(at) -> list[ET.Element]:
    """The SVG pictures st.image shows, parsed back from their data URLs."""
    prefix = "data:image/svg+xml;base64,"
    return [ET.fromstring(base64.b64decode(url[len(prefix):])) for image in at.get("image") for url in image.value
            if url.startswith(prefix)]


def test_live_charts_are_svg_while_it_trains_and_can_be_turned_off(monkeypatch):
    batches = tuple({"step": i, "epoch": 1, "batch": i, "loss": 2.0 - i / 100, "accuracy": i / 100, "lr": 0.1}
                    for i in range(1, 41))
    history = ({"epoch": 1, "loss": 1.6, "accuracy": 0.4, "val_loss": 1.7, "val_accuracy": 0.38},)

    class RunningJob:
        run = runs.Run(Path("runs/20260101-000000-fast"))
        status = jobs.RUNNING

        def snapshot(self):
            return jobs.Snapshot("20260101-000000-fast", self.status, 1, 8, 40, 100, batches=batches,
                                 history=history)

        def stop(self):
            pass

    job = RunningJob()
    monkeypatch.setattr(jobs, "current", lambda: job)
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

    job.status = runs.STOPPED  # once it has ended the curves are drawn whatever the toggle said, interactive
    at.run()
    assert not at.exception
    assert not [t for t in at.toggle if t.key == "train_live_charts"]
    assert "Live charts are off" not in texts(at, "caption")
    assert len(at.get("plotly_chart")) == 2 and not svg_images(at)


@pytest.mark.slow
def test_start_watch_a_second_session_and_stop():
    at = train_page()
    at.selectbox(key="train_hp_fast_subset").select(500).run()
    at.selectbox(key="train_hp_fast_test_subset").select(1000).run()
    at.number_input(key="train_hp_fast_epochs").set_value(2).run()
    at.slider(key="train_hp_fast_cutout").set_value(6).run()
    start_button(at).click().run()
    assert not at.exception
    job = jobs.current()
    assert job is not None and job.config.subset == 500 and job.config.epochs == 2 and job.config.cutout == 6
    assert job.config.preset == "fast"
    assert "Training now" in texts(at, "markdown")

    # another browser session sees the same job and cannot start a second one
    other = train_page()
    assert not other.exception
    assert f"Training now: run `{job.run.id}`" in texts(other, "markdown")
    # while it trains the set-up is drawn only once its expander is opened
    assert not [b for b in other.button if b.key == "train_start"] and not other.selectbox
    other.session_state["train_setup_open"] = True
    other.run()
    assert f"Run `{job.run.id}` is training now" in texts(other, "info")
    assert start_button(other).disabled

    next(b for b in at.button if b.key == "train_stop").click().run()
    assert not at.exception
    assert job.snapshot().status in (jobs.STOPPING, runs.STOPPED, runs.FINISHED)
    snap = job.join(120)
    assert snap.status in (runs.STOPPED, runs.FINISHED)

    at.run()
    assert not at.exception
    assert "Last training" in texts(at, "markdown")
    shown = texts(at, "warning") + texts(at, "success")
    assert ("Stopped" if snap.status == runs.STOPPED else "Finished") in shown
    assert any(job.run.id in link.proto.label for link in at.get("page_link"))
    assert not start_button(at).disabled


@pytest.mark.slow
def test_a_tiny_training_polled_to_completion_shows_its_result():
    import time
    at = train_page()
    at.selectbox(key="train_preset").select("two_block").run()
    at.selectbox(key="train_hp_two_block_subset").select(500).run()
    at.selectbox(key="train_hp_two_block_test_subset").select(1000).run()
    at.number_input(key="train_hp_two_block_epochs").set_value(2).run()
    start_button(at).click().run()
    job = jobs.current()
    assert job is not None and job.config.preset == "two_block" and job.config.subset == 500
    deadline = time.time() + 240
    while job.active and time.time() < deadline:  # poll the page as a browser would
        time.sleep(1)
        at.run()
        assert not at.exception
    assert not job.active, "the training did not finish in 4 minutes"
    at.run()
    assert not at.exception
    success = texts(at, "success")
    assert "Finished" in success and "2 of 2 epochs" in success and "test accuracy" in success
    assert job.run.status == runs.FINISHED and len(job.run.history()) == 2
    assert any(job.run.id in link.proto.label for link in at.get("page_link"))
