"""The Compare runs page and the Results page's Mistakes tab and run actions, in Streamlit's AppTest."""
import json
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest
from test_app_results import N_TEST, make_run

from cifar_demo import evaluation, runs
from cifar_demo.data import CLASS_NAMES

APP = str(Path(__file__).resolve().parent.parent / "app.py")
CAT, DOG = CLASS_NAMES.index("cat"), CLASS_NAMES.index("dog")


def open_page(page: str, **state) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    for key, value in state.items():
        at.session_state[key] = value
    at.switch_page(page)
    return at.run()


def texts(at, *kinds: str) -> str:
    return "\n".join(str(e.value) for kind in kinds for e in at.get(kind))


def button(at, label: str):
    return next(b for b in at.button if b.label == label)


# --- the runs page ----------------------------------------------------------------------------------------------

def test_the_table_shows_every_run_and_ticked_rows_overlay_their_curves(cifar):
    older, _ = make_run(cifar, seed=1, epochs=(0.2, 0.3, 0.35))
    newer, ev = make_run(cifar, seed=2)
    at = open_page("pages/compare.py")
    assert not at.exception
    table = at.dataframe[0].value
    assert list(table["id"]) == [newer.id, older.id]
    assert list(table["epochs_done"]) == [2, 3] and list(table["status"]) == ["finished", "finished"]
    assert table["test_accuracy"][0] == pytest.approx(100 * ev.accuracy)  # percentages, shown with 2 decimals
    assert table["best_val_accuracy"][1] == pytest.approx(30)
    columns = json.loads(at.dataframe[0].proto.columns)
    assert {columns[k]["type_config"]["format"] for k in ("test_accuracy", "best_val_accuracy")} == {"%.2f%%"}
    assert "Tick one or more rows" in texts(at, "info")

    at.session_state["runs_table"] = {"selection": {"rows": [0, 1]}}
    at.run()
    assert not at.exception
    chart = next(c for c in at.get("plotly_chart") if c.proto.id.endswith("runs_curves"))
    names = [trace["name"] for trace in json.loads(chart.proto.spec)["data"]]
    assert names == [f"{run} {kind}" for run in (newer.id, older.id) for kind in ("train", "validation", "test")]


def test_ticking_a_run_with_an_unreadable_file_draws_the_others_and_names_it(cifar):
    good, _ = make_run(cifar, seed=1)
    bad, _ = make_run(cifar, seed=2)
    (bad.path / "evaluation.json").write_text("{")  # its history is fine; its test results are not
    at = open_page("pages/compare.py")
    at.session_state["runs_table"] = {"selection": {"rows": [0, 1]}}
    at.run()
    assert not at.exception
    chart = next(c for c in at.get("plotly_chart") if c.proto.id.endswith("runs_curves"))
    names = [trace["name"] for trace in json.loads(chart.proto.spec)["data"]]
    assert names == [f"{good.id} {kind}" for kind in ("train", "validation", "test")]
    assert f"{bad.id}" in texts(at, "error") and "not valid JSON" in texts(at, "error")
    assert (bad.path / "history.json").is_file()  # nothing is lost


def test_delete_asks_first_then_removes_the_run(cifar):
    keep, _ = make_run(cifar, seed=1)
    gone, _ = make_run(cifar, seed=2)
    at = open_page("pages/compare.py")
    assert at.selectbox(key="runs_pick").value == gone.id  # the newest
    button(at, "Delete…").click().run()
    assert "for good?" in texts(at, "warning") and gone.path.is_dir()
    button(at, "Cancel").click().run()
    assert "for good?" not in texts(at, "warning") and gone.path.is_dir()

    button(at, "Delete…").click().run()
    button(at, "Delete for good").click().run()
    assert not at.exception
    assert not gone.path.exists() and keep.path.is_dir()
    assert f"Deleted run {gone.id}" in texts(at, "success")
    assert list(at.dataframe[0].value["id"]) == [keep.id]


def test_a_running_run_is_not_deleted_and_the_page_says_why(cifar):
    run, _ = make_run(cifar, status=runs.RUNNING)
    at = open_page("pages/compare.py")
    button(at, "Delete…").click().run()
    button(at, "Delete for good").click().run()
    assert not at.exception
    assert run.path.is_dir()
    assert "training right now" in texts(at, "error")


def test_resume_is_offered_for_a_stopped_run_with_a_model_only(cifar):
    finished, _ = make_run(cifar, seed=1)
    stopped, _ = make_run(cifar, seed=2, status=runs.STOPPED)  # 2 epochs done...
    config = json.loads((stopped.path / "config.json").read_text())
    (stopped.path / "config.json").write_text(json.dumps({**config, "epochs": 5}))  # ...of 5
    stopped.model_path.write_bytes(b"model")
    at = open_page("pages/compare.py")
    assert at.selectbox(key="runs_pick").value == stopped.id
    resume = button(at, "Resume training")
    assert not resume.disabled and "from epoch 3 to 5" in resume.help
    at.selectbox(key="runs_pick").select(finished.id).run()
    assert not [b for b in at.button if b.label == "Resume training"]


