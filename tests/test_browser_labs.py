"""The Labs page's map in the served app, in headless Chromium: a hovered dot shows its picture, a dragged
box shows the images under it."""
import time

import pytest
from browser import assert_no_exception, settle

pytestmark = pytest.mark.browser


def test_the_map_shows_a_picture_on_hover_and_the_images_in_a_dragged_box(serve, tiny_runs, page):
    server = serve(tiny_runs)
    page.goto(f"{server.url}/labs")
    settle(page, 120)
    page.get_by_test_id("stSelectbox").first.click()
    page.get_by_role("option").filter(has_text="two_block").first.click()  # the tiny run, not the shipped model
    settle(page, 120)
    page.get_by_role("tab", name="Map of what it learned").click()
    page.wait_for_selector("[data-testid='stVegaLiteChart'] .marks", timeout=240_000)
    settle(page, 240)
    assert_no_exception(page)
    box = page.locator("[data-testid='stVegaLiteChart'] .marks").first.bounding_box()
    tooltip = page.locator("#vg-tooltip-element.visible img")
    for x in range(int(box["x"]) + 10, int(box["x"] + box["width"]) - 10, 6):  # sweep until a dot is under the mouse
        for y in range(int(box["y"]) + 10, int(box["y"] + box["height"]) - 10, 6):
            page.mouse.move(x, y)
            if tooltip.count():
                break
        if tooltip.count():
            break
    assert tooltip.count() == 1 and tooltip.get_attribute("src").startswith("data:image/png;base64,")
    assert "it said" in page.locator("#vg-tooltip-element").inner_text()
    page.mouse.move(box["x"] + 5, box["y"] + 5)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] - 5, box["y"] + box["height"] - 5, steps=8)
    page.mouse.up()
    time.sleep(1)
    # the brush may report a part of the box while it is dragged (a rerun each time): wait for the whole box
    page.wait_for_selector("text=1,000 images selected", timeout=90_000)
    settle(page, 120)
    assert "1,000 images selected, the first 30:" in page.locator("[data-testid='stMain']").inner_text()
