"""Teaching in the served app, in headless Chromium: a click on a confusion-matrix cell opens its images, no
page shows a code identifier, Inside the network opens within two screens, a help link opens the glossary."""
import re

import pytest
from browser import assert_no_exception, settle

from cifar_demo import runs, ui
from cifar_demo.data import CLASS_NAMES

pytestmark = pytest.mark.browser
PAGES = [title for _, title, _, _ in ui.PAGES]
SNAKE = re.compile(r"\b[A-Za-z][A-Za-z0-9]*(?:_[A-Za-z0-9]+)+\b")   # x_test, first_conv, two_block, L1_whiten
DOTTED = re.compile(r"\b[a-z_][a-z0-9_]*(?:\.[a-z_][a-z0-9_]*)+\b")   # data.normalize, explain.first_conv
FILE_ENDINGS = {"keras", "json", "npz", "gz", "png", "jpg", "jpeg", "webp", "bmp", "gif", "tif", "tiff", "md", "txt"}
NOT_CODE = {"e.g", "i.e"}
TWO_SCREENS = 2000  # px of stMain at a 1400x1000 viewport


def code_identifiers(text: str, run_ids=()) -> list[str]:
    """The snake_case words and dotted module.function names in ``text``. Run ids (folder names, which a
    user needs for the command line), paths and links (anything with a slash) and file names are not code."""
    for run_id in sorted(run_ids, key=len, reverse=True):
        text = text.replace(run_id, " ")
    found = []
    for token in (t for t in text.split() if "/" not in t):
        dotted = [d for d in DOTTED.findall(token) if d not in NOT_CODE and d.rsplit(".", 1)[-1] not in FILE_ENDINGS]
        for d in dotted:
            token = token.replace(d, " ")
        found += SNAKE.findall(token) + dotted
    return found


def test_the_code_identifier_finder_finds_them_and_only_them():
    assert sorted(code_identifiers("call data.normalize on x_test, e.g. now")) == ["data.normalize", "x_test"]
    assert code_identifiers("the L1_whiten layer of explain.first_conv()") == ["L1_whiten", "explain.first_conv"]
    assert code_identifiers("Download the model (.keras), model.keras, cifar-10-python.tar.gz") == []
    assert code_identifiers("read from /work/shared/tiny_runs0/x.npz: Conv2D 32 → MaxPooling2D, 90.91%") == []
    assert code_identifiers("20261122-101500-two_block · finished", {"20261122-101500-two_block"}) == []
    assert code_identifiers("preset two_block, precision mixed_bfloat16") == ["two_block", "mixed_bfloat16"]


@pytest.fixture
def server(serve, tiny_runs):
    return serve(tiny_runs)


def _main(page) -> str:
    return page.locator("[data-testid='stMain']").inner_text()


def _words(page, test_id: str) -> str:
    """The text of an area as a reader sees it: without the icons, whose names the icon font draws as pictures
    (nor the names Streamlit gives an icon-only button for screen readers, such as 'arrow_upward icon'), and
    without code blocks, which show a Keras script as code on purpose."""
    return page.evaluate("""id => { const area = document.querySelector(`[data-testid='${id}']`);
        const hidden = ['stIconMaterial', 'stAlertDynamicIcon', 'stCode'];  // icons, and code shown as code
        const icons = [...area.querySelectorAll(hidden.map(t => `[data-testid='${t}']`).join(', ')
            + ", button span")].filter(e =>
            hidden.includes(e.getAttribute('data-testid')) || /^[a-z_]+ icon$/.test(e.textContent));
        const shown = icons.map(icon => icon.style.display);
        icons.forEach(icon => { icon.style.display = 'none'; });
        const text = area.innerText;
        icons.forEach((icon, i) => { icon.style.display = shown[i]; });
        return text; }""", test_id)


def test_clicking_a_confusion_matrix_cell_opens_that_cells_images(server, page, tiny_runs):
    # the page opens on the newest finished run (other tests may have left a stopped one in this folder)
    run = next(r for r in runs.list_runs(tiny_runs) if r.status == runs.FINISHED)
    ev = run.evaluation()
    page.goto(f"{server.url}/results")
    page.wait_for_selector("[data-testid='stVegaLiteChart'] path[aria-label*='Share of the true class']",
                           timeout=90_000)
    settle(page)
    worst = ev.most_confused(1)[0]
    assert f"{len(ev.cell(worst[0], worst[1]))} test images of a {worst[0]} were predicted {worst[1]}" in _main(page)
    # click the right answers of the class it gets right most often: a cell other than the one open
    true = pred = CLASS_NAMES[int(ev.confusion().diagonal().argmax())]
    # each cell is an SVG path labelled with its tooltip's fields, which is how a screen reader tells them apart
    cell = page.locator(f"[data-testid='stVegaLiteChart'] path[aria-label^='Predicted class: {pred}; "
                        f"True class: {true}; Share']")
    box = cell.bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)  # on the number written in it
    page.wait_for_function(f"() => document.querySelector(\"[data-testid='stMain']\").innerText"
                           f".includes('test images of a {true} were correctly classified')", timeout=60_000)
    settle(page)
    assert_no_exception(page)
    n = len(ev.cell(true, pred))
    assert f"{n} test images of a {true} were correctly classified" in _main(page)
    images = page.locator("[data-testid='stMain'] [data-testid='stImage']")
    assert images.count() == min(12, n)
    # the clicked cell is the one outlined now
    outline = page.locator(f"[data-testid='stVegaLiteChart'] path[aria-label='predicted: {pred}; true: {true}']")
    assert outline.count() == 2


