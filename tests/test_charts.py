"""What each chart draws: traces, values, axis titles and text."""
import warnings
import xml.etree.ElementTree as ET

import numpy as np
import pytest

from cifar_demo import charts, svg_charts
from cifar_demo.data import CLASS_NAMES

SVG = "{http://www.w3.org/2000/svg}"


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


def test_epoch_curves_star_the_test_accuracy_at_the_last_epoch():
    fig = charts.epoch_curves({"a": history(3, val=False), "b": history(2), "untested": history(2)},
                              tests={"a": 0.25, "b": 0.125, "untested": None})
    assert [t.name for t in fig.data] == ["a train", "a test", "b train", "b validation", "b test", "untested train",
                                          "untested validation"]
    star = fig.data[1]
    assert (list(star.x), list(star.y), star.marker.symbol) == ([3], [0.25], "star")
    assert star.marker.color == fig.data[0].line.color and star.mode == "markers"  # two stars: no printed figures
    alone = charts.epoch_curves({"a": history(3)}, tests={"a": 0.25}).data[-1]
    assert alone.mode == "markers+text" and alone.text == ("test 25.00%",)  # as every page writes it
    loss = charts.epoch_curves({"a": history(3)}, metric="loss", tests={"a": 0.25})
    assert [t.name for t in loss.data] == ["a train", "a validation"]  # an accuracy is no loss


def test_epoch_curves_skips_epochs_without_a_value():
    rows = history(3)
    del rows[1]["val_accuracy"]
    fig = charts.epoch_curves({"run": rows})
    assert list(fig.data[1].x) == [1, 3]


def test_mark_gap_brackets_the_gap_at_the_last_epoch():
    fig = charts.mark_gap(charts.epoch_curves({"run": history(3)}), 3, 0.9, 0.7, "20 points apart")
    upright = [shape for shape in fig.layout.shapes if shape.x0 == shape.x1]
    assert len(upright) == 1 and (upright[0].x0, upright[0].y0, upright[0].y1) == (3, 0.7, 0.9)
    assert len(fig.layout.shapes) == 3  # and the bracket's two ends
    (note,) = fig.layout.annotations
    assert note.text == "20 points apart" and note.y == pytest.approx(0.8)


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
    assert [t.name for t in fig.data] == ["Precision", "Recall", "F1", "macro avg F1 31.50%"]  # the line's legend
    assert list(fig.data[0].x) == list(CLASS_NAMES)  # the macro row is no bar
    assert list(fig.data[1].y) == pytest.approx([0.05 * c for c in range(10)])
    (line,) = fig.layout.shapes
    assert line.y0 == pytest.approx(0.315)
    assert not fig.layout.annotations  # no label on the line, where it would cover the bars
    assert fig.layout.barmode == "group"
    assert fig.layout.yaxis.title.text == "Score"


@pytest.mark.parametrize("build", [
    lambda: charts.class_counts({"train": np.ones(10)}),
    lambda: charts.batch_curves([1], [1.0], [0.5]),
    lambda: charts.epoch_curves({"a": history(2)}),
    lambda: charts.top_k_bars([("cat", 1.0)]),
])
def test_shared_look(build):
    fig = build()
    assert fig.layout.template.layout.paper_bgcolor == "white"
    assert fig.layout.margin.l == 10 and fig.layout.margin.t == 40


def drawn(svg: str) -> list[dict]:
    """What each panel of an SVG chart shows: its title, legend, and lines read back into data units.

    The tick labels and their positions are the scale: a line's points are mapped back through
    them, so a test compares what was drawn with the numbers it came from.
    """
    assert svg.startswith("<svg ")  # st.image takes a string for SVG only if it starts so
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG}svg" and root.get("viewBox") and root.get("width") is None  # scales to the column
    _, _, width, height = map(float, root.get("viewBox").split())
    for element in root.iter():  # nothing drawn outside the picture
        for axis, size in (("x", width), ("y", height), ("cx", width), ("cy", height)):
            assert 0 <= float(element.get(axis, 0)) <= size, ET.tostring(element)
        for pair in (element.get("points") or "").split():
            x, y = map(float, pair.split(","))
            assert 0 <= x <= width and 0 <= y <= height
    return [_panel_drawn(g) for g in root.iter(f"{SVG}g")]


def _panel_drawn(g: ET.Element) -> dict:
    def texts(cls):
        return [t for t in g.iter(f"{SVG}text") if t.get("class") == cls]

    def scale(cls, axis):
        ticks = [(float(t.get(axis)), _tick_value(t.text)) for t in texts(cls)]
        return np.poly1d(np.polyfit(*zip(*ticks), 1)) if len(ticks) > 1 else None

    to_x, to_y = scale("xtick", "x"), scale("ytick", "y")
    yticks = [_tick_value(t.text) for t in texts("ytick")]
    lines = []
    for p in g.iter(f"{SVG}polyline"):
        xy = np.array([[float(v) for v in pair.split(",")] for pair in p.get("points").split()])
        line = {"x": to_x(xy[:, 0]), "y": to_y(xy[:, 1]), "color": p.get("stroke"),
                "opacity": float(p.get("stroke-opacity")), "dash": p.get("stroke-dasharray")}
        assert min(yticks) - 1e-3 <= line["y"].min() and line["y"].max() <= max(yticks) + 1e-3  # inside the plot
        lines.append(line)
    return {"title": texts("title")[0].text, "legend": [t.text for t in texts("legend")],
            "yticks": [t.text for t in texts("ytick")], "lines": lines, "dots": len(list(g.iter(f"{SVG}circle")))}


def _tick_value(text: str) -> float:
    if text.endswith("%"):
        return float(text[:-1]) / 100
    return float(text[:-1]) * 1000 if text.endswith("k") else float(text)


