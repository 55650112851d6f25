"""TensorFlow in the app's server: imported once, before any page that needs it runs; never by Home or the Glossary.

Each test runs in a fresh Python, as a fresh server starts: this test process has imported TensorFlow long ago.
"""
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

OPEN_PAGES = """
import json, sys, threading
from streamlit.testing.v1 import AppTest

def open_page(path, found):
    at = AppTest.from_file(sys.argv[1], default_timeout=300)
    at.run()
    if path:
        at.switch_page(path)
        at.run()
    found[path] = [str(e.value) for e in at.exception] + [e.value for e in at.error]

found = {}
threads = [threading.Thread(target=open_page, args=(path, found)) for path in sys.argv[2:]]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
print(json.dumps({"errors": found, "tensorflow": "tensorflow" in sys.modules}))
"""


def open_pages(*paths: str) -> dict:
    """Open each page ("" for Home) in its own AppTest, all at once, in a fresh Python: its errors, and
    whether TensorFlow was imported."""
    done = subprocess.run([sys.executable, "-c", OPEN_PAGES, str(ROOT / "app.py"), *paths], cwd=ROOT,
                          capture_output=True, text=True, timeout=600, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_home_and_the_glossary_open_without_tensorflow(runs_dir):
    result = open_pages("", "pages/glossary.py")
    assert result == {"errors": {"": [], "pages/glossary.py": []}, "tensorflow": False}


def test_pages_opened_at_once_on_a_fresh_server_all_open(runs_dir):
    # Before the pages waited for one import, two threads importing TensorFlow at once could leave one with a
    # half-imported module: "module 'tensorflow.python.data.ops.dataset_ops' has no attribute 'DatasetV2'".
    pages = ["pages/explore.py", "pages/train.py", "pages/inside.py", "pages/predict.py", "pages/labs.py"]
    result = open_pages(*pages)
    assert result == {"errors": dict.fromkeys(pages, []), "tensorflow": True}
