"""What each chart draws: traces, values, axis titles and text."""
import numpy as np
import pytest

from cifar_demo import charts
from cifar_demo.data import CLASS_NAMES


def test_moving_average_matches_numpy():
    x = np.arange(10, dtype=float) ** 2
    out = charts.moving_average(x, 3)
    expected = [x[max(0, i - 2):i + 1].mean() for i in range(10)]
    np.testing.assert_allclose(out, expected)
    np.testing.assert_allclose(charts.moving_average(x, 1), x)
    assert charts.moving_average([], 5).shape == (0,)


def test_class_counts_draws_one_bar_trace_per_split():
    counts = {"train": np.full(10, 5000), "test": np.arange(10)}
    fig = charts.class_counts(counts)
    assert [t.type for t in fig.data] == ["bar", "bar"]
    assert [t.name for t in fig.data] == ["train", "test"]
    assert list(fig.data[0].x) == list(CLASS_NAMES)
    assert list(fig.data[1].y) == list(range(10))
    assert fig.layout.barmode == "group"
    assert fig.layout.xaxis.title.text == "Class"
    assert fig.layout.yaxis.title.text == "Images"
    assert fig.data[0].marker.color != fig.data[1].marker.color


def test_batch_curves_raw_and_smoothed():
    steps = np.arange(1, 51)
    loss = np.linspace(2.3, 1.0, 50)
    acc = np.linspace(0.1, 0.6, 50)
    fig = charts.batch_curves(steps, loss, acc, smooth=10)
    assert len(fig.data) == 4
    raw_loss, avg_loss, raw_acc, avg_acc = fig.data
    assert raw_loss.opacity < 1 and avg_loss.opacity is None
    np.testing.assert_allclose(raw_loss.y, loss)
    np.testing.assert_allclose(avg_loss.y, charts.moving_average(loss, 10))
    np.testing.assert_allclose(raw_acc.y, acc)
    assert list(avg_acc.x) == list(steps)
    # loss on the left subplot, accuracy on the right, in percent
    assert raw_loss.xaxis == "x" and raw_acc.xaxis == "x2"
    assert fig.layout.yaxis.title.text == "Loss"
    assert fig.layout.yaxis2.title.text == "Accuracy"
    assert fig.layout.yaxis2.tickformat == ".0%"
    assert fig.layout.xaxis.title.text == "Batch"


def test_batch_curves_without_smoothing_and_before_the_first_batch():
    fig = charts.batch_curves([1, 2], [2.0, 1.9], [0.1, 0.2], smooth=1)
    assert len(fig.data) == 2 and fig.data[0].opacity == 1.0
    empty = charts.batch_curves([], [], [])
    assert len(empty.data) == 4 and len(empty.data[0].y) == 0


def test_batch_curves_thin_long_runs_to_max_points_after_averaging():
    steps = np.arange(1, 5001)
    loss = np.random.default_rng(0).random(5000)
    fig = charts.batch_curves(steps, loss, loss, smooth=20, max_points=500)
    raw_loss, avg_loss = fig.data[:2]
    assert len(raw_loss.x) == 500 and raw_loss.x[0] == 1 and raw_loss.x[-1] == 5000
    picked = np.asarray(raw_loss.x) - 1
    np.testing.assert_allclose(raw_loss.y, loss[picked])
    # the average is over every batch, then thinned: not an average of the thinned points
    np.testing.assert_allclose(avg_loss.y, charts.moving_average(loss, 20)[picked])
    assert len(charts.batch_curves(steps[:300], loss[:300], loss[:300], max_points=500).data[0].x) == 300


def history(n, *, val=True):
    rows = []
    for e in range(1, n + 1):
        row = {"epoch": e, "loss": 2.0 / e, "accuracy": 0.1 * e}
        if val:
            row.update(val_loss=2.2 / e, val_accuracy=0.09 * e)
        rows.append(row)
    return rows


def test_epoch_curves_overlay_runs():
    fig = charts.epoch_curves({"small": history(3), "big": history(5)})
    assert [t.name for t in fig.data] == ["small train", "small validation", "big train", "big validation"]
    small_train, small_val, big_train, big_val = fig.data
    assert list(small_train.x) == [1, 2, 3]
    assert list(small_train.y) == pytest.approx([0.1, 0.2, 0.3])
    assert list(small_val.y) == pytest.approx([0.09, 0.18, 0.27])
    assert small_train.line.dash == "dash" and small_val.line.dash == "solid"
    assert small_train.line.color == small_val.line.color != big_train.line.color
    assert fig.layout.xaxis.title.text == "Epoch"
    assert fig.layout.yaxis.title.text == "Accuracy"
    assert fig.layout.yaxis.tickformat == ".0%"


