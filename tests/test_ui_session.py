"""The app keeps Keras's session across script runs: Streamlit would clear it after every rerun."""
import sys

import keras
from streamlit.runtime.scriptrunner import script_runner

from cifar_demo import ui


def test_script_runs_no_longer_clear_the_keras_session(monkeypatch):
    cleared = []
    monkeypatch.setattr(keras.backend, "clear_session", lambda *a, **k: cleared.append(1))
    monkeypatch.setattr(script_runner, "_clean_problem_modules", script_runner._clean_problem_modules)
    assert "keras" in sys.modules
    script_runner._clean_problem_modules()
    assert cleared == [1]  # Streamlit's own cleanup clears it: the reason for the fix

    ui.keep_keras_session()
    script_runner._clean_problem_modules()
    assert cleared == [1]
