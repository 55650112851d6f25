"""Turn any image a user may upload into the model's 32x32 input; top-k predictions.

The path is ``load_image`` (bytes -> RGB ``PIL.Image``), ``to_model_input``
(RGB image -> uint8 array of shape (32, 32, 3)), then ``predict_proba`` or
``top_k``, which apply ``cifar_demo.data.normalize`` — the same preprocessing
that training uses — before the model sees the pixels. ``prepare`` and
``classify_uploads`` decode through ``decode(..., min_side=DECODE_SIDE)``
instead: a large photo is decoded at reduced size, since the model keeps only
32x32 of it.
"""
from __future__ import annotations

import io
import warnings
from dataclasses import dataclass, replace

import numpy as np
from PIL import ExifTags, Image, ImageOps, UnidentifiedImageError

from .data import CLASS_NAMES, IMAGE_SHAPE, NUM_CLASSES, as_batch, normalize

FORMATS = ("JPEG", "PNG", "WEBP", "BMP", "GIF", "TIFF")  # "JPEG" also opens phones' multi-picture JPEGs
FORMAT_NAMES = "JPEG, PNG, WebP, BMP, GIF, TIFF"
EXTENSIONS = ("jpg", "jpeg", "png", "webp", "bmp", "gif", "tif", "tiff")  # what an uploader offers to pick
# File names that say "image": the formats above under all their names, and phones' HEIC and AVIF,
# which are refused with a clear message rather than taken for something else.
IMAGE_SUFFIXES = tuple(f".{e}" for e in EXTENSIONS) + (".jpe", ".jfif", ".mpo", ".apng", ".dib",
                                                        ".heic", ".heif", ".avif")
MAX_PIXELS = 40_000_000  # a 40-megapixel RGB image is 120 MB decoded; larger is a bomb or a mistake
# Close to the CIFAR-10 mean pixel, so transparent areas and letterbox bars add
# as little evidence for any class as a colour can; black would read as "night".
BACKGROUND = (128, 128, 128)
FITS = ("crop", "pad", "stretch")
SIDE = IMAGE_SHAPE[0]
BATCH_SIZE = 512  # images per model call: bounds memory, not results
# prepare() decodes an upload only this large on its shorter side (if it is
# larger): enough for the 200-px-wide preview the Predict page shows, and twice
# the 3 x 32 px that to_model_input's last (LANCZOS) step starts from anyway.
DECODE_SIDE = 200
TURNED = (5, 6, 7, 8)  # EXIF orientations stored on their side: upright, width and height swap


class ImageError(ValueError):
    """An upload that cannot be used as an image; the message is meant for the user."""


# --- bytes -> RGB image ------------------------------------------------------------

def load_image(data: bytes, name: str = "image") -> Image.Image:
    """Decode uploaded bytes into an RGB image at full size, upright as the camera meant it.

    Reads JPEG, PNG, WebP, BMP, GIF (first frame) and TIFF (first page).
    Raises ImageError for empty, unreadable, truncated or oversized files.
    """
    return decode(data, name)[0]


def decode(data: bytes, name: str = "image", *, min_side: int | None = None
           ) -> tuple[Image.Image, tuple[int, int]]:
    """(the upload as an RGB image, upright; its full upright size as (width, height)).

    Without min_side the image is decoded at full size. With it, a larger image
    comes back smaller, its shorter side still at least min_side pixels: a JPEG
    is decoded at 1/2, 1/4 or 1/8 scale inside the DCT (``Image.draft``), which
    spares the inverse DCT, colour conversion and memory of all other pixels
    (the compressed data is still read in full, so the time still grows with
    the file's size), and any image is then shrunk by a whole factor
    (``Image.reduce``, a box filter). The size returned is the original's
    either way, so the user is told what they uploaded.
    Raises ImageError as ``load_image`` does.
    """
    if not data:
        raise ImageError(f"{name} is an empty file")
    image = _open(data, name)  # the pixel limit is checked here, on the header, before any decoding
    stored = image.size
    try:
        if min_side is not None:
            # draft's size is in the stored orientation, before EXIF turns the
            # picture; asking for min_side on both sides makes that not matter.
            image.draft(None, (min_side, min_side))  # JPEG only; other formats ignore it
        image.load()  # decoding happens here, so truncation is only seen here
        turned = image.getexif().get(ExifTags.Base.Orientation, 1) in TURNED
        image = ImageOps.exif_transpose(image)
    except Exception as exc:  # a decoder fails many ways on bad data; to the user they mean one thing
        raise ImageError(f"{name} could not be read: the file is truncated or damaged "
                         f"({exc.__class__.__name__}: {exc})") from exc
    try:
        image = to_rgb(image)
    except (ValueError, OSError) as exc:
        raise ImageError(f"{name} uses colour mode {image.mode}, which we cannot convert to RGB") from exc
    if min_side is not None:
        image = _shrink(image, min_side)
    return image, stored[::-1] if turned else stored


