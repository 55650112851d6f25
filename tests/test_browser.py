"""The served app in headless Chromium, as a new user meets it."""
import re

import pytest
from browser import assert_no_exception, choose, nav_labels, photo_jpeg, settle, wait_for

from cifar_demo import ui

pytestmark = pytest.mark.browser
PAGES = [title for _, title, _, _ in ui.PAGES]  # the menu app.py registers, in its order


@pytest.fixture
def server(serve, tiny_runs):
    return serve(tiny_runs)


def test_every_file_in_pages_is_in_the_menu():
    on_disk = {f"pages/{p.name}" for p in (ui.ROOT / "pages").glob("*.py")}
    assert on_disk == {path for path, _, _, _ in ui.PAGES}


def test_every_page_opens_from_the_menu_without_an_error(server, page, tmp_path):
    page.goto(server.url)
    settle(page)
    assert nav_labels(page) == PAGES
    for name in PAGES:
        page.get_by_test_id("stSidebarNavLink").filter(has_text=name).click()
        settle(page)
        assert_no_exception(page)
        heading = page.locator("h1").first.inner_text()
        assert heading, f"page {name} shows no title"
        page.screenshot(path=str(tmp_path / f"{name}.png"), full_page=True)


@pytest.mark.parametrize("path, title", [("train", "Train"), ("predict", "Predict")])
def test_deep_link_first_on_a_fresh_server_gets_the_app(server, page, path, title):
    page.goto(f"{server.url}/{path}")
    settle(page)
    assert nav_labels(page) == PAGES  # the app's menu, not Streamlit's legacy pages/ listing
    assert page.title().startswith("cifar-demo")  # app.py's set_page_config ran
    assert title in page.locator("h1").first.inner_text()
    assert_no_exception(page)


def test_pages_opened_at_once_on_a_fresh_server_all_open(server, page):
    # Before pages waited for one import of TensorFlow (ui.load_tensorflow), two pages importing it at once
    # could leave one with a half-imported module: "module 'tensorflow.python.data.ops.dataset_ops' has no
    # attribute 'DatasetV2'" in an error box, as CI once saw on the Train page.
    paths = ("explore", "train", "results", "compare", "inside", "predict", "labs")
    tabs = {path: page if path == paths[0] else page.context.new_page() for path in paths}  # closed with it
    for path, tab in tabs.items():  # each returns once the page is on its way: their scripts run together
        tab.goto(f"{server.url}/{path}", wait_until="commit")
    for path, tab in tabs.items():
        settle(tab)
        assert tab.locator("h1").count() > 0, f"{path} shows no title"
        assert_no_exception(tab)


def test_upload_a_photo_and_a_bad_file_and_see_a_prediction(server, page):
    page.goto(f"{server.url}/predict")
    settle(page)
    page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files([
        {"name": "sea.jpg", "mimeType": "image/jpeg", "buffer": photo_jpeg()},
        {"name": "notes.png", "mimeType": "image/png", "buffer": b"just text, not a picture"},
    ])
    page.wait_for_selector("text=The model says", timeout=60000)
    settle(page)
    assert_no_exception(page)
    main = page.locator("[data-testid='stMain']").inner_text()
    assert "notes.png" in main and "not an image" in main
    assert page.locator(".js-plotly-plot").count() >= 1  # the top-k chart
    assert "%" in main


def _batch_points(page) -> int:
    """How many per-batch points the live loss chart holds right now (a static SVG while it trains)."""
    return page.evaluate("""() => {
        const img = document.querySelector('.st-key-train_batch_curves img');
        const prefix = 'data:image/svg+xml;base64,';
        if (!img || !img.src.startsWith(prefix)) return 0;
        const svg = new DOMParser().parseFromString(atob(img.src.slice(prefix.length)), 'image/svg+xml');
        const line = svg.querySelector('polyline');
        return line ? line.getAttribute('points').trim().split(/\\s+/).length : 0;
    }""")


def _progress(page) -> tuple:
    """(epoch, batch) from the Train page's live progress line, or () when there is none."""
    found = re.search(r"Epoch (\d+)/\d+ · batch (\d+)/", page.locator("[data-testid='stMain']").inner_text())
    return tuple(map(int, found.groups())) if found else ()


def test_train_live_navigate_away_and_back_then_stop(server, page):
    page.goto(f"{server.url}/train")
    settle(page)
    choose(page, "Start from a preset", "Two-block")
    choose(page, "Training images", "2,000")
    epochs = page.get_by_role("spinbutton", name="Epochs", exact=True)
    epochs.fill("200")
    epochs.press("Enter")
    settle(page)
    page.get_by_role("button", name="Start training").first.click()
    first = wait_for(lambda: _batch_points(page), what="the live chart's first points")
    grown = wait_for(lambda: (n := _batch_points(page)) > first and n, what="the live chart to grow")
    assert grown > first
    assert_no_exception(page)
    assert "images/s" in page.locator("[data-testid='stMain']").inner_text()
    left_at = wait_for(lambda: _progress(page), what="the progress line")

    # leave while it trains, then come back: the page re-attaches to the live job
    page.get_by_test_id("stSidebarNavLink").filter(has_text="Explore the data").click()
    settle(page)
    sidebar = page.get_by_test_id("stSidebar")
    seen = sidebar.inner_text()
    assert "Training" in seen  # the sidebar shows the run's progress, and keeps it current with no click
    wait_for(lambda: "Training" in (now := sidebar.inner_text()) and now != seen, timeout=30,
              what="the sidebar's progress to move on by itself")
    page.get_by_test_id("stSidebarNavLink").filter(has_text="Train").click()
    # the training went on while we were away, and the live view keeps moving from where it is
    # (by the progress line: past 500 batches the chart thins its points and stops growing in count)
    wait_for(lambda: _batch_points(page), what="the chart after coming back")
    back = wait_for(lambda: (now := _progress(page)) > left_at and now, what="the progress after coming back")
    wait_for(lambda: _progress(page) > back, what="the progress to keep moving")
    assert "Watch the training" not in sidebar.inner_text()  # the Train page has its own live view

    # the next training's set-up, drawn only when opened while this one trains, opens with its settings
    assert page.get_by_role("spinbutton", name="Epochs", exact=True).count() == 0
    page.get_by_text("Set up the next training").click()
    wait_for(lambda: page.get_by_role("spinbutton", name="Epochs", exact=True).count(), what="the set-up")
    assert page.get_by_role("spinbutton", name="Epochs", exact=True).input_value() == "200"
    assert page.get_by_role("button", name="Add to the queue").first.is_enabled()  # a second training would wait

    page.get_by_role("button", name="Stop").click()
    wait_for(lambda: "Stopped" in page.locator("[data-testid='stMain']").inner_text(), timeout=180,
              what="the stopped state")
    settle(page)
    assert_no_exception(page)
    assert "model trained so far was kept" in page.locator("[data-testid='stMain']").inner_text()