def test_no_page_shows_a_code_identifier(server, page, tiny_runs):
    ids = {run.id for run in runs.list_runs(tiny_runs)}
    page.goto(server.url)
    settle(page)
    found = {}
    for name in PAGES:
        page.get_by_test_id("stSidebarNavLink").filter(has_text=name).click()
        settle(page)
        texts = [_words(page, "stSidebar"), _words(page, "stMain")]
        tabs = page.locator("[data-testid='stMain'] [role='tab']")
        for i in range(tabs.count()):
            tabs.nth(i).click()
            settle(page)
            texts.append(_words(page, "stMain"))
        assert_no_exception(page)
        if hits := code_identifiers("\n".join(texts), ids):
            found[name] = sorted(set(hits))
    assert not found, found


def test_inside_the_network_opens_with_the_answer_within_two_screens(serve, page, tmp_path):
    if runs.default_run() is None:
        pytest.skip("no shipped model: its whitening, 18 layers and 64 filters are the longest page")
    server = serve(tmp_path / "no_runs")  # nothing trained: the page opens on the shipped model
    page.goto(f"{server.url}/inside")
    page.wait_for_selector("text=What the first layer looks for", timeout=90_000)
    settle(page)
    assert_no_exception(page)
    headings = [h.inner_text() for h in page.locator("[data-testid='stMain'] h3").all()]
    assert headings == ["The answer", "Layer by layer", "What the first layer looks for"]
    height = page.evaluate("() => document.querySelector(\"[data-testid='stMain']\").scrollHeight")
    assert height <= TWO_SCREENS, f"Inside the network is {height} px tall at first"
    assert "Fixed pre-processing: whitening." in _main(page) and "the first layer that learned" in _main(page)


def test_a_help_link_opens_the_glossary_at_its_term(server, page):
    page.goto(f"{server.url}/results")
    settle(page)
    page.get_by_test_id("stMetric").filter(has_text="Epochs").get_by_test_id("stTooltipHoverTarget").hover()
    link = page.get_by_test_id("stTooltipContent").get_by_role("link", name="epochs")
    link.wait_for(timeout=10_000)
    assert link.get_attribute("href") == "glossary#epoch"
    box = link.bounding_box()
    page.mouse.move(box["x"] + 2, box["y"] + box["height"] / 2, steps=4)  # into the tooltip, which stays open
    with page.context.expect_page() as opened:
        page.mouse.click(box["x"] + 2, box["y"] + box["height"] / 2)
    glossary = opened.value
    glossary.wait_for_selector("#epoch", timeout=90_000)
    settle(glossary)
    assert glossary.url == f"{server.url}/glossary#epoch"
    assert glossary.locator("h1").first.inner_text() == "Glossary"
    top = glossary.locator("#epoch").bounding_box()["y"]
    assert 0 <= top < 1000, f"the term is at {top} px, out of sight"  # scrolled to it
    glossary.close()


def test_clicking_an_image_of_the_explore_grid_opens_it_up_close(server, page):
    page.goto(f"{server.url}/explore")
    page.wait_for_selector(".st-key-explore_index", timeout=90_000)
    settle(page)
    under = page.locator("[data-testid='stMain'] [data-testid='stElementContainer'][class*='st-key-explore_open_']")
    assert under.count() == 40  # a button under each image
    eighth = under.nth(7)
    index = int(re.search(r"st-key-explore_open_(\d+)", eighth.get_attribute("class"))[1])
    label = eighth.inner_text().strip()
    eighth.get_by_role("button", name=label).click()
    page.wait_for_function(f"() => document.querySelector(\"[data-testid='stMain']\").innerText"
                           f".includes('#{index} · {label} · train split')", timeout=60_000)
    settle(page)
    assert_no_exception(page)
    assert page.locator(".st-key-explore_index input").input_value() == str(index)