def _shrink(image: Image.Image, min_side: int) -> Image.Image:
    # A whole-factor box reduction (after to_rgb: reduce cannot average palette
    # indices) is fast and alias-free; it keeps the image held for the preview
    # small when draft could not (PNG and other formats, or a JPEG over 1/8).
    factor = min(image.size) // min_side
    return image.reduce(factor) if factor >= 2 else image


def _open(data: bytes, name: str) -> Image.Image:
    # Image.open reads only the header. PIL warns, then fails, past its own
    # pixel limit; the warning is made an error here only, then our lower
    # limit is checked before any pixel is decoded.
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(io.BytesIO(data), formats=FORMATS)
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise ImageError(f"{name} is too large: the limit is {MAX_PIXELS / 1e6:g} megapixels") from exc
        except UnidentifiedImageError as exc:
            raise ImageError(f"{name} is not an image (or not a format we read: {FORMAT_NAMES})") from exc
        except Exception as exc:  # a header that starts right and then breaks
            raise ImageError(f"{name} could not be read: the file is truncated or damaged "
                             f"({exc.__class__.__name__}: {exc})") from exc
    width, height = image.size
    if width * height > MAX_PIXELS:
        raise ImageError(f"{name} is too large: {width}x{height} pixels, "
                         f"the limit is {MAX_PIXELS / 1e6:g} megapixels")
    if width == 0 or height == 0:
        raise ImageError(f"{name} has no pixels ({width}x{height})")
    return image


def to_rgb(image: Image.Image) -> Image.Image:
    """Any PIL mode as RGB; transparency is composited onto BACKGROUND, never left to turn black."""
    if image.mode in ("I", "I;16", "I;16L", "I;16B", "I;16N", "F"):
        image = _to_8bit(image)
    if image.mode in ("RGBA", "RGBa", "LA", "La", "PA") or "transparency" in image.info:
        background = Image.new("RGBA", image.size, (*BACKGROUND, 255))
        return Image.alpha_composite(background, image.convert("RGBA")).convert("RGB")
    return image if image.mode == "RGB" else image.convert("RGB")


def _to_8bit(image: Image.Image) -> Image.Image:
    # PIL's own convert("L") clips 16-bit values at 255, turning most of a
    # 16-bit image white; scale by the range the mode implies instead.
    pixels = np.nan_to_num(np.asarray(image, dtype=np.float64))
    low, high = pixels.min(), pixels.max()
    if image.mode == "F" and low >= 0 and high <= 1:
        full = 1.0  # float images conventionally span 0..1
    elif low >= 0 and high <= 255 and not image.mode.startswith("I;16"):
        full = 255.0  # a 32-bit container holding 8-bit values
    elif low >= 0 and high <= 65535:
        full = 65535.0  # 16-bit scans, PNGs and TIFFs
    else:  # no convention fits: stretch what is there
        pixels, full = pixels - low, max(high - low, 1e-12)
    return Image.fromarray(np.clip(np.round(pixels * (255.0 / full)), 0, 255).astype(np.uint8))


# --- RGB image -> model input ----------------------------------------------------------

def to_model_input(image: Image.Image, *, fit: str = "crop") -> np.ndarray:
    """The model's input: uint8 array of shape (32, 32, 3).

    fit says how a non-square image becomes square:
    "crop" (default) keeps the central square — CIFAR-10 objects fill their
    frame, so cropping the margins looks most like the training data;
    "pad" letterboxes the whole image onto BACKGROUND — nothing is lost, but
    the object shrinks; "stretch" squashes it, distorting shapes.
    Downsizing uses LANCZOS (sharp, no aliasing), after a fast box reduction
    when the image is many times larger than 32x32 (``reducing_gap``).
    """
    if fit not in FITS:
        raise ValueError(f"unknown fit {fit!r}: use one of {', '.join(FITS)}")
    image = to_rgb(image)
    if fit == "crop":
        square = _center_square(image.size)
        image = image.resize((SIDE, SIDE), Image.Resampling.LANCZOS, box=square, reducing_gap=3.0)
    elif fit == "stretch":
        image = image.resize((SIDE, SIDE), Image.Resampling.LANCZOS, reducing_gap=3.0)
    else:
        image = _letterbox(image)
    return np.array(image, dtype=np.uint8)


def _center_square(size: tuple[int, int]) -> tuple[float, float, float, float]:
    width, height = size
    side = min(width, height)
    left, top = (width - side) / 2, (height - side) / 2
    return left, top, left + side, top + side


