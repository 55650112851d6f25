"""The Labs page in Streamlit's AppTest, on a small trained model: every tab draws, says how to read it
with the run's own numbers, and shows no traceback."""
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from cifar_demo import runs
from cifar_demo.ui import labs_tabs

APP = str(Path(__file__).resolve().parent.parent / "app.py")
TIMEOUT = 240  # the map's t-SNE and the neighbour pool on 2 busy cores


@pytest.fixture(autouse=True)
def _no_default_model(monkeypatch):
    monkeypatch.setattr(runs, "default_run", lambda: None)


def open_tab(tab: str, **state) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.session_state["labs_tab"] = tab
    for key, value in state.items():
        at.session_state[key] = value
    at.switch_page("pages/labs.py")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def texts(at, *kinds) -> str:
    return "\n".join(str(e.value) for kind in kinds for e in at.get(kind))


def test_without_a_model_the_page_sends_the_user_to_train():
    at = open_tab("Show me the code")
    assert "no trained model" in at.info[0].value


def test_the_tabs_are_the_six_labs(tiny_runs, monkeypatch):
    monkeypatch.setenv("CIFAR_DEMO_RUNS", str(tiny_runs))
    at = open_tab("Show me the code")
    assert [t.label for t in at.tabs] == [name for name, _ in labs_tabs.LABS] and len(labs_tabs.LABS) == 6


def test_the_code_of_the_run_and_of_a_preset(tiny_runs, monkeypatch):
    monkeypatch.setenv("CIFAR_DEMO_RUNS", str(tiny_runs))
    at = open_tab("Show me the code")
    run = runs.list_runs(tiny_runs)[0]
    command, script = at.code[0].value, at.code[1].value
    assert "def build_model():" in script and "layers.Conv2D(32, 3" in script
    assert command.startswith("python ") and command.endswith("_cifar10.py --epochs 1 --subset 2000")
    assert f"which for this run was {run.test_accuracy():.2%}" in texts(at, "info")
    at.selectbox(key="labs_code_of").select("long").run()
    assert not at.exception and "(1,975,096 parameters)" in texts(at, "info")


def test_calibration_with_the_runs_numbers(tiny_runs, monkeypatch):
    monkeypatch.setenv("CIFAR_DEMO_RUNS", str(tiny_runs))
    at = open_tab("Calibration")
    ev = runs.list_runs(tiny_runs)[0].evaluation()
    assert f"is right {ev.accuracy:.1%} of the time" in texts(at, "markdown")
    assert texts(at, "info").count("How to read this.") == 2
    assert {m.label for m in at.metric} >= {"Calibration error (ECE)", "How often right"}


def test_robustness_curves_levels_and_the_adversarial_example(tiny_runs, monkeypatch):
    monkeypatch.setenv("CIFAR_DEMO_RUNS", str(tiny_runs))
    at = open_tab("Robustness", labs_robust_n=100)
    info = texts(at, "info")
    assert "of these 100 right" in info and "Each row is one change to test image 7" in info
    assert "FGSM" in info or "resists" in info
    assert len(at.get("plotly_chart")) == 2
    again = open_tab("Robustness", labs_robust_n=100)  # a second look reads the run's folder
    assert "Kept from an earlier look" in texts(again, "caption")


def test_baselines_train_and_join_the_table(tiny_runs, monkeypatch, runs_dir, tmp_path):
    import shutil
    shutil.copytree(tiny_runs, tmp_path / "runs_copy")
    monkeypatch.setenv("CIFAR_DEMO_RUNS", str(tmp_path / "runs_copy"))
    at = open_tab("Baselines", labs_base_n=1000)
    assert len(at.dataframe[0].value) == 1
    at.button(key="labs_base_go").click().run()
    assert not at.exception
    table = at.dataframe[0].value
    assert len(table) == 3 and list(table["tested"]) == [300, 300, 300]
    assert "Neither baseline knows" in texts(at, "info")


def test_the_map_and_the_nearest_training_images(tiny_runs, monkeypatch):
    monkeypatch.setenv("CIFAR_DEMO_RUNS", str(tiny_runs))
    at = open_tab("Map of what it learned")
    info = texts(at, "info")
    assert "Each dot is one of the first 1,000 test images, placed by the 128 numbers" in info
    assert "of 5,000 training images (500 of each class)" in info
    assert len(at.get("vega_lite_chart")) == 1


def test_a_convolution_by_hand_agrees_with_the_layer(tiny_runs, monkeypatch):
    monkeypatch.setenv("CIFAR_DEMO_RUNS", str(tiny_runs))
    at = open_tab("A convolution by hand", labs_conv_filter=4, labs_conv_row=0, labs_conv_col=31)
    assert "The 27 products add up to" in texts(at, "markdown")
    assert "The layer's own output at that place" in texts(at, "success")
    assert "3×3×3 filter" in texts(at, "info") and "zero padding" in texts(at, "info")  # column 31: the edge