def test_svg_batch_curves_draw_what_the_plotly_ones_do():
    rng = np.random.default_rng(1)
    steps = np.arange(1, 20_001)
    loss, acc = 2.3 * rng.random(20_000), rng.random(20_000)
    svg = svg_charts.batch_curves(steps, loss, acc, smooth=20, max_points=500)
    figure = charts.batch_curves(steps, loss, acc, smooth=20, max_points=500)  # the oracle
    loss_panel, acc_panel = drawn(svg)
    assert [loss_panel["title"], acc_panel["title"]] == ["Loss", "Accuracy"]
    assert loss_panel["legend"] == ["per batch", "20-batch average"]
    assert acc_panel["yticks"] == ["0%", "25%", "50%", "75%", "100%"]
    lines = loss_panel["lines"] + acc_panel["lines"]
    assert len(lines) == len(figure.data) == 4
    for line, trace in zip(lines, figure.data):
        assert len(line["x"]) == 500
        np.testing.assert_allclose(line["x"], trace.x, atol=10)  # 0.1 unit of the picture is ~9 batches
        np.testing.assert_allclose(line["y"], trace.y, atol=0.005)
        assert line["color"] == trace.line.color
        assert line["opacity"] == pytest.approx(trace.opacity if trace.opacity is not None else 1.0)
    assert lines[0]["x"][-1] == pytest.approx(20_000, abs=10) and lines[0]["x"][0] == pytest.approx(1, abs=10)
    assert loss_panel["dots"] == 0


def test_svg_batch_curves_without_smoothing_keep_short_runs_whole():
    (loss_panel, _) = drawn(svg_charts.batch_curves(np.arange(1, 301), np.linspace(2, 1, 300),
                                                    np.linspace(0, 1, 300), smooth=1))
    (line,) = loss_panel["lines"]
    assert len(line["x"]) == 300 and line["opacity"] == 1
    np.testing.assert_allclose(line["y"], np.linspace(2, 1, 300), atol=0.005)
    assert loss_panel["legend"] == ["per batch"]


def test_svg_batch_curves_one_batch_is_a_dot_and_none_is_an_empty_chart():
    panels = drawn(svg_charts.batch_curves([1], [2.3], [0.1]))
    assert [len(p["lines"]) for p in panels] == [0, 0]
    assert [p["dots"] for p in panels] == [2, 2]  # the value and its average
    empty = drawn(svg_charts.batch_curves([], [], []))
    assert [(len(p["lines"]), p["dots"]) for p in empty] == [(0, 0), (0, 0)]


def test_svg_batch_curves_leave_out_a_diverged_runs_non_finite_loss():
    n = 100
    loss = np.linspace(2.0, 1.0, n)
    loss[50], loss[70:] = np.inf, np.nan
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # nor does it fill the server's log
        svg = svg_charts.batch_curves(np.arange(1, n + 1), loss, np.linspace(0, 1, n), smooth=5)
    loss_panel, acc_panel = drawn(svg)
    raw, average = loss_panel["lines"]
    assert len(raw["x"]) == 69 and np.isfinite(raw["y"]).all()
    np.testing.assert_allclose(raw["y"], np.delete(loss[:70], 50), atol=0.005)
    assert len(average["x"]) == 50  # no average over the inf, nor after it
    assert loss_panel["yticks"][-1] == "2"  # the axis is scaled to the finite values
    accuracy = acc_panel["lines"][0]
    assert accuracy["x"][-1] == pytest.approx(n, abs=0.5)
    nothing_finite = drawn(svg_charts.batch_curves([1, 2], [np.nan, np.nan], [0.1, 0.2], smooth=1))
    assert not nothing_finite[0]["lines"] and len(nothing_finite[1]["lines"]) == 1


def test_svg_epoch_curves_train_dashed_validation_solid():
    (panel,) = drawn(svg_charts.epoch_curves({"": history(3)}))
    assert panel["title"] == "Accuracy per epoch" and panel["legend"] == ["train", "validation"]
    train, val = panel["lines"]
    assert train["dash"] and not val["dash"] and train["color"] == val["color"] == charts.color(0)
    np.testing.assert_allclose(train["x"], [1, 2, 3], atol=0.01)
    np.testing.assert_allclose(train["y"], [0.1, 0.2, 0.3], atol=0.002)
    np.testing.assert_allclose(val["y"], [0.09, 0.18, 0.27], atol=0.002)
    assert panel["yticks"][-1] == "100%" and panel["dots"] == 6  # a marker on each epoch


def test_svg_epoch_curves_loss_one_epoch_no_validation_and_no_history():
    (panel,) = drawn(svg_charts.epoch_curves({"": history(1, val=False)}, metric="loss"))
    assert panel["title"] == "Loss per epoch" and panel["legend"] == ["train"]
    assert not panel["lines"] and panel["dots"] == 1
    assert "%" not in panel["yticks"][-1]
    (empty,) = drawn(svg_charts.epoch_curves({}))
    assert not empty["lines"] and not empty["legend"] and empty["dots"] == 0


def test_svg_epoch_curves_escape_labels_and_colour_each_run():
    (panel,) = drawn(svg_charts.epoch_curves({"<b>&": history(2), "b": history(4)}, metric="loss"))
    assert panel["legend"] == ["<b>& train", "<b>& validation", "b train", "b validation"]
    assert [line["color"] for line in panel["lines"]] == [charts.color(0)] * 2 + [charts.color(1)] * 2
    np.testing.assert_allclose(panel["lines"][2]["y"], [2.0, 1.0, 2 / 3, 0.5], atol=0.005)