def _letterbox(image: Image.Image) -> Image.Image:
    # Resize first, then pad: padding a big image to a square would cost
    # memory for pixels that are only background.
    width, height = image.size
    scale = SIDE / max(width, height)
    inner = (max(1, round(width * scale)), max(1, round(height * scale)))
    resized = image.resize(inner, Image.Resampling.LANCZOS, reducing_gap=3.0)
    canvas = Image.new("RGB", (SIDE, SIDE), BACKGROUND)
    canvas.paste(resized, ((SIDE - inner[0]) // 2, (SIDE - inner[1]) // 2))
    return canvas


def prepare(data: bytes, name: str = "image", *, fit: str = "crop") -> tuple[Image.Image, np.ndarray]:
    """(the upload as an RGB image, its model input: uint8 array of shape (32, 32, 3)).

    The image is decoded at reduced size when it is large (``decode`` with
    min_side=DECODE_SIDE); the model input differs from a full decode's only
    by resampling noise.
    """
    image, _ = decode(data, name, min_side=DECODE_SIDE)
    return image, to_model_input(image, fit=fit)


# --- predictions ------------------------------------------------------------------------

def predict_proba(model, images: np.ndarray, *, batch_size: int = BATCH_SIZE) -> np.ndarray:
    """Class probabilities: float32 array of shape (N, 10).

    images: uint8 array of shape (N, 32, 32, 3), or one image of shape
    (32, 32, 3), treated as a batch of one (the result is then (1, 10)).
    A model that ends in logits rather than a softmax gets a softmax here.
    """
    images, _ = as_batch(images)
    outputs = [np.asarray(model.predict_on_batch(normalize(images[start:start + batch_size])))
               for start in range(0, len(images), batch_size)]
    return as_probabilities(np.concatenate(outputs) if outputs else np.zeros((0, NUM_CLASSES)))


def as_probabilities(scores: np.ndarray) -> np.ndarray:
    """A model's outputs, float array of shape (N, 10), as probabilities: as they are when they already
    are (each row in [0, 1], summing to 1), else through a softmax (a model that ends in logits).

    Raises ValueError for outputs of any other shape: the model is not a CIFAR-10 classifier.
    """
    scores = np.asarray(scores, np.float32)
    if scores.ndim != 2 or scores.shape[1] != NUM_CLASSES:
        raise ValueError(f"the model outputs shape {scores.shape[1:]} per image, "
                         f"not ({NUM_CLASSES},): it is not a CIFAR-10 classifier")
    if np.all(scores >= 0) and np.all(scores <= 1) and np.allclose(scores.sum(axis=1), 1.0, atol=1e-3):
        return scores
    shifted = np.exp(scores - scores.max(axis=1, keepdims=True))  # shift: exp never overflows
    return (shifted / shifted.sum(axis=1, keepdims=True)).astype(np.float32)


def top_k(model, images: np.ndarray, k: int = 3) -> list[list[tuple[str, float]]]:
    """For each image, its k most probable (class name, probability) pairs, most probable first.

    images: as for ``predict_proba``; one image gives a list of one list.
    """
    if k < 1:
        raise ValueError(f"k must be at least 1, not {k}")
    probs = predict_proba(model, images)
    order = np.argsort(-probs, axis=1, kind="stable")[:, :k]
    return [[(CLASS_NAMES[i], float(row[i])) for i in best] for row, best in zip(probs, order)]


# --- a whole upload (the Predict page) ----------------------------------------------------------

UNSURE_BELOW = 0.4  # a top probability under this is closer to a guess than an answer


@dataclass(frozen=True)
class Result:
    """What became of one uploaded file: its predictions, or why it could not be used."""
    name: str
    original: Image.Image | None = None     # the upload as an RGB image, reduced if large (see decode)
    model_input: np.ndarray | None = None   # uint8 (32, 32, 3): all the model sees of it
    top: tuple = ()                         # (class name, probability) pairs, most probable first
    error: str | None = None                # for the user, naming the file
    size: tuple[int, int] | None = None     # the upload's own (width, height), upright, before any reduction

    @property
    def unsure(self) -> bool:
        return bool(self.top) and self.top[0][1] < UNSURE_BELOW


def classify_uploads(model, uploads, *, fit: str = "crop", k: int = 3) -> list[Result]:
    """One Result per (name, bytes) upload, in order; all readable images go to the model in one batch.

    A file that is not a usable image gets its error and does not stop the others.
    """
    results = []
    for name, payload in uploads:
        try:
            original, size = decode(payload, name, min_side=DECODE_SIDE)
            results.append(Result(name, original, to_model_input(original, fit=fit), size=size))
        except ImageError as exc:
            results.append(Result(name, error=str(exc)))
    good = [i for i, r in enumerate(results) if r.error is None]
    if good:
        tops = top_k(model, np.stack([results[i].model_input for i in good]), k=k)
        for i, top in zip(good, tops):
            results[i] = replace(results[i], top=tuple(top))
    return results
