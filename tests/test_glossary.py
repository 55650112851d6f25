"""The glossary: its terms, their anchors, the links help texts use, and the page that shows them."""
import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from cifar_demo import glossary, ui

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "app.py")
MUST = ["epoch", "batch", "learning rate", "loss", "accuracy", "softmax", "augmentation", "batch normalisation",
        "dropout", "pooling", "convolution", "filter", "feature map", "overfitting", "validation", "test set",
        "precision", "recall", "F1", "Grad-CAM"]


def test_the_terms_of_the_brief_are_there_once_each_with_a_plain_meaning():
    names = [t.name for t in glossary.TERMS]
    assert set(MUST) <= set(names) and len(names) == len(set(names))
    anchors = [glossary.anchor(n) for n in names]
    assert len(anchors) == len(set(anchors)) and all(re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", a) for a in anchors)
    assert all(t.group in glossary.GROUPS and t.meaning.endswith(".") for t in glossary.TERMS)


def test_a_link_points_at_the_terms_anchor_on_the_glossary_page():
    assert glossary.link("learning rate") == "[learning rate](glossary#learning-rate)"
    assert glossary.link("Grad-CAM", "where it looked") == "[where it looked](glossary#grad-cam)"
    assert glossary.link("f1") == "[f1](glossary#f1)"
    with pytest.raises(KeyError):
        glossary.link("flux capacitor")
    assert ("pages/glossary.py", "Glossary", ":material/menu_book:", glossary.PAGE) in ui.PAGES


def test_every_term_linked_in_the_code_is_in_the_glossary():
    source = "\n".join(p.read_text() for p in [*ROOT.glob("pages/*.py"), *ROOT.glob("cifar_demo/**/*.py")])
    linked = set(re.findall(r"""\blink\(['"]([^'"]+)['"]""", source))
    assert linked and all(glossary.term(name) for name in linked)


def test_the_glossary_page_shows_every_term_under_its_anchor():
    at = AppTest.from_file(APP, default_timeout=60)
    at.switch_page("pages/glossary.py")
    at.run()
    assert not at.exception
    anchors = {h.proto.anchor for h in at.subheader}
    assert anchors == {glossary.anchor(t.name) for t in glossary.TERMS}
    index = "\n".join(m.value for m in at.markdown)
    assert all(f"(#{glossary.anchor(t.name)})" in index for t in glossary.TERMS)
