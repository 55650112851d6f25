"""Streamlit pieces of "Inside the network": the first layer's filters, one image's feature maps, the answer."""
from __future__ import annotations

import dataclasses

import numpy as np
import streamlit as st

from .. import charts, data, explain, inference, pictures, runs
from . import cached_data, cached_model, error_box, modified
from .gradcam import where_it_looked
from .widgets import CRISP

SHOWN_MAPS = 32       # feature maps drawn per layer: the first channels
MAP_TILE = 60         # px a feature map is enlarged to, about, by whole pixels
MAP_COLUMNS = 16
FILTER_TILE = 40


# --- the first layer -------------------------------------------------------------------------------

@st.cache_data(max_entries=16, show_spinner=False)
def _filters(path: str, mtime_ns: int) -> tuple[np.ndarray, bool] | str:
    model = cached_model(path, mtime_ns)
    try:
        return explain.first_layer_filters(model), explain.first_conv(model).trainable
    except explain.ExplainError as exc:
        return str(exc)


def first_layer(run: runs.Run) -> None:
    """The first convolution's filters as a crisp grid, with a sentence on what they are."""
    st.subheader("What the first layer looks for", divider="gray")
    found = _filters(str(run.model_path), modified(run.model_path))
    if isinstance(found, str):
        st.info(found, icon=":material/info:")
        return
    filters, learned = found
    count, k = filters.shape[:2]
    st.html(CRISP)
    st.image(pictures.grid(filters, columns=MAP_COLUMNS, tile=FILTER_TILE, gap=6), output_format="PNG")
    if learned:
        st.caption(f"The {count} filters of the first convolution, each {k}×{k} pixels over the 3 colours, "
                   "enlarged. Each is the small pattern that makes its feature map light up; after training, "
                   "many become edges at some angle or blobs of one colour. Each is stretched to its own "
                   "range, so grey means zero.")
    else:
        st.caption(f"The {count} filters of the first layer, each {k}×{k} pixels, enlarged. They are fixed, not "
                   "learned: fitted once to the training images (patch whitening), so that the next layers "
                   "get decorrelated input; each comes with its negative.")


# --- one image ------------------------------------------------------------------------------------

def pick_image() -> tuple[str, np.ndarray] | None:
    """(a name for it, uint8 (32, 32, 3)): a CIFAR-10 test image by class and number, or an upload; None if none yet."""
    source = st.segmented_control("Image", ["A test image", "Your own"], default="A test image", required=True,
                                  key="inside_source")
    if source == "A test image":
        cifar = cached_data()
        kind, which = st.columns(2, width=520)
        label = kind.selectbox("Class", range(len(data.CLASS_NAMES)), index=data.CLASS_NAMES.index("cat"),
                               format_func=data.CLASS_NAMES.__getitem__, key="inside_class")
        of_class = np.flatnonzero(cifar.y_test == label)
        n = int(which.number_input(f"Which one, 0 to {len(of_class) - 1}", 0, len(of_class) - 1,
                                   key="inside_which"))
        index = int(of_class[n])
        return f"test image #{index}, a {data.CLASS_NAMES[label]}", cifar.x_test[index]
    upload = st.file_uploader("An image", type=list(inference.EXTENSIONS), key="inside_upload")
    if upload is None:
        st.info("Upload a photo of an airplane, car, bird, cat, deer, dog, frog, horse, ship or truck.",
                icon=":material/upload:")
        return None
    try:
        return upload.name, inference.prepare(upload.getvalue(), upload.name)[1]
    except inference.ImageError as exc:
        error_box(str(exc))
        return None


@st.cache_data(max_entries=32, show_spinner="Running the image through the network…")
def _look(path: str, mtime_ns: int, image_bytes: bytes) -> tuple[list[explain.LayerMaps], np.ndarray]:
    image = np.frombuffer(image_bytes, np.uint8).reshape(data.IMAGE_SHAPE)
    layers, probs = explain.feature_maps(cached_model(path, mtime_ns), image)
    # keep only the channels drawn: the cache holds less, the page gets it faster
    return [dataclasses.replace(m, maps=m.maps[..., :SHOWN_MAPS]) for m in layers], probs


def look_inside(run: runs.Run, image: np.ndarray) -> tuple[list[explain.LayerMaps], np.ndarray]:
    """Every shown layer's maps and the class probabilities for one image, cached per (model file, image)."""
    return _look(str(run.model_path), modified(run.model_path), np.ascontiguousarray(image).tobytes())


def layer_maps(layers: list[explain.LayerMaps]) -> None:
    """For each layer: name, output shape, purpose, and its first feature maps as a grayscale grid."""
    if not layers:
        st.info("This network has no convolution or pooling layer: it flattens the image at once, "
                "so there are no feature maps to show.", icon=":material/info:")
        return
    st.html(CRISP)
    for m in layers:
        height, width, channels = m.shape
        with st.container(border=True):
            st.markdown(f"**{m.name}** · {m.kind} · output {height}×{width}×{channels}  \n{m.purpose}")
            shown = pictures.scaled_maps(m.maps, SHOWN_MAPS)
            st.image(pictures.grid(shown, columns=MAP_COLUMNS, tile=MAP_TILE), output_format="PNG",
                     caption=f"{'All' if len(shown) == channels else f'The first {len(shown)} of the'} "
                             f"{channels} feature maps, " + ("each from black (its lowest value) to white (its "
                             "highest)." if height * width > 1 else "single numbers, from black (the lowest of "
                             "them) to white (the highest)."))


def answer(model, image: np.ndarray, probs: np.ndarray) -> None:
    """The softmax output over all 10 classes, and where the network looked for its answer."""
    st.subheader("The answer", divider="gray")
    bars, looked = st.columns([3, 2], gap="large")
    bars.plotly_chart(charts.top_k_bars(list(zip(data.CLASS_NAMES, probs.tolist()))), key="inside_answer",
                      config={"displayModeBar": False})
    bars.caption("The softmax turns the last layer's scores into probabilities that add up to 100%.")
    with looked:
        where_it_looked(model, image, int(np.argmax(probs)), key="inside_gradcam", size=224)
