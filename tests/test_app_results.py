"""The Results page in Streamlit's AppTest: runs on disk in, what a user would read out."""
import json
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from cifar_demo import evaluation, runs
from cifar_demo.data import CLASS_NAMES
from cifar_demo.settings import TrainConfig

APP = str(Path(__file__).resolve().parent.parent / "app.py")
N_TEST = 300  # test images of the fabricated runs: the first 300 of the real test set
CAT, DOG = CLASS_NAMES.index("cat"), CLASS_NAMES.index("dog")


def fake_evaluation(labels: np.ndarray, seed: int = 0) -> evaluation.Evaluation:
    """Mostly right, except that most cats are taken for dogs: the most confused pair is (cat, dog)."""
    rng = np.random.default_rng(seed)
    proba = rng.dirichlet(np.full(10, 0.3), size=len(labels)).astype(np.float32) * 0.4
    proba[np.arange(len(labels)), labels] += 0.6
    cats = np.flatnonzero(labels == CAT)[: int(0.8 * np.sum(labels == CAT))]
    proba[cats, DOG] += 1.0
    return evaluation.Evaluation(labels, proba / proba.sum(axis=1, keepdims=True))


def make_run(cifar, *, status=runs.FINISHED, evaluated=True, error=None, epochs=(0.4, 0.5), seed=0):
    config = TrainConfig.for_preset("two_block", epochs=len(epochs), subset=500, test_subset=N_TEST, seed=seed)
    run = runs.create(config.to_dict())
    for i, acc in enumerate(epochs, start=1):
        run.append_epoch({"epoch": i, "loss": 2 - acc, "accuracy": acc, "val_loss": 2.1 - acc,
                          "val_accuracy": acc - 0.05, "lr": 1e-3})
    ev = fake_evaluation(cifar.y_test[:N_TEST], seed) if evaluated else None
    if ev is not None:
        run.save_evaluation(ev)
    if status == runs.INTERRUPTED:  # its status still says running, but no process trains it
        runs._live_here.discard(run.id)
    else:
        run.set_status(status, train_seconds=83.0, error=error,
                       test_accuracy=ev.accuracy if ev is not None else None)
    return run, ev


