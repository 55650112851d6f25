"""Streamlit pieces of "Inside the network": one image's answer and where it looked, its layers as a strip with
one opened at a time, and what the first layer looks for (fixed pre-processing apart from the learned filters)."""
from __future__ import annotations

import dataclasses

import numpy as np
import streamlit as st

from .. import charts, data, explain, filters, inference, pictures, runs
from ..glossary import link
from . import cached_data, cached_model, error_box, howto, load_data, modified, presented
from .gradcam import where_it_looked
from .widgets import CRISP, show_pixels

SHOWN_MAPS = 32       # feature maps drawn for the opened layer: the first channels
MAP_TILE = 52         # px a feature map is enlarged to, about, by whole pixels
MAP_COLUMNS = 16
STRIP_TILE = 40       # px of each layer's tile in the strip
FILTER_TILE = 30
TRACE_IMAGES = 16     # test images the traced-back filters are averaged over
SEEN_ZOOM = 4         # the image as the network gets it: 32 px shown as 128


# --- one image ------------------------------------------------------------------------------------

def pick_image(source_col, class_col, which_col) -> tuple[str, np.ndarray] | None:
    """(a name for it, uint8 (32, 32, 3)): a CIFAR-10 test image by class and number (pickers in the three
    containers given), or an upload; None if none yet."""
    source = source_col.segmented_control("Image", ["A test image", "Your own"], default="A test image",
                                          required=True, key="inside_source",
                                          help=f"A photo of the {link('test set')}, which it never trained on, "
                                               "or one of yours.")
    if source == "A test image":
        cifar = load_data()  # stops the page with a message when the data set is missing
        label = class_col.selectbox("Class", range(len(data.CLASS_NAMES)), index=data.CLASS_NAMES.index("cat"),
                                    format_func=data.CLASS_NAMES.__getitem__, key="inside_class")
        of_class = np.flatnonzero(cifar.y_test == label)
        n = int(which_col.number_input(f"Which, 0 to {len(of_class) - 1}", 0, len(of_class) - 1,
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


# --- the answer first -----------------------------------------------------------------------------

def answer(model, name: str, image: np.ndarray, probs: np.ndarray) -> None:
    """The image as the network gets it, its softmax output over the 10 classes, and where it looked."""
    st.subheader("The answer", divider="gray")
    seen, bars, looked = st.columns([1.3, 3, 2.2], gap="medium")
    with seen:
        show_pixels(image, zoom=SEEN_ZOOM)
        st.caption(f"**{name}**, as the network gets it: 32×32 pixels, 3 colours.")
    best = int(np.argmax(probs))
    bars.markdown(f"It says **{data.CLASS_NAMES[best]}**, {probs[best]:.1%} sure.")
    figure = charts.top_k_bars(list(zip(data.CLASS_NAMES, probs.tolist())))
    figure.update_layout(height=270, margin=dict(l=10, r=10, t=10, b=10))
    bars.plotly_chart(presented(figure), key="inside_answer", config={"displayModeBar": False})
    bars.caption(f"The {link('softmax')} turns the last layer's 10 scores into probabilities that add up to 100%.")
    with looked:
        where_it_looked(model, image, best, key="inside_gradcam", size=192)


# --- the layers, one at a time --------------------------------------------------------------------

def _strip_tile(m: explain.LayerMaps, opened: bool) -> np.ndarray:
    """A layer's most active map as a crisp tile of about STRIP_TILE px, framed when it is the one opened."""
    strongest = int(np.argmax(m.maps.reshape(-1, m.maps.shape[-1]).mean(axis=0)))
    tile = pictures.scaled_maps(m.maps[..., strongest:strongest + 1], 1)[0]
    tile = pictures.upscale(np.repeat(tile[..., None], 3, axis=-1), max(1, STRIP_TILE // max(tile.shape)))
    framed = np.empty((tile.shape[0] + 6, tile.shape[1] + 6, 3), np.uint8)
    framed[:] = (255, 75, 75) if opened else (225, 225, 225)
    framed[3:-3, 3:-3] = tile
    return framed


def layer_strip(layers: list[explain.LayerMaps], key: str) -> None:
    """Every layer as a small tile in a row, a slider to open one, and the opened layer's maps."""
    st.subheader("Layer by layer", divider="gray")
    if not layers:
        st.info("This network has no convolution or pooling layer: it flattens the image at once, "
                "so there are no feature maps to show.", icon=":material/info:")
        return
    if st.session_state.get(key, 0) >= len(layers):
        st.session_state[key] = 0
    opened = st.session_state.get(key, 0)
    st.html(CRISP)
    st.image([_strip_tile(m, i == opened) for i, m in enumerate(layers)], output_format="PNG",
             caption=[str(i + 1) for i in range(len(layers))])
    chosen = st.select_slider("Open a layer", range(len(layers)), key=key,
                              format_func=lambda i: f"{i + 1} · {layers[i].title}",
                              help="Each tile above is one layer, from the image (left) to the last map (right), "
                                   f"showing its most active {link('feature map')}. Use the arrow keys to step.")
    _one_layer(layers[chosen], chosen, len(layers))


def _one_layer(m: explain.LayerMaps, i: int, count: int) -> None:
    height, width, channels = m.shape
    with st.container(border=True):
        st.markdown(f"**Layer {i + 1} of {count}: {m.title}** · output {height}×{width}×{channels}  \n{m.purpose}")
        shown = pictures.scaled_maps(m.maps, SHOWN_MAPS)
        st.image(pictures.grid(shown, columns=MAP_COLUMNS, tile=MAP_TILE), output_format="PNG",
                 caption=f"{'All' if len(shown) == channels else f'The first {len(shown)} of the'} {channels} "
                         "feature maps.")
        st.caption(howto.feature_maps(m))


# --- the first layer --------------------------------------------------------------------------------

@st.cache_data(max_entries=16, show_spinner="Reading the first layer's filters…")
def _filters(path: str, mtime_ns: int) -> tuple[np.ndarray | None, filters.LearnedFilters | str]:
    model = cached_model(path, mtime_ns)
    fixed = filters.fixed_first_layer(model)
    fixed = filters.kernel_pictures(fixed) if fixed is not None and fixed.kernel.shape[2] == 3 else None
    try:
        return fixed, filters.learned_filters(model, cached_data().x_test[:TRACE_IMAGES])
    except explain.ExplainError as exc:
        return fixed, str(exc)


def first_layer(run: runs.Run) -> None:
    """The fixed pre-processing (whitening), if any, and the first learned convolution's filters."""
    st.subheader("What the first layer looks for", divider="gray")
    fixed, learned = _filters(str(run.model_path), modified(run.model_path))
    st.html(CRISP)
    learned_col, fixed_col = st.columns([3, 2], gap="large") if fixed is not None else (st.container(), None)
    if fixed is not None:
        # the filters come as a set and its negatives: one row each, every filter above its negative
        fixed_col.image(pictures.grid(fixed, columns=(len(fixed) + 1) // 2, tile=22, gap=4), output_format="PNG")
        fixed_col.caption(f"**Fixed pre-processing: {link('whitening')}.** Before any layer learns, {len(fixed)} "
                          f"fixed filters of {fixed.shape[1]}×{fixed.shape[2]} pixels, fitted once to the training "
                          "images, make neighbouring pixels stop repeating each other; the second row holds the "
                          "first row's negatives. They are not learned.")
    if isinstance(learned, str):
        learned_col.info(learned, icon=":material/info:")
        return
    learned_col.image(pictures.grid(learned.pictures, columns=MAP_COLUMNS, tile=FILTER_TILE, gap=5),
                      output_format="PNG")
    learned_col.caption(howto.learned_filters(learned))
