"""The Labs page's map in the served app, in headless Chromium: a hovered dot shows its picture, a dragged
box shows the images under it."""
import re

import pytest
from browser import assert_no_exception, settle, wait_for

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
    settle(page)
    # one move from corner to corner: each move of a drag is a selection, and each selection a rerun
    page.mouse.move(box["x"] + 5, box["y"] + 5)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] - 5, box["y"] + box["height"] - 5, steps=2)
    page.mouse.up()
    main = page.locator("[data-testid='stMain']")
    try:
        wait_for(lambda: "1,000 images selected" in main.inner_text(), timeout=120, what="the whole box")
    except AssertionError:
        raise AssertionError(f"the whole box did not select the 1,000 images: {_selected_line(page)}") from None
    settle(page, 120)
    assert "1,000 images selected, the first 30:" in main.inner_text()
    assert_no_exception(page)


def _selected_line(page) -> str:
    found = re.search(r"[\d,]+ images selected[^\n]*", page.locator("[data-testid='stMain']").inner_text())
    return found.group(0) if found else "no images selected"
