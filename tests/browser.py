"""Helpers for the browser tests: serve the app, drive Debian's Chromium with Playwright."""
from __future__ import annotations

import io
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from cifar_demo.ui import PAGE_FAILED

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def require_chromium() -> None:
    """Skip where Chromium is missing on a developer's machine; fail in CI, which must have it."""
    if Path(CHROMIUM).exists() or shutil.which(CHROMIUM):
        return
    message = f"{CHROMIUM} not found: apt-get install -y chromium (see the README's test command)"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """`streamlit run app.py` on a free loopback port, in its own process group."""

    def __init__(self, env: dict, log: Path):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = open(log, "w")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(self.port),
             "--server.address", "127.0.0.1", "--server.headless", "true"],
            cwd=ROOT, env={**{k: v for k, v in os.environ.items() if k != "CIFAR_DEMO_RAISE_ERRORS"}, **env},
            stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.time() + 90
        while time.time() < deadline:
            try:
                if urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=2).read() == b"ok":
                    return
            except OSError:
                time.sleep(0.3)
        self.close()
        raise RuntimeError(f"the app did not start; see {log}")

    def close(self) -> None:
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass  # its process group is gone already (a test stopped it)
        self.log.close()


def settle(page, timeout: float = 90) -> None:
    """Wait until the script run is over and no skeleton or spinner is left."""
    page.wait_for_selector("[data-testid='stApp']", timeout=timeout * 1000)
    deadline = time.time() + timeout
    while time.time() < deadline:
        state = page.locator("[data-testid='stApp']").get_attribute("data-test-script-state")
        if state == "notRunning" and page.get_by_test_id("stSkeleton").count() == 0:
            time.sleep(0.3)
            return
        time.sleep(0.2)
    raise AssertionError("the page kept running for longer than {timeout} s")


def assert_no_exception(page) -> None:
    """No error box: neither Streamlit's (a fragment's error) nor the app's for a page that failed."""
    boxes = page.get_by_test_id("stException")
    assert boxes.count() == 0, f"Streamlit exception shown: {boxes.first.inner_text()[:500]}"
    text = page.locator("[data-testid='stMain']").inner_text()
    assert "Traceback" not in text
    assert PAGE_FAILED not in text, text[text.index(PAGE_FAILED):][:500]


def nav_labels(page) -> list[str]:
    return [a.inner_text().split("\n")[-1].strip() for a in page.get_by_test_id("stSidebarNavLink").all()]


def photo_jpeg() -> bytes:
    """A photo-like JPEG (sky over sea, with noise), 160x120."""
    rng = np.random.default_rng(0)
    sky = np.zeros((120, 160, 3), np.uint8)
    sky[:] = (110, 160, 230)
    sky[70:] = (40, 90, 170)
    sky += rng.integers(0, 20, sky.shape, dtype=np.uint8)
    out = io.BytesIO()
    Image.fromarray(sky).save(out, "JPEG")
    return out.getvalue()


def choose(page, label: str, option: str, timeout: float = 60) -> None:
    """Pick ``option`` in the select box labelled ``label``, then wait for the rerun."""
    box = page.get_by_role("combobox", name=label, exact=True)
    for _ in range(40):  # after a rerun the old widget may linger a moment beside its successor
        if box.count() == 1:
            break
        time.sleep(0.25)
    wanted = page.get_by_role("option", name=option, exact=True)
    deadline = time.time() + timeout
    while not wanted.count():
        # a click right after a rerun may only focus the box, and on a busy machine its list can take seconds
        # to open: click only while no list is open, or a second click would close the one about to appear
        if time.time() > deadline:
            raise AssertionError(f"the option {option!r} of {label!r} did not show in {timeout:.0f} s")
        if not page.get_by_role("option").count():
            box.click()
        try:
            wanted.wait_for(timeout=3000)
        except Exception:
            continue
    wanted.click()
    settle(page)


def wait_for(condition, timeout: float = 180, what: str = "the condition", every: float = 0.5):
    """The first true value of ``condition()``, asked every ``every`` s; AssertionError after ``timeout`` s."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        if value := condition():
            return value
        time.sleep(every)
    raise AssertionError(f"timed out waiting for {what}")