def test_train_again_fills_the_train_page_with_the_runs_settings(cifar):
    run, _ = make_run(cifar)  # two_block, 2 epochs, 500 images, test on the first 300
    config = json.loads((run.path / "config.json").read_text())
    config.update(batch_size=64, learning_rate=0.002, flip=True)
    (run.path / "config.json").write_text(json.dumps(config))
    at = open_page("pages/compare.py")
    button(at, "Train again with these settings").click().run()
    assert not at.exception
    assert at.title[0].value == "Train a network"
    assert at.selectbox(key="train_preset").value == "two_block"
    assert at.number_input(key="train_hp_two_block_epochs").value == 2
    assert at.selectbox(key="train_hp_two_block_batch_size").value == 64
    assert at.number_input(key="train_hp_two_block_learning_rate").value == pytest.approx(0.002)
    assert at.checkbox(key="train_hp_two_block_flip").value is True
    assert at.selectbox(key="train_hp_two_block_subset").value == 500
    # 300 test images is not a choice there: the nearest is, and the page says so
    assert at.selectbox(key="train_hp_two_block_test_subset").value == 1000
    assert run.id in texts(at, "info") and "test images 300 → 1,000" in texts(at, "info")


def test_no_runs_says_so():
    at = open_page("pages/compare.py")
    assert not at.exception
    assert "No runs yet" in texts(at, "info")


# --- the Results page: mistakes and actions -----------------------------------------------------------------------

def mistakes_tab(cifar, **state):
    run, ev = make_run(cifar)
    at = open_page("pages/results.py", results_tab="Mistakes", **state)
    return run, ev, at


def test_the_mistakes_agree_with_the_confusion_matrix(cifar):
    run, ev, at = mistakes_tab(cifar)
    assert not at.exception
    t, p, count = ev.most_confused(1)[0]
    assert (t, p) == ("cat", "dog")
    assert f"**cat** is mistaken for **dog** {count} times" in texts(at, "markdown")

    at.selectbox(key=f"mistakes_true_{run.id}").select("cat").run()
    at.selectbox(key=f"mistakes_pred_{run.id}").select("dog").run()
    assert not at.exception
    cm = ev.confusion()
    assert f"**{cm[CAT, DOG]}** test images of a **cat** were predicted as **dog**" in texts(at, "markdown")
    tab = at.tabs[1]
    assert len(tab.get("image")) == min(24, cm[CAT, DOG])
    first = ev.mistakes(true_class="cat", pred_class="dog")[0]
    assert ev.confidence[first] == ev.confidence[ev.mistakes(true_class="cat", pred_class="dog")].max()
    caption = "truly **cat**  \n" + "  \n".join(f"{n} {q:.0%}" for n, q in ev.top_k(int(first), 3))
    assert tab.get("caption")[1].value == caption  # after the line on how to read them


def test_any_class_shows_all_mistakes_with_show_more(cifar):
    run, _ = make_run(cifar)
    rng = np.random.default_rng(0)  # a model that guesses: about 270 mistakes in 300
    ev = evaluation.Evaluation(cifar.y_test[:N_TEST], rng.dirichlet(np.ones(10), size=N_TEST))
    run.save_evaluation(ev)
    at = open_page("pages/results.py", results_tab="Mistakes")
    wrong = int((ev.y_pred != ev.y_true).sum())
    assert f"**{wrong}** of the {N_TEST} test images were predicted wrongly; the 24" in texts(at, "markdown")
    assert len(at.tabs[1].get("image")) == 24
    button(at, "Show 24 more").click().run()
    assert not at.exception
    assert len(at.tabs[1].get("image")) == 48


def test_same_true_and_predicted_class_is_explained_not_empty(cifar):
    run, ev, at = mistakes_tab(cifar)
    at.selectbox(key=f"mistakes_true_{run.id}").select("ship").run()
    at.selectbox(key=f"mistakes_pred_{run.id}").select("ship").run()
    assert not at.exception
    assert "choose two different classes" in texts(at, "info")


def test_results_offers_resume_for_an_interrupted_run_and_train_again_for_all(cifar):
    run, _ = make_run(cifar, status=runs.INTERRUPTED, evaluated=False)
    run.model_path.write_bytes(b"model")
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params["run"] = run.id  # not finished: Results opens on it when asked
    at.switch_page("pages/results.py")
    at.run()
    assert not at.exception
    labels = [b.label for b in at.button]
    assert "Resume training" in labels and "Train again with these settings" in labels
    assert "Delete…" not in labels
