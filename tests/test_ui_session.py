"""The app keeps Keras's session across script runs: Streamlit would clear it after every rerun."""
import importlib.util
import sys

import keras
from streamlit.runtime.scriptrunner import script_runner

from cifar_demo import ui


def streamlit_own_cleanup():
    """Streamlit's cleanup as it ships: a fresh copy of its module (app.py, run in this process, patches the
    loaded one)."""
    spec = importlib.util.find_spec(script_runner.__name__)
    fresh = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(fresh)
    return fresh._clean_problem_modules


def test_script_runs_no_longer_clear_the_keras_session(monkeypatch):
    cleared = []
    monkeypatch.setattr(keras.backend, "clear_session", lambda *a, **k: cleared.append(1))
    monkeypatch.setattr(script_runner, "_clean_problem_modules", streamlit_own_cleanup())
    assert "keras" in sys.modules
    script_runner._clean_problem_modules()
    assert cleared == [1]  # Streamlit's own cleanup clears it: the reason for the fix

    ui.keep_keras_session()
    script_runner._clean_problem_modules()
    assert cleared == [1]