def test_epoch_curves_loss_single_epoch_and_missing_val():
    fig = charts.epoch_curves({"run": history(1, val=False)}, metric="loss")
    assert len(fig.data) == 1
    assert fig.data[0].name == "run train"
    assert "markers" in fig.data[0].mode
    assert list(fig.data[0].y) == [2.0]
    assert fig.layout.yaxis.title.text == "Loss"
    assert fig.layout.yaxis.tickformat is None
    assert len(charts.epoch_curves({}).data) == 0


def test_epoch_curves_skips_epochs_without_a_value():
    rows = history(3)
    del rows[1]["val_accuracy"]
    fig = charts.epoch_curves({"run": rows})
    assert list(fig.data[1].x) == [1, 3]


def test_confusion_matrix_counts():
    cm = np.arange(100).reshape(10, 10)
    fig = charts.confusion_matrix(cm)
    (heat,) = fig.data
    assert heat.type == "heatmap"
    assert list(heat.x) == list(CLASS_NAMES) and list(heat.y) == list(CLASS_NAMES)
    assert np.array_equal(np.array(heat.z), cm)
    assert heat.text[3][5] == "35"
    assert fig.layout.xaxis.title.text == "Predicted class"
    assert fig.layout.yaxis.title.text == "True class"
    assert fig.layout.yaxis.autorange == "reversed"  # airplane on top


def test_confusion_matrix_normalized_shows_percent():
    cm = np.full((10, 10), 0.05)
    np.fill_diagonal(cm, 0.55)
    fig = charts.confusion_matrix(cm, normalized=True)
    heat = fig.data[0]
    assert heat.text[0][0] == "55%" and heat.text[0][1] == "5%"
    assert heat.zmax == 1


def test_confusion_matrix_refuses_wrong_shape():
    with pytest.raises(ValueError, match=r"\(3, 3\)"):
        charts.confusion_matrix(np.eye(3))


def test_top_k_bars_puts_the_best_on_top():
    fig = charts.top_k_bars([("cat", 0.7), ("dog", 0.2), ("frog", 0.05)])
    (bar,) = fig.data
    assert bar.orientation == "h"
    # a category axis draws its first entry at the bottom, so the best comes last
    assert list(bar.y) == ["frog", "dog", "cat"]
    assert list(bar.x) == pytest.approx([0.05, 0.2, 0.7])
    assert list(bar.text) == ["5.0%", "20.0%", "70.0%"]
    assert list(fig.layout.xaxis.range) == [0, 1]
    assert fig.layout.xaxis.tickformat == ".0%"


def test_per_class_metrics_draws_three_bar_groups_and_the_macro_line():
    rows = [{"class": name, "precision": 0.1 * c, "recall": 0.05 * c, "f1": 0.07 * c, "support": 100}
            for c, name in enumerate(CLASS_NAMES)]
    rows.append({"class": "macro avg", "precision": 0.45, "recall": 0.225, "f1": 0.315, "support": 1000})
    fig = charts.per_class_metrics(rows)
    assert [t.name for t in fig.data] == ["Precision", "Recall", "F1"]
    assert list(fig.data[0].x) == list(CLASS_NAMES)  # the macro row is no bar
    assert list(fig.data[1].y) == pytest.approx([0.05 * c for c in range(10)])
    (line,) = fig.layout.shapes
    assert line.y0 == pytest.approx(0.315)
    assert "macro avg F1 31.5%" in fig.layout.annotations[0].text
    assert fig.layout.barmode == "group"
    assert fig.layout.yaxis.title.text == "Score"


@pytest.mark.parametrize("build", [
    lambda: charts.class_counts({"train": np.ones(10)}),
    lambda: charts.batch_curves([1], [1.0], [0.5]),
    lambda: charts.epoch_curves({"a": history(2)}),
    lambda: charts.confusion_matrix(np.eye(10)),
    lambda: charts.top_k_bars([("cat", 1.0)]),
])
def test_shared_look(build):
    fig = build()
    assert fig.layout.template.layout.paper_bgcolor == "white"
    assert fig.layout.margin.l == 10 and fig.layout.margin.t == 40
