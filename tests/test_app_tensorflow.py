"""Home and the Glossary never import TensorFlow, so that a fresh server shows them at once.

(That pages opened at once all open, which the one import of TensorFlow in ui.routed is for, is
tests/test_browser.py's test_pages_opened_at_once_on_a_fresh_server_all_open.)
"""
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

OPEN_PAGES = """
import json, sys
from streamlit.testing.v1 import AppTest

found = {}
for path in sys.argv[2:]:
    at = AppTest.from_file(sys.argv[1], default_timeout=300)
    at.run()
    if path:
        at.switch_page(path)
        at.run()
    found[path] = [str(e.value) for e in at.exception] + [e.value for e in at.error] + [t.value for t in at.title]
print(json.dumps({"opened": found, "tensorflow": "tensorflow" in sys.modules}))
"""


def open_pages(*paths: str) -> dict:
    """Open each page ("" for Home) in its own AppTest, one after the other, in a fresh Python (as a fresh
    server starts; this test process imported TensorFlow long ago): its errors and titles, and whether
    TensorFlow was imported."""
    done = subprocess.run([sys.executable, "-c", OPEN_PAGES, str(ROOT / "app.py"), *paths], cwd=ROOT,
                          capture_output=True, text=True, timeout=600, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_home_and_the_glossary_open_without_tensorflow(runs_dir):
    result = open_pages("", "pages/glossary.py")
    assert result == {"opened": {"": ["How a CNN sees CIFAR-10"], "pages/glossary.py": ["Glossary"]},
                      "tensorflow": False}

