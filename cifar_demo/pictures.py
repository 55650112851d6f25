"""Pictures for people: enlarging pixels, paging a grid, pixel tables, colour maps, heat-map overlays.

Pure NumPy and Pillow helpers that the pages share; the engine (training,
evaluation, prediction) never needs them. Arrays in, arrays or plain rows out.
"""
from __future__ import annotations

import numpy as np
from PIL import Image

from .data import normalize


def upscale(images: np.ndarray, factor: int) -> np.ndarray:
    """Enlarge by repeating each pixel ``factor`` times each way: crisp blocks, never a blur.

    images: array of shape (H, W, C) or (N, H, W, C); the result has H and W times ``factor``.
    """
    if factor < 1:
        raise ValueError(f"factor must be at least 1, not {factor}")
    return np.asarray(images).repeat(factor, axis=-3).repeat(factor, axis=-2)


def page_count(n: int, per_page: int) -> int:
    """Pages needed for n items, per_page to a page; no items still make one (empty) page."""
    if per_page < 1:
        raise ValueError(f"per_page must be at least 1, not {per_page}")
    return max(1, -(-n // per_page))


def page_of(items: np.ndarray, page: int, per_page: int) -> tuple[np.ndarray, int]:
    """(the items on page ``page``, the page's number), pages counting from 1.

    A page past either end is clamped to the nearest one that exists.
    """
    page = min(max(int(page), 1), page_count(len(items), per_page))
    return items[(page - 1) * per_page:page * per_page], page


def describe_pixels(image: np.ndarray) -> list[dict]:
    """One image as numbers, as stored and as the model gets it (divided by 255): one dict each."""
    return [{"stage": stage, "shape": str(tuple(x.shape)), "dtype": str(x.dtype),
             "min": x.min().item(), "max": x.max().item(), "mean": float(x.mean())}
            for stage, x in (("as stored: whole numbers 0-255", np.asarray(image)),
                             ("as the network gets it: divided by 255", normalize(np.asarray(image))))]


def pixel_row(image: np.ndarray, row: int) -> list[dict]:
    """Row ``row`` of an RGB image of shape (H, W, 3), one dict per pixel: {"x", "red", "green", "blue"}."""
    return [{"x": x, "red": int(r), "green": int(g), "blue": int(b)}
            for x, (r, g, b) in enumerate(np.asarray(image)[row])]


# A polynomial fit of viridis (Matt Zucker's): dark purple (cold) through blue and green to bright yellow (hot).
# Its lightness rises steadily, so it reads the same to colour-blind eyes, in grey and on a washed-out projector.
_VIRIDIS = np.array([[0.2777273272234177, 0.1050930431085774, -0.3308618287255563, -4.634230498983486,
                      6.228269936347081, 4.776384997670288, -5.435455855934631],
                     [0.005407344544966578, 1.404613529898575, 0.214847559468213, -5.799100973351585,
                      14.17993336680509, -13.74514537774601, 4.645852612178535],
                     [0.3340998053353061, 1.384590162594685, 0.09509516302823659, -19.33244095627987,
                      56.69055260068105, -65.35303263337234, 26.3124352495832]])


def colormap(values: np.ndarray) -> np.ndarray:
    """Values in [0, 1] of any shape -> uint8 RGB of that shape plus a last axis of 3, on viridis:
    0 dark purple (nothing), then blue, green, and 1 bright yellow (the most)."""
    x = np.clip(np.asarray(values, np.float64), 0, 1)[..., None]
    rgb = sum(_VIRIDIS[:, i] * x ** i for i in range(_VIRIDIS.shape[1]))
    return np.round(np.clip(rgb, 0, 1) * 255).astype(np.uint8)


def colour_stops(n: int = 11) -> list[str]:
    """n evenly spaced colours of ``colormap`` from 0 to 1, as '#rrggbb': the stops of a drawn colour scale."""
    return ["#{:02x}{:02x}{:02x}".format(*rgb) for rgb in colormap(np.linspace(0, 1, n)).tolist()]


def _resize(values: np.ndarray, size: int) -> np.ndarray:
    """A float (H, W) map resized bilinearly to (size, size)."""
    return np.asarray(Image.fromarray(np.asarray(values, np.float32), mode="F")
                      .resize((size, size), Image.Resampling.BILINEAR))


def overlay(image: np.ndarray, heat: np.ndarray, alpha: float = 0.55, *, size: int = 160) -> np.ndarray:
    """The heat map laid over the image: uint8 of shape (size, size, 3).

    image: uint8 (32, 32, 3), enlarged by whole pixels so it stays crisp; heat:
    float (h, w) in [0, 1], resized smoothly, since it is a field and not pixels.
    The colour covers the image by ``alpha`` where the heat is highest and by a
    third of that where there is none, so the picture stays readable under the cold parts.
    """
    image = np.asarray(image)
    big = np.asarray(Image.fromarray(image).resize((size, size), Image.Resampling.NEAREST), np.float32)
    heat = np.clip(_resize(heat, size), 0, 1)
    weight = (alpha * (1 + 2 * heat) / 3)[..., None]
    return np.round((1 - weight) * big + weight * colormap(heat)).astype(np.uint8)


def grid(tiles: np.ndarray, *, columns: int, tile: int, gap: int = 2, background: int = 255) -> np.ndarray:
    """Tiles (N, h, w) or (N, h, w, 3) in [0, 255] laid out in rows, each enlarged by whole pixels
    to about ``tile`` px: uint8 (rows * (T + gap) - gap, columns * (T + gap) - gap, 3)."""
    tiles = np.asarray(tiles)
    if tiles.ndim == 3:
        tiles = np.repeat(tiles[..., None], 3, axis=-1)
    zoom = max(1, round(tile / max(tiles.shape[1:3])))
    tiles = upscale(tiles, zoom)
    n, h, w = tiles.shape[:3]
    columns = max(1, min(columns, n))
    rows = -(-n // columns)
    out = np.full((rows * (h + gap) - gap, columns * (w + gap) - gap, 3), background, np.uint8)
    for i, t in enumerate(tiles):
        r, c = divmod(i, columns)
        out[r * (h + gap):r * (h + gap) + h, c * (w + gap):c * (w + gap) + w] = t
    return out


def scaled_maps(maps: np.ndarray, count: int) -> np.ndarray:
    """The first ``count`` channels of (H, W, C) maps as uint8 (count, H, W), each stretched to 0..255.

    A channel that is constant (often all zero after a ReLU) shows as black. Maps of 1x1, a
    single number each, are stretched together instead, so that they can be told apart.
    """
    chosen = np.moveaxis(np.asarray(maps, np.float32)[..., :count], -1, 0)
    axes = (0, 1, 2) if chosen.shape[1:] == (1, 1) else (1, 2)  # 1x1 maps: one number each, compared across
    low = chosen.min(axis=axes, keepdims=True)
    span = chosen.max(axis=axes, keepdims=True) - low
    return np.round(np.where(span > 0, (chosen - low) / np.where(span > 0, span, 1), 0) * 255).astype(np.uint8)
