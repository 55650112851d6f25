"""Map lab: the test images laid out by the network's penultimate features, and the training images an image
looks like (``looks_like``, ready for the Predict page too)."""
from __future__ import annotations

import base64
import io
import time

import numpy as np
import pandas as pd
import streamlit as st
from PIL import Image

from .. import data, embedding, lab_cache, lab_charts, runs
from ..inference import predict_proba
from . import load_data
from .labs import how_to_read, kept, model_of
from .widgets import show_pixels

MAP_SIZES = (1_000, 2_000)  # test images on the map: 15-30 s and about twice that on 2 busy cores (BENCHMARKS.md)
BANK_PER_CLASS = 500        # training images per class the neighbours are looked for among: 5,000 in all
SHOWN = 30                  # selected images shown under the map
THUMB_CSS = "<style>#vg-tooltip-element img {width: 96px; height: 96px; image-rendering: pixelated;}</style>"
VERSION = 2  # bump when the layout changes: maps kept in run folders are then computed again


def map_of(run: runs.Run, model, n: int) -> tuple[dict[str, np.ndarray], float | None]:
    """{"xy": (n, 2), "proba": (n, 10)} for the first n test images, and the seconds taken (None: kept)."""
    images = load_data().x_test[:n]

    def compute():
        with st.spinner(f"Placing {n:,} test images by what the network computes for them…"):
            return {"xy": embedding.layout(embedding.features(model, images)), "proba": predict_proba(model, images)}

    started = time.perf_counter()
    found, fresh = kept(run, "map", lab_cache.key_of(run.path, n=n, version=VERSION), compute)
    return found, time.perf_counter() - started if fresh else None


def bank_of(run: runs.Run, model) -> dict[str, np.ndarray]:
    """{"indices": training image numbers, "features": their features less their mean, as unit rows, "mean"},
    kept in the run's folder (see ``embedding.centred_rows``)."""
    def compute():
        cifar = load_data()
        indices = embedding.bank_indices(cifar.y_train, BANK_PER_CLASS)
        with st.spinner(f"Reading {len(indices):,} training images through the network, once…"):
            feats = embedding.features(model, cifar.x_train[indices])
        mean = feats.mean(axis=0)
        return {"indices": indices, "features": embedding.centred_rows(feats, mean).astype(np.float16), "mean": mean}
    key = lab_cache.key_of(run.path, per_class=BANK_PER_CLASS, version=VERSION)
    return kept(run, "neighbours", key, compute)[0]


