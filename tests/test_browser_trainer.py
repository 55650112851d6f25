"""A training started in the browser outlives its web server: Ctrl-C on it, a fresh server, the same run live."""
import os
import signal

import pytest
from browser import assert_no_exception, choose, settle, wait_for

from cifar_demo import live, runs

pytestmark = pytest.mark.browser


def test_ctrl_c_on_the_server_leaves_the_training_going_and_a_new_server_shows_it_live(
        serve, page, runs_dir, nothing_left_training):
    server = serve(runs_dir)
    page.goto(f"{server.url}/train")
    settle(page)
    choose(page, "Start from a preset", "Two-block")
    choose(page, "Training images", "500")
    epochs = page.get_by_role("spinbutton", name="Epochs", exact=True)
    epochs.fill("200")
    epochs.press("Enter")
    settle(page)
    page.get_by_role("button", name="Start training").first.click()
    run = wait_for(lambda: next(iter(live.training_now(runs_dir)), None), what="the training to start")
    wait_for(lambda: len(run.history()) >= 1, what="a first epoch")

    os.killpg(server.proc.pid, signal.SIGINT)  # what Ctrl-C in the server's terminal sends to its process group
    server.proc.wait(30)
    epochs_then = len(run.history())
    wait_for(lambda: len(run.history()) > epochs_then + 1, what="the trainer to go on writing epochs")
    assert run.status == runs.RUNNING

    again = serve(runs_dir)
    page.goto(f"{again.url}/train")
    settle(page)
    main = page.locator("[data-testid='stMain']")
    wait_for(lambda: f"Training now: run {run.id}" in main.inner_text().replace("`", ""), timeout=60,
             what="the new server's Train page to show the training")
    seen = main.inner_text()
    wait_for(lambda: main.inner_text() != seen, timeout=30, what="the live view to move on by itself")
    assert_no_exception(page)

    page.get_by_role("button", name="Stop").click()
    wait_for(lambda: run.status == runs.STOPPED, what="the stop")
