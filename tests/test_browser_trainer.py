"""A training outlives its web server (Ctrl-C on it, a fresh server, the same run live), and one started
elsewhere appears on the pages already open."""
import os
import signal
import time

import pytest
from browser import assert_no_exception, choose, settle, wait_for

from cifar_demo import files, live, runs

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


def started_as_the_cli_does(runs_dir) -> runs.Run:
    """What `python -m cifar_demo train` leaves in the runs folder as it starts: a running run, its progress."""
    run = runs.create({"preset": "two_block", "epochs": 8}, base=runs_dir)
    files.write_json(run.path / live.LIVE_FILE, {"phase": live.RUNNING, "epoch": 1, "epochs": 8, "batch": 3,
                                                 "steps_per_epoch": 100, "batches": [], "started": time.time()})
    return run


def test_a_training_started_from_the_command_line_appears_on_pages_already_open(serve, page, runs_dir):
    """The Train page and the other pages notice a training that started after they were drawn, and the next
    one when it follows at once."""
    server = serve(runs_dir)
    page.goto(f"{server.url}/train")
    settle(page)
    other = page.context.new_page()
    other.goto(server.url)  # Home: its sidebar's line, and its own line on the training under way
    settle(other)
    main, sidebar = page.locator("[data-testid='stMain']"), other.locator("[data-testid='stSidebar']")
    home = other.locator("[data-testid='stMain']")
    assert "Training now" not in main.inner_text() and "Watch the training" not in sidebar.inner_text()

    first = started_as_the_cli_does(runs_dir)
    second = None
    try:
        wait_for(lambda: f"Training now: run {first.id}" in main.inner_text().replace("`", ""), timeout=30,
                 what="the open Train page to show the new training")
        wait_for(lambda: "Watch the training" in sidebar.inner_text(), timeout=30,
                 what="the open Home page's sidebar to show the new training")
        assert first.id in sidebar.inner_text()
        # the next one starts as the first ends (a queue's worker goes straight on): Home's own line follows
        second = started_as_the_cli_does(runs_dir)
        first.set_status(runs.FINISHED)
        wait_for(lambda: second.id in home.inner_text() and first.id not in home.inner_text(), timeout=30,
                 what="Home to be redrawn with the second training")
        wait_for(lambda: f"Training now: run {second.id}" in main.inner_text().replace("`", ""), timeout=30,
                 what="the Train page to show the second training")
    finally:
        for run in (first, second):
            if run is not None and run.status == runs.RUNNING:
                run.set_status(runs.STOPPED)
    wait_for(lambda: "Watch the training" not in sidebar.inner_text(), timeout=30,
             what="the sidebar's line to go once the training has ended")
    assert_no_exception(page)
    assert_no_exception(other)