@st.cache_data(max_entries=4, show_spinner=False)
def _thumbnails(n: int) -> list[str]:
    """PNG data URIs of the first n test images, for the map's tooltips."""
    out = []
    for image in load_data().x_test[:n]:
        buffer = io.BytesIO()
        Image.fromarray(np.asarray(image)).save(buffer, "PNG")
        out.append("data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode())
    return out


def _table(found: dict, n: int) -> pd.DataFrame:
    names, proba = data.CLASS_NAMES, found["proba"].astype(np.float32)
    truth = load_data().y_test[:n]
    order = np.argsort(-proba, axis=1)[:, :3]
    said = [", ".join(f"{names[c]} {p[c]:.0%}" for c in top) for p, top in zip(proba, order)]
    return pd.DataFrame({"x": found["xy"][:, 0], "y": found["xy"][:, 1], "image": _thumbnails(n),
                         "number": np.arange(n), "true": [names[t] for t in truth],
                         "answer": np.where(order[:, 0] == truth, "right", "wrong"), "said": said})


def _selected(event, table: pd.DataFrame) -> np.ndarray:
    box = (event or {}).get("selection", {}).get("brush") or {}
    if not box.get("x") or not box.get("y"):
        return np.array([], int)
    (x0, x1), (y0, y1) = sorted(box["x"]), sorted(box["y"])
    inside = table.x.between(x0, x1) & table.y.between(y0, y1)
    return table.number[inside].to_numpy()


def _show_selected(picked: np.ndarray, table: pd.DataFrame) -> None:
    if not len(picked):
        return
    more = f", the first {SHOWN}:" if len(picked) > SHOWN else ":"
    st.markdown(f"**{len(picked):,} images selected**{more}")
    show_pixels(load_data().x_test[picked[:SHOWN]], zoom=2,
                caption=[f"{table.true[i]} → {table.said[i].split(',')[0]}" for i in picked[:SHOWN]])


def map_lab(run: runs.Run) -> None:
    model = model_of(run)
    if model is None:
        return
    try:
        layer = embedding.feature_layer(model)
    except embedding.EmbeddingError as exc:
        st.info(str(exc), icon=":material/info:")
        return
    n = st.segmented_control("Test images on the map", MAP_SIZES, default=MAP_SIZES[0], required=True,
                             key="labs_map_n", format_func=lambda v: f"{v:,}")
    found, seconds = map_of(run, model, n)
    table = _table(found, n)
    st.html(THUMB_CSS)
    event = st.altair_chart(lab_charts.feature_map(table), on_select="rerun", key="labs_map_chart")
    wrong = int((table.answer == "wrong").sum())
    shape = layer.output.shape[1:]
    width = int(shape[-1] if len(shape) == 3 else np.prod(shape))  # maps: one number per channel, averaged
    how_to_read(f"Each dot is one of the first {n:,} test images, placed by the {width:,} numbers the network "
                f"computes for it just before its answer (the output of its {type(layer).__name__} layer), so "
                f"images it finds alike sit together; the colour is the true class and a cross one of its "
                f"{wrong:,} mistakes. Hover over a dot to see the picture and its top 3, and drag a box over a "
                "cluster or a mixed border to see those images below.")
    st.caption((f"Computed in {seconds:.1f} s and kept in the run's folder." if seconds is not None else
                "Kept from an earlier look, in the run's folder: no need to compute it again.")
               + " PCA to 50 dimensions, then t-SNE: distances between far-apart clusters mean little.")
    _show_selected(_selected(event, table), table)
    st.divider()
    _nearest_of_a_test_image(run, model)


def _nearest_of_a_test_image(run: runs.Run, model) -> None:
    st.markdown("**It looks like these: the nearest training images**")
    cifar = load_data()
    index = int(st.number_input("Test image number", 0, len(cifar.y_test) - 1, 3, key="labs_map_image"))
    left, right = st.columns([1, 5])
    with left:
        show_pixels(cifar.x_test[index], zoom=4,
                    caption=f"Test image {index}, truly: {data.CLASS_NAMES[cifar.y_test[index]]}")
    with right:
        looks_like(run, model, cifar.x_test[index], key="labs_map_near")


def looks_like(run: runs.Run, model, image: np.ndarray, *, key: str, k: int = 8) -> None:
    """The k training images whose penultimate features are most like ``image``'s (uint8 (32, 32, 3)), with
    their labels and how alike they are (the Predict page's "it looks like these")."""
    try:
        bank = bank_of(run, model)
    except embedding.EmbeddingError as exc:
        st.caption(str(exc))
        return
    query = embedding.centred_rows(embedding.features(model, image[np.newaxis]), bank["mean"])
    best, sims = embedding.nearest(bank["features"].astype(np.float32), query, k)
    cifar = load_data()
    numbers = bank["indices"][best[0]]
    labels = [data.CLASS_NAMES[c] for c in cifar.y_train[numbers]]
    show_pixels(cifar.x_train[numbers], zoom=3, caption=[f"{name}, {s:.2f} alike" for name, s in zip(labels, sims[0])],
                per_row=None)
    answer = data.CLASS_NAMES[int(predict_proba(model, image).argmax())]
    common = max(set(labels), key=labels.count)
    how_to_read(f"These are the {k} of {len(bank['indices']):,} training images (500 of each class) whose "
                "features point most the same way as this image's, measured from their average (1.00 alike: the "
                "same direction). "
                f"{labels.count(common)} of the {k} are labelled {common} and the network answers {answer}: when "
                "the two agree, it is because the image looks to it like the training images it learned that "
                "class from.")
