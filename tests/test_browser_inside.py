"""'Inside the network' and Grad-CAM in the served app, in headless Chromium."""

import pytest
from browser import assert_no_exception, nav_labels, photo_jpeg, settle

pytestmark = pytest.mark.browser


@pytest.fixture
def server(serve, tiny_runs):
    return serve(tiny_runs)


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
    # the newest finished run (a two-block net) comes first, its layers named as Keras calls them
    assert "What the first layer looks for" in main and "Layer 1 of 4: Conv2D 1" in main
    assert loaded_images(page) >= 5  # the image, the Grad-CAM, the strip of layers, one layer's maps, the filters
    assert page.locator(".js-plotly-plot").count() == 1


def test_predict_shows_where_it_looked(server, page):
    page.goto(f"{server.url}/predict")
    settle(page)
    page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(
        [{"name": "sea.jpg", "mimeType": "image/jpeg", "buffer": photo_jpeg()}])
    page.wait_for_selector("text=Where it looked for", timeout=60_000)
    settle(page)
    assert_no_exception(page)
    main = page.locator("[data-testid='stMain']").inner_text()
    assert "Bright: where it found the most evidence" in main or "An empty map" in main
    assert loaded_images(page) == 3  # the upload, what the model sees, the Grad-CAM