def results_page(query: dict | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    for key, value in (query or {}).items():
        at.query_params[key] = value
    at.switch_page("pages/results.py")
    return at.run()


def texts(at, kind: str) -> str:
    return "\n".join(str(e.value) for e in at.get(kind))


def figure(at, key: str) -> dict:
    chart = next(c for c in at.get("plotly_chart") if c.proto.id.endswith(key))
    return json.loads(chart.proto.spec)


def test_no_runs_and_no_shipped_model_says_so_and_links_to_train(monkeypatch):
    monkeypatch.setattr(runs, "default_run", lambda: None)
    at = results_page()
    assert not at.exception
    assert "Nothing trained yet" in texts(at, "alert") + texts(at, "info")
    links = [link.proto.page for link in at.get("page_link")]
    assert any(page.endswith("train.py") or "train" in page for page in links), links
    assert not at.get("tab_container")


def test_before_any_training_the_shipped_model_is_shown():
    shipped = runs.default_run()
    at = results_page()
    assert not at.exception
    info = texts(at, "alert") + texts(at, "info")
    assert "Nothing trained yet" in info and "model that ships with the app" in info
    picker = at.selectbox(key="results_run")
    accuracy = f"{100 * shipped.summary()['test_accuracy']:.2f}%"  # one figure, the same on every page
    assert picker.value == shipped.id and picker.options == [f"Default model (ships with the app) · Long CPU net · "
                                                            f"test {accuracy}"]
    metrics = {m.label: m.value for m in at.metric}
    epochs = len(shipped.history())
    assert metrics["Status"] == "finished" and metrics["Epochs"] == f"{epochs}/{epochs}"
    assert metrics["Test accuracy"] == accuracy
    test_views = next(m for m in at.metric if m.label == "Test accuracy").help
    assert "10,000 test images" in test_views and "averaged over 6 views (flipped and shifted)" in test_views
    assert at.get("tab_container")


def test_own_runs_come_first_and_the_shipped_model_last(cifar):
    run, _ = make_run(cifar)
    at = results_page()
    assert not at.exception
    picker = at.selectbox(key="results_run")
    assert picker.value == run.id
    assert picker.options[-1].startswith("Default model (ships with the app)")
    assert "Nothing trained yet" not in texts(at, "alert") + texts(at, "info")


def chart_cells(at) -> list[dict]:
    """The cells the confusion chart draws: its first layer's data, as the page sent it."""
    (chart,) = at.get("vega_lite_chart")
    spec = json.loads(chart.proto.spec)
    return next(layer["data"]["values"] for layer in spec["layer"] if "values" in layer.get("data", {}))


def confusion_counts(at) -> np.ndarray:
    counts = np.zeros((10, 10), int)
    for cell in chart_cells(at):
        counts[CLASS_NAMES.index(cell["true"]), CLASS_NAMES.index(cell["predicted"])] = cell["count"]
    return counts


def test_a_finished_run_shows_its_scores_confusion_and_cell_images(cifar):
    run, ev = make_run(cifar)
    at = results_page()
    assert not at.exception
    assert at.selectbox(key="results_run").value == run.id
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Status"] == "finished"
    assert metrics["Test accuracy"] == f"{100 * ev.accuracy:.2f}%"
    assert metrics["Train time"] == "1 min 23 s"
    assert metrics["Epochs"] == "2/2"

    # the clickable heat map draws the run's confusion counts, rows the true classes
    assert np.array_equal(confusion_counts(at), ev.confusion())
    # and says how to read it, naming this run's commonest mistake
    worst = ev.most_confused(1)[0]
    assert f"Its commonest mistake: **{worst[2]} cats taken for dogs**" in texts(at, "markdown")

    # the cell shown first is the most confused pair, with its images and their top-3 probabilities
    assert at.selectbox(key=f"results_true_{run.id}").value == "cat"
    assert at.selectbox(key=f"results_pred_{run.id}").value == "dog"
    cell = ev.cell("cat", "dog")
    assert len(at.get("image")) == min(12, len(cell))
    first = ev.top_k(int(cell[0]), 3)
    captions = [c.value for c in at.caption]
    assert "  \n".join(f"{name} {p:.0%}" for name, p in first) in captions

    # per-class report: the table holds scikit-learn's numbers
    table = at.dataframe[0].value
    assert list(table["class"])[:10] == list(CLASS_NAMES)
    np.testing.assert_allclose(table["recall"].to_numpy(), [100 * r["recall"] for r in ev.report()])  # in %

    # the config is there in full, as a table of settings people read
    settings = at.table[-1].value
    assert list(settings.columns) == ["Setting", "Value", "What it does"]
    values = dict(zip(settings["Setting"], settings["Value"]))
    assert values["Preset"] == "Two-block" and values["Training images"] == "500" and values["Epochs"] == "2"


def test_normalised_matrix_and_another_cell(cifar):
    run, ev = make_run(cifar)
    at = results_page()
    at.toggle(key="results_normalized").set_value(True).run()
    assert not at.exception
    cells = chart_cells(at)
    cat_dog = next(c for c in cells if (c["true"], c["predicted"]) == ("cat", "dog"))
    assert cat_dog["text"] == f"{ev.confusion(normalize=True)[CAT, DOG]:.0%}"

    at.selectbox(key=f"results_true_{run.id}").select("ship").run()
    at.selectbox(key=f"results_pred_{run.id}").select("ship").run()
    assert not at.exception
    assert len(at.get("image")) == min(12, len(ev.cell("ship", "ship")))
    assert "correctly classified" in texts(at, "markdown")


def test_query_param_picks_the_run_and_compare_overlays_curves(cifar):
    older, _ = make_run(cifar, seed=1, epochs=(0.2, 0.3, 0.35))
    newer, _ = make_run(cifar, seed=2)
    assert [r.id for r in runs.list_runs()] == [newer.id, older.id]

    at = results_page({"run": older.id})
    assert not at.exception
    assert at.selectbox(key="results_run").value == older.id
    assert {m.label: m.value for m in at.metric}["Epochs"] == "3/3"

    at.multiselect(key="results_compare").select(newer.id).run()
    assert not at.exception
    names = [trace["name"] for trace in figure(at, "results_curves")["data"]]
    assert names == [f"{run} {kind}" for run in (older.id, newer.id) for kind in ("train", "validation", "test")]
    assert list(at.dataframe[-1].value["id"]) == [older.id, newer.id]


def test_choosing_a_run_puts_it_in_the_url(cifar):
    older, _ = make_run(cifar, seed=1)
    newer, _ = make_run(cifar, seed=2)
    at = results_page()
    assert at.selectbox(key="results_run").value == newer.id
    at.selectbox(key="results_run").select(older.id).run()
    assert not at.exception
    assert at.query_params["run"] == older.id
    at.run()  # and it sticks
    assert at.selectbox(key="results_run").value == older.id


def test_an_unknown_run_in_the_url_falls_back_to_the_newest(cifar):
    run, _ = make_run(cifar)
    at = results_page({"run": "no-such-run"})
    assert not at.exception
    assert at.selectbox(key="results_run").value == run.id


@pytest.mark.parametrize("status, expected", [
    (runs.FAILED, "This run failed"),
    (runs.INTERRUPTED, "This run was interrupted"),
])
def test_runs_without_test_results_say_so_plainly(cifar, status, expected):
    error = "the loss became nan at epoch 1, batch 3: training diverged." if status == runs.FAILED else None
    run, _ = make_run(cifar, status=status, evaluated=False, error=error, epochs=(0.3,))
    at = results_page({"run": run.id})  # not finished: the page opens on it when asked (or just after training it)
    assert not at.exception
    shown = texts(at, "error") + texts(at, "warning") + texts(at, "info")
    assert expected in shown
    assert "No test results for this run: it" in shown
    if error:
        assert "training diverged" in shown
    assert {m.label: m.value for m in at.metric}["Test accuracy"] == "–"
    assert not at.get("image")


def test_unreadable_run_is_an_error_not_a_traceback(cifar):
    run, _ = make_run(cifar)
    (run.path / "status.json").write_text("{broken")
    at = results_page({"run": run.id})
    assert not at.exception
    assert "cannot be read" in texts(at, "error")
