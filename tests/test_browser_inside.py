"""'Inside the network' and Grad-CAM in the served app, in headless Chromium."""
import io

import numpy as np
import pytest
from PIL import Image

from browser import CHROMIUM, CHROMIUM_ARGS, Server, assert_no_exception, nav_labels, require_chromium, settle

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def app_runs(tmp_path_factory, cifar):
    """A runs folder holding one small trained model."""
    from cifar_demo import jobs, runs
    from cifar_demo.training import TrainConfig
    folder = tmp_path_factory.mktemp("browser_inside_runs")
    config = TrainConfig.for_preset("two_block", epochs=1, subset=400, test_subset=300)
    jobs.train(config, runs.create(config.to_dict(), base=folder), data=cifar)
    return folder


@pytest.fixture(scope="module")
def browser():
    require_chromium()
    from playwright.sync_api import sync_playwright
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def server(app_runs, tmp_path):
    s = Server({"CIFAR_DEMO_RUNS": str(app_runs)}, tmp_path / "server.log")
    yield s
    s.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    p = context.new_page()
    yield p
    context.close()


def loaded_images(page) -> int:
    """Images in the main area that the browser has decoded (a broken one has no natural width)."""
    return page.evaluate("""() => [...document.querySelectorAll("[data-testid='stMain'] [data-testid='stImage'] img")]
                                  .filter(img => img.complete && img.naturalWidth > 0).length""")


def test_inside_by_deep_link_on_a_fresh_server(server, page):
    page.goto(f"{server.url}/inside")
    page.wait_for_selector("text=The answer", timeout=90_000)
    settle(page)
    assert_no_exception(page)
    assert "Inside the network" in nav_labels(page)
    assert page.locator("h1").first.inner_text() == "Inside the network"
    main = page.locator("[data-testid='stMain']").inner_text()
    assert "What the first layer looks for" in main and "L1_conv" in main and "L4_pool" in main
    assert loaded_images(page) == 7  # filters, the image, four layers' maps, the Grad-CAM
    assert page.locator(".js-plotly-plot").count() == 1


def _photo_bytes() -> bytes:
    rng = np.random.default_rng(0)
    sky = np.zeros((120, 160, 3), np.uint8)
    sky[:] = (110, 160, 230)
    sky[70:] = (40, 90, 170)
    sky += rng.integers(0, 20, sky.shape, dtype=np.uint8)
    out = io.BytesIO()
    Image.fromarray(sky).save(out, "JPEG")
    return out.getvalue()


def test_predict_shows_where_it_looked(server, page):
    page.goto(f"{server.url}/predict")
    settle(page)
    page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(
        [{"name": "sea.jpg", "mimeType": "image/jpeg", "buffer": _photo_bytes()}])
    page.wait_for_selector("text=Where it looked for", timeout=60_000)
    settle(page)
    assert_no_exception(page)
    main = page.locator("[data-testid='stMain']").inner_text()
    assert "Red: where it found the most evidence" in main or "An empty map" in main
    assert loaded_images(page) == 3  # the upload, what the model sees, the Grad-CAM
