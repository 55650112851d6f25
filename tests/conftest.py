"""Shared fixtures: the real CIFAR-10 copy, a fresh runs folder per test."""
import os
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED_ARCHIVE = ROOT.parent / "shared" / "data" / "cifar-10-python.tar.gz"

# Tests read the data set the project's way, through CIFAR10_PATH; default to the shared copy.
if not os.environ.get("CIFAR10_PATH") and SHARED_ARCHIVE.exists():
    os.environ["CIFAR10_PATH"] = str(SHARED_ARCHIVE)
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
# AppTest: a page's unexpected error is raised (at.exception), not turned into the app's error box; the
# served app of the browser tests shows the box, whose words assert_no_exception reports
os.environ["CIFAR_DEMO_RAISE_ERRORS"] = "1"


@pytest.fixture(autouse=True)
def runs_dir(tmp_path, monkeypatch):
    """Every test writes its runs into its own folder."""
    folder = tmp_path / "runs"
    monkeypatch.setenv("CIFAR_DEMO_RUNS", str(folder))
    return folder


@pytest.fixture(scope="session")
def cifar():
    from cifar_demo import data
    return data.load()


@pytest.fixture(scope="session")
def tiny_runs(tmp_path_factory, cifar):
    """A runs folder holding one small trained model (two_block, 400 images, 1 epoch)."""
    from cifar_demo import runs, trainer
    from cifar_demo.settings import TrainConfig
    folder = tmp_path_factory.mktemp("tiny_runs")
    config = TrainConfig.for_preset("two_block", epochs=1, subset=400, test_subset=300)
    trainer.train(config, runs.create(config.to_dict(), base=folder), data=cifar)
    return folder


@pytest.fixture
def nothing_left_training(runs_dir):
    """After the test, whatever it queued or started in its runs folder is cancelled or stopped, and has ended."""
    yield
    from cifar_demo import live, runs, trainqueue
    for run in trainqueue.queued(runs_dir):
        try:
            trainqueue.cancel(run)
        except runs.RunError:
            pass  # a worker took it meanwhile: it is stopped below
    for run in live.training_now(runs_dir):
        live.request_stop(run)
    deadline = time.time() + 120
    while live.training_now(runs_dir) and time.time() < deadline:
        time.sleep(0.5)


# --- browser tests -------------------------------------------------------------------------------

@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium, headless, driven by Playwright (skipped without it, except in CI)."""
    from browser import CHROMIUM, CHROMIUM_ARGS, require_chromium
    require_chromium()
    from playwright.sync_api import sync_playwright
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    yield context.new_page()
    context.close()


@pytest.fixture
def serve(tmp_path, request):
    """serve(runs_folder) starts a fresh `streamlit run app.py` on those runs; stopped after the test. When the
    test fails, the end of each server's log joins its report (where an exception shown redacted is told)."""
    from browser import Server
    started = []
    request.node.server_logs = []

    def start(runs_folder):
        log = tmp_path / f"server{len(started)}.log"
        request.node.server_logs.append(log)
        started.append(Server({"CIFAR_DEMO_RUNS": str(runs_folder)}, log))
        return started[-1]

    yield start
    for server in started:
        server.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    report = (yield).get_result()
    if report.failed and call.when == "call":
        for log in getattr(item, "server_logs", []):
            if log.exists():
                report.sections.append((f"server log {log.name} (its end)", log.read_text()[-6000:]))
