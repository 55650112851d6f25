"""Changing course while a network trains, as ConvNetJS lets you: pause and go on, a new learning rate, asked
through the run's folder from anywhere (the Train page's buttons, the command line) and honoured within a batch."""
import time
from pathlib import Path

import browser
import pytest
from streamlit.testing.v1 import AppTest
from test_trainer import finish, tiny
from test_trainer import start as start_training

from cifar_demo import charts, cli, live, runs, training

pytestmark = pytest.mark.slow
APP = str(Path(__file__).resolve().parent.parent / "app.py")


def start(config, cifar):
    """test_trainer's ``start``, its batch events gathered: (run, thread, batches)."""
    batches = []

    def listener(event):
        if event["event"] == "batch":
            batches.append({**event, "at": time.monotonic()})

    return (*start_training(config, cifar, listener=listener), batches)


def wait_for(condition, what):
    """``browser.wait_for``, asked every 20 ms: these tiny trainings take a few ms a batch."""
    return browser.wait_for(condition, 120, what, every=0.02)


def test_a_new_learning_rate_is_honoured_within_a_batch_scales_the_schedule_and_shows_in_the_history(cifar):
    config = tiny(epochs=3, schedule="cosine", learning_rate=2e-3)
    run, thread, batches = start(config, cifar)
    wait_for(lambda: len(batches) >= 3, what="three batches")
    live.request_learning_rate(run, 5e-4)  # what the Train page's button and `learning-rate RUN 0.0005` write
    asked_at = batches[-1]["step"]  # the last batch done once the request is on disk
    snap = finish(run, thread)
    assert snap.status == runs.FINISHED, snap.error

    first_new = next(b for b in batches if b["lr"] == pytest.approx(5e-4, rel=1e-4))
    assert first_new["step"] <= asked_at + 2  # the batch under way ends with the old rate, the next has the new
    change = first_new["step"] - 1  # its step number, 0-based: the schedule's argument
    total, steps = 3 * 8, 8  # 256 training images in batches of 32, 3 epochs
    scale = 5e-4 / training.learning_rate_at(change, total, steps, config)
    for b in batches[first_new["step"]:]:  # the cosine goes on, scaled to the new rate
        assert b["lr"] == pytest.approx(training.learning_rate_at(b["step"] - 1, total, steps, config) * scale,
                                        rel=1e-4)

    # recorded in the run's history (the epoch it was asked in) and in its live state, so the curves show it
    recorded = charts.history_changes(run.history())
    assert [(c["step"], c["to"]) for c in recorded] == [(change, pytest.approx(5e-4))]
    assert recorded[0]["from"] == pytest.approx(batches[change - 1]["lr"], rel=1e-4)
    assert snap.changes and snap.changes[0]["step"] == change
    assert run.history()[-1]["lr_scale"] == pytest.approx(scale, rel=1e-4)
    marks = charts.rate_marks(recorded, "after_epochs")
    assert marks == [(pytest.approx(change / steps), "learning rate 0.0005")]
    figure = charts.mark_changes(charts.epoch_curves({"": run.history()}), marks)
    assert [shape.x0 for shape in figure.layout.shapes] == [pytest.approx(change / steps)]


def test_pause_holds_the_training_until_go_on_and_the_pause_is_not_training_time(cifar):
    run, thread, batches = start(tiny(epochs=30), cifar)
    wait_for(lambda: len(batches) >= 2, what="two batches")
    live.request_pause(run)
    wait_for(lambda: live.snapshot(run).status == live.PAUSED, what="the paused state")
    held = len(batches)
    time.sleep(2.5)
    assert len(batches) == held  # not one batch while paused
    assert live.snapshot(run).active and "Paused" not in (live.snapshot(run).error or "")
    live.request_learning_rate(run, 1e-4)  # asked while paused: in force when it goes on
    live.request_pause(run, False)
    wait_for(lambda: len(batches) > held + 2, what="batches after going on")
    assert batches[held]["lr"] == pytest.approx(1e-4)
    assert batches[held]["at"] - batches[held - 1]["at"] >= 2.5
    live.request_stop(run)
    snap = finish(run, thread)
    assert snap.status == runs.STOPPED
    record = run.status_record()
    assert record["paused_seconds"] >= 2.5
    trained = batches[-1]["at"] - batches[0]["at"]
    assert record["train_seconds"] < trained + 30 - 2.5  # at most the build and the first batch's tracing beside it


def test_a_stop_while_paused_stops_it(cifar):
    run, thread, batches = start(tiny(epochs=30), cifar)
    wait_for(lambda: len(batches) >= 2, what="two batches")
    live.request_pause(run)
    wait_for(lambda: live.snapshot(run).status == live.PAUSED, what="the paused state")
    live.request_stop(run)
    assert live.snapshot(run).status == live.STOPPING
    assert finish(run, thread).status == runs.STOPPED


def test_the_command_line_steers_only_a_training_and_refuses_a_bad_rate(cifar, capsys):
    run = runs.create(tiny().to_dict())
    run.set_status(runs.FINISHED)
    for command in (["pause", run.id], ["go-on", run.id], ["learning-rate", run.id, "0.01"]):
        assert cli.main(command) == 2
        assert "not training" in capsys.readouterr().err
    for bad in ("0", "-1", "11", "fast"):
        with pytest.raises(SystemExit) as exit_:
            cli.main(["learning-rate", run.id, bad])
        assert exit_.value.code == 2
    with pytest.raises(ValueError):
        live.request_learning_rate(run, 0)


def test_the_train_page_pauses_goes_on_and_changes_the_rate(cifar, nothing_left_training):
    run, thread, batches = start(tiny(epochs=200, learning_rate=1e-3), cifar)
    wait_for(lambda: len(batches) >= 2 and live.snapshot(run).learning_rate, what="batches")
    at = AppTest.from_file(APP, default_timeout=90)
    at.switch_page("pages/train.py")
    at.run()
    assert not at.exception
    at.button(key=f"train_pause_{run.id}").click().run()
    wait_for(lambda: live.snapshot(run).status == live.PAUSED, what="the paused state")
    at.run()
    assert any(p.proto.text.startswith("Paused at epoch") for p in at.get("progress"))
    # the learning rate's box, opened: half the rate now, asked from the page, is the rate it goes on with
    at.session_state[f"train_lr_{run.id}"] = True
    at.run()
    now = live.snapshot(run).learning_rate
    assert now == pytest.approx(1e-3)
    at.button(key=f"train_lr_Halve it_{run.id}").click().run()
    at.button(key=f"train_go_on_{run.id}").click().run()
    wait_for(lambda: live.snapshot(run).status == live.RUNNING, what="it to go on")
    held = len(batches)
    wait_for(lambda: len(batches) > held + 1, what="batches after going on")
    assert batches[-1]["lr"] == pytest.approx(5e-4)
    at.run()
    assert not at.exception
    assert any("Learning rate changed to 0.0005" in c.value for c in at.caption)
    live.request_stop(run)
    finish(run, thread)
