"""The clickable confusion matrix (Altair): its cells, colours, outline, and reading a click back."""
import numpy as np
import pytest

from cifar_demo import confusion_chart
from cifar_demo.data import CLASS_NAMES


def matrix() -> np.ndarray:
    cm = np.arange(100).reshape(10, 10)
    np.fill_diagonal(cm, 500)
    return cm


def test_one_row_per_cell_rows_true_columns_predicted():
    cm = matrix()
    rows = confusion_chart.cell_rows(cm)
    assert len(rows) == 100
    cell = rows[3 * 10 + 5]
    assert (cell["true"], cell["predicted"], cell["count"], cell["text"]) == ("cat", "dog", 35, "35")
    assert cell["share"] == pytest.approx(35 / cm[3].sum())
    shares = confusion_chart.cell_rows(cm, normalized=True)
    assert shares[0]["text"] == f"{500 / cm[0].sum():.0%}"
    assert sum(r["share"] for r in rows if r["true"] == "bird") == pytest.approx(1)


def test_an_empty_row_has_no_share_and_a_wrong_shape_is_refused():
    cm = matrix()
    cm[2] = 0
    assert all(r["share"] == 0 for r in confusion_chart.cell_rows(cm) if r["true"] == "bird")
    with pytest.raises(ValueError, match=r"\(3, 3\)"):
        confusion_chart.cell_rows(np.eye(3))


def test_the_chart_colours_by_share_on_viridis_clicks_select_a_cell_and_outlines_the_one_shown():
    spec = confusion_chart.confusion_chart(matrix(), shown=("cat", "dog")).to_dict()
    cells, numbers, *outline = spec["layer"]
    assert cells["mark"]["type"] == "rect"
    color = cells["encoding"]["color"]
    assert color["field"] == "share" and color["scale"] == {"type": "sqrt", "scheme": "viridis", "domain": [0, 1]}
    assert color["title"] == "Share of the true class" and color["legend"]["values"][-1] == 1
    assert cells["encoding"]["x"]["sort"] == list(CLASS_NAMES) and cells["encoding"]["y"]["field"] == "true"
    (param,) = spec["params"]  # a click on a cell (of the cells' layer) selects its true and predicted class
    assert param["name"] == confusion_chart.CELL and param["select"]["fields"] == ["true", "predicted"]
    assert param["views"] == [cells["name"]]
    assert numbers["encoding"]["text"]["field"] == "text"
    assert [layer["data"]["values"] for layer in outline] == [[{"true": "cat", "predicted": "dog"}]] * 2
    assert len(confusion_chart.confusion_chart(matrix()).to_dict()["layer"]) == 2  # nothing outlined


def test_a_click_is_read_back_as_a_cell():
    assert confusion_chart.clicked({"cell": [{"true": "cat", "predicted": "dog"}]}) == ("cat", "dog")
    assert confusion_chart.clicked({"cell": []}) is None
    assert confusion_chart.clicked({}) is None
    assert confusion_chart.clicked({"cell": [{"true": "unicorn", "predicted": "dog"}]}) is None
