"""Teaching in Streamlit's AppTest: the pages follow the learner's current run, the how-to-read texts quote the
run's own numbers, and Compare runs lists the settings in which the ticked runs differ."""
import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest
from test_app_results import N_TEST, make_run

from cifar_demo import reading, runs
from cifar_demo.settings import TrainConfig

APP = str(Path(__file__).resolve().parent.parent / "app.py")


def with_model(run: runs.Run) -> runs.Run:
    """Give a fabricated run a (tiny, untrained) model, so that Inside the network and Predict offer it."""
    import keras
    run.save_model(keras.Sequential([keras.Input((32, 32, 3)), keras.layers.Flatten(),
                                     keras.layers.Dense(10, activation="softmax")]))
    return run


def open_page(at: AppTest, page: str) -> AppTest:
    """Go to ``page`` as the sidebar does: a browser drops the last page's query (Results' ?run=), AppTest not."""
    for key in list(at.query_params):
        del at.query_params[key]
    at.switch_page(page)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def text(at, *kinds) -> str:
    return "\n".join(str(e.value) for kind in kinds for e in at.get(kind))


@pytest.fixture
def two_runs(cifar):
    older, _ = make_run(cifar, seed=1)
    newer, _ = make_run(cifar, seed=2)
    return with_model(older), with_model(newer)


def test_without_a_choice_every_page_opens_on_the_newest_finished_run(two_runs):
    older, newer = two_runs
    at = AppTest.from_file(APP, default_timeout=90)
    assert open_page(at, "pages/results.py").selectbox(key="results_run").value == newer.id
    assert at.query_params["run"] == newer.id
    assert open_page(at, "pages/inside.py").selectbox(key="predict_model").value == newer.id
    assert open_page(at, "pages/predict.py").selectbox(key="predict_model").value == newer.id


def test_a_run_opened_on_one_page_is_the_one_the_others_open_on(two_runs):
    older, newer = two_runs
    at = AppTest.from_file(APP, default_timeout=90)
    open_page(at, "pages/results.py").selectbox(key="results_run").select(older.id).run()
    assert open_page(at, "pages/inside.py").selectbox(key="predict_model").value == older.id
    assert open_page(at, "pages/predict.py").selectbox(key="predict_model").value == older.id
    at.selectbox(key="predict_model").select(newer.id).run()  # chosen on Predict: Results follows
    assert open_page(at, "pages/results.py").selectbox(key="results_run").value == newer.id
    assert open_page(at, "pages/inside.py").selectbox(key="predict_model").value == newer.id
    open_page(at, "pages/compare.py").selectbox(key="runs_pick").select(older.id).run()  # and Compare runs' pick
    assert open_page(at, "pages/results.py").selectbox(key="results_run").value == older.id


def test_the_run_just_trained_is_the_current_run(two_runs, cifar):
    older, newer = two_runs
    at = AppTest.from_file(APP, default_timeout=90)
    open_page(at, "pages/results.py").selectbox(key="results_run").select(newer.id).run()
    trained, _ = make_run(cifar, seed=3)  # the Train page starts it and says so in the session
    at.session_state["train_started"] = trained.id
    assert open_page(at, "pages/results.py").selectbox(key="results_run").value == trained.id
    with_model(trained)
    assert open_page(at, "pages/predict.py").selectbox(key="predict_model").value == trained.id
    at.selectbox(key="predict_model").select(older.id).run()  # a later pick wins over it
    assert open_page(at, "pages/results.py").selectbox(key="results_run").value == older.id


def test_a_link_with_a_run_opens_it_and_makes_it_current(two_runs):
    older, newer = two_runs
    at = AppTest.from_file(APP, default_timeout=90)
    at.query_params["run"] = older.id
    at.switch_page("pages/results.py")
    assert at.run().selectbox(key="results_run").value == older.id
    assert open_page(at, "pages/inside.py").selectbox(key="predict_model").value == older.id


