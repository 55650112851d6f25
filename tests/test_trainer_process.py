"""Trainings in processes of their own: the queue's workers, a killed trainer, the CLI's queue and stop."""
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import browser
import pytest
from streamlit.testing.v1 import AppTest

from cifar_demo import live, runs, trainqueue
from cifar_demo.settings import TrainConfig

ROOT = Path(__file__).resolve().parent.parent
pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("nothing_left_training")]


def tiny(**overrides):
    base = dict(epochs=200, subset=300, test_subset=100, batch_size=32, validation_split=0.0)
    return TrainConfig.for_preset("two_block", **{**base, **overrides})


def wait_for(condition, timeout=240, what="the condition"):
    return browser.wait_for(condition, timeout, what, every=0.3)


def cli(*args):
    return subprocess.run([sys.executable, "-m", "cifar_demo", *map(str, args)], cwd=ROOT, capture_output=True,
                          text=True, timeout=300)


def test_a_killed_trainer_is_interrupted_within_seconds_and_resumes_without_losing_an_epoch():
    run = trainqueue.enqueue(tiny())
    wait_for(lambda: len(run.history()) >= 2, what="two finished epochs")
    pid = run.status_record()["pid"]
    assert pid != os.getpid() and run.status == runs.RUNNING  # trained by a worker process
    os.kill(pid, signal.SIGKILL)
    killed_at = time.time()
    wait_for(lambda: run.status == runs.INTERRUPTED, timeout=10, what="the run to be seen as interrupted")
    assert time.time() - killed_at < 5
    done = [row["epoch"] for row in run.history()]
    assert done == list(range(1, len(done) + 1))

    trainqueue.enqueue_resume(run)
    wait_for(lambda: len(run.history()) >= len(done) + 2, what="two more epochs after the resume")
    live.request_stop(run)
    wait_for(lambda: run.status == runs.STOPPED, what="the stop")
    epochs = [row["epoch"] for row in run.history()]
    assert epochs == list(range(1, len(epochs) + 1)) and len(epochs) >= len(done) + 2  # none lost, none twice


def test_the_queue_trains_in_order_and_a_queued_run_can_be_cancelled():
    first = trainqueue.enqueue(tiny(epochs=2))
    second = trainqueue.enqueue(tiny(epochs=1, seed=1))
    third = trainqueue.enqueue(tiny(epochs=1, seed=2))
    assert trainqueue.place(third) in (2, 3)
    trainqueue.cancel(third)
    assert third.status == runs.CANCELLED and trainqueue.place(third) is None
    wait_for(lambda: second.status == runs.FINISHED, what="both to finish")
    assert first.status == runs.FINISHED
    started_second = json.loads((second.path / live.LIVE_FILE).read_text())["started"]
    assert first.status_record()["updated"] <= started_second + 1  # one at a time, in order
    assert third.status == runs.CANCELLED and not third.history()


def test_the_cli_queues_stops_and_lists_and_the_app_shows_a_cli_training_live():
    done = cli("train", "--preset", "two_block", "--epochs", "200", "--subset", "300", "--test-subset", "100",
               "--queue")
    assert done.returncode == 0 and done.stdout.startswith("queued run "), done.stderr
    (run,) = runs.list_runs()
    wait_for(lambda: run.status == runs.RUNNING and live.snapshot(run).batch > 0, what="the worker to train it")
    assert "running" in cli("runs").stdout

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90)
    at.switch_page("pages/train.py")
    at.run()
    assert not at.exception
    assert f"Training now: run `{run.id}`" in "\n".join(m.value for m in at.markdown)
    assert any(run.id in p.proto.text or "Epoch" in p.proto.text for p in at.get("progress"))

    stopped = cli("stop", run.id)
    assert stopped.returncode == 0 and "asked run" in stopped.stdout
    wait_for(lambda: run.status == runs.STOPPED, what="the stop")
    again = cli("stop", run.id)
    assert again.returncode == 2 and "nothing to stop" in again.stderr


def test_resume_through_the_queue_refuses_what_cannot_go_on():
    run = runs.create(tiny().to_dict())
    run.set_status(runs.FINISHED)
    with pytest.raises(runs.RunError, match="is finished"):
        trainqueue.enqueue_resume(run)
    assert run.status == runs.FINISHED  # refusing changes nothing