def test_the_worked_example_and_the_curves_quote_this_runs_numbers(cifar):
    run, ev = make_run(cifar)
    for epoch, (train, val) in enumerate([(0.6, 0.5), (0.9, 0.55)], start=3):  # it overfits in two more epochs
        run.append_epoch({"epoch": epoch, "loss": 1 - train, "accuracy": train, "val_loss": 1.5 - val,
                          "val_accuracy": val})
    at = open_page(AppTest.from_file(APP, default_timeout=60), "pages/results.py")
    counts = ev.confusion()
    weakest = reading.class_scores(counts, reading.weakest_class(counts))
    shown = text(at, "markdown")
    assert (f"**A worked example: {weakest.name}**, its weakest class. Of the **{weakest.called:,}** test images "
            f"it called {weakest.name}, **{weakest.called_right:,}**") in shown
    assert f"= **{weakest.precision:.2%}**" in shown and f"= **{weakest.recall:.2%}**" in shown
    assert f"**{weakest.f1:.2%}**" in shown
    other = next(s for s in at.selectbox if s.label == "Worked example for")
    other.set_value(0).run()  # airplane
    airplane = reading.class_scores(counts, 0)
    assert f"Of the **{airplane.called:,}** test images it called airplane" in text(at, "markdown")

    assert "**90%** on its training images and **55%** on the validation images: **35 points apart**" in shown
    assert "[overfitting](glossary#overfitting)" in shown
    chart = next(c for c in at.get("plotly_chart") if c.proto.id.endswith("results_curves"))
    layout = json.loads(chart.proto.spec)["layout"]
    assert layout["annotations"][0]["text"] == "35 points apart"  # marked on the chart, at the last epoch
    assert {shape["x0"] for shape in layout["shapes"] if shape["x0"] == shape["x1"]} == {4}


def test_a_run_without_validation_says_there_is_no_held_out_curve(cifar):
    config = TrainConfig.for_preset("two_block", epochs=2, validation_split=0.0, test_subset=N_TEST)
    run = runs.create(config.to_dict())
    for epoch, train in enumerate((0.5, 0.7), start=1):
        run.append_epoch({"epoch": epoch, "loss": 1 - train, "accuracy": train})
    run.set_status(runs.FINISHED, train_seconds=3.0)
    at = open_page(AppTest.from_file(APP, default_timeout=60), "pages/results.py")
    assert "This run held no validation images out, so there is no solid line" in text(at, "markdown")


def test_compare_lists_the_settings_that_differ_and_each_runs_images_time_and_date(cifar):
    first, _ = make_run(cifar, seed=1)
    second, _ = make_run(cifar, seed=2, epochs=(0.3, 0.4, 0.5))
    at = open_page(AppTest.from_file(APP, default_timeout=60), "pages/compare.py")
    at.session_state["runs_table"] = {"selection": {"rows": [0, 1]}}
    at.run()
    assert not at.exception
    table = at.table[0].value
    assert list(table.columns) == ["Setting", second.id, first.id]
    rows = {row["Setting"]: [row[second.id], row[first.id]] for row in table.to_dict("records")}
    assert rows["Epochs"] == ["3", "2"] and rows["Seed"] == ["2", "1"]
    assert "Batch size" not in rows  # the same in both: not listed
    assert rows["Training images"] == ["500", "500"] and rows["Training time"] == ["1 min 23 s"] * 2
    assert all(date.count(":") == 1 for date in rows["Date"])
    assert rows["Test accuracy"] == [f"{100 * r.test_accuracy():.2f}%" for r in (second, first)]
    assert "Architecture" not in json.loads(at.dataframe[0].proto.columns)  # the cut column is gone


@pytest.mark.parametrize("page", ["pages/results.py", "pages/inside.py", "pages/predict.py", "pages/compare.py",
                                  "pages/explore.py", "pages/home.py", "pages/glossary.py"])
def test_help_texts_labels_and_choices_hold_no_code_identifier(two_runs, page):
    """What a user reads only on hovering or opening a list: every widget's label, help and options."""
    from test_browser_teach import code_identifiers
    at = open_page(AppTest.from_file(APP, default_timeout=90), page)
    ids = {run.id for run in runs.list_runs()}
    found = []
    for widget in _widgets(at):
        words = [getattr(widget, "label", "") or "", getattr(widget, "help", "") or ""]
        words += [str(option) for option in getattr(widget, "options", []) or [] if str(option) not in ids]
        found += [(widget.key, hit) for text in words for hit in code_identifiers(text, ids)]
    assert not found, found


def _widgets(at):
    kinds = ("selectbox", "multiselect", "slider", "select_slider", "toggle", "number_input", "button",
             "button_group", "file_uploader", "metric", "text_input", "checkbox", "radio")
    return [w for kind in kinds for w in at.get(kind)]


def test_an_unexpected_error_on_a_page_says_what_it_was_instead_of_a_redacted_box(monkeypatch):
    from cifar_demo import ui
    from cifar_demo.ui import glossary

    def broken():
        raise RuntimeError("the glossary's index went missing")

    monkeypatch.delenv("CIFAR_DEMO_RAISE_ERRORS")  # as the served app runs
    monkeypatch.setattr(glossary, "index", broken)
    at = open_page(AppTest.from_file(APP, default_timeout=60), "pages/glossary.py")
    assert not at.exception
    box = [e.value for e in at.error]
    assert box and box[0].startswith(f"**{ui.PAGE_FAILED}** RuntimeError: the glossary's index went missing.")
    assert "safe on disk" in box[0]
    assert [t.value for t in at.title] == ["Glossary"]  # what the page drew before the error stays
