"""Find, load and cache CIFAR-10; class names and image shape; the one normalisation function.

The data set is looked for, in this order, at the path in ``CIFAR10_PATH`` (the
official ``cifar-10-python.tar.gz`` or its unpacked ``cifar-10-batches-py/``
folder), in the Keras cache (``~/.keras/datasets``), and last through Keras's
own download. The batches are pickles, so they are read with an unpickler that
admits only NumPy's array-rebuilding globals: a file naming anything else is
refused before any of it runs.
"""
from __future__ import annotations

import hashlib
import io
import os
import pickle
import tarfile
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

CLASS_NAMES = ("airplane", "automobile", "bird", "cat", "deer",
               "dog", "frog", "horse", "ship", "truck")
NUM_CLASSES = len(CLASS_NAMES)
IMAGE_SHAPE = (32, 32, 3)
FOLDER = "cifar-10-batches-py"
ARCHIVE = "cifar-10-python.tar.gz"
TRAIN_BATCHES = tuple(f"data_batch_{i}" for i in range(1, 6))
TEST_BATCH = "test_batch"
ORIGIN = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
ORIGIN_SHA256 = "6d958be074577803d12ecdefd02955f39262c83c16fe9348329d7fe0b5c001ce"
CACHE_VERSION = 1  # bump when the cached arrays' layout changes


class DataError(RuntimeError):
    """The data set could not be found or read; the message says what to do."""


@dataclass(frozen=True)
class Cifar10:
    """CIFAR-10 in memory.

    x_train: uint8 array of shape (50000, 32, 32, 3); y_train: int64 (50000,);
    x_test: uint8 (10000, 32, 32, 3); y_test: int64 (10000,).
    """
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    source: str  # where the pixels came from, for the user to see

    def split(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        """The (images, labels) of split "train" or "test"."""
        if name == "train":
            return self.x_train, self.y_train
        if name == "test":
            return self.x_test, self.y_test
        raise ValueError(f"unknown split {name!r}: use 'train' or 'test'")


def normalize(images):
    """Pixels 0..255 (uint8 or float, NumPy or TensorFlow) -> float32 in [0, 1].

    The one preprocessing step between pixels and every model here, used by
    training, evaluation and prediction alike; it is the tutorials' ``x / 255``
    so that a model trained by one of them can be imported and used as is.
    """
    if isinstance(images, np.ndarray):
        return images.astype(np.float32) / np.float32(255.0)
    import tensorflow as tf
    return tf.cast(images, tf.float32) / 255.0


def as_batch(images) -> tuple[np.ndarray, bool]:
    """(images as a batch of shape (N, 32, 32, 3), whether one image of shape (32, 32, 3) was given).

    Raises ValueError, naming the shape, for anything else.
    """
    images = np.asarray(images)
    single = images.shape == IMAGE_SHAPE
    if single:
        images = images[np.newaxis]
    if images.ndim != 4 or images.shape[1:] != IMAGE_SHAPE:
        raise ValueError(f"images must have shape (N, 32, 32, 3) or (32, 32, 3), not {images.shape}")
    return images, single


# --- the restricted unpickler -------------------------------------------------

def _array_globals() -> dict[tuple[str, str], object]:
    try:
        from numpy._core.multiarray import _reconstruct, scalar
    except ImportError:  # NumPy 1.x
        from numpy.core.multiarray import _reconstruct, scalar
    allowed = {}
    # The original pickles name numpy.core (Python 2 era); our copy names numpy._core.
    for module in ("numpy.core.multiarray", "numpy._core.multiarray"):
        allowed[(module, "_reconstruct")] = _reconstruct
        allowed[(module, "scalar")] = scalar
    allowed[("numpy", "ndarray")] = np.ndarray
    allowed[("numpy", "dtype")] = np.dtype
    return allowed


class _ArrayOnlyUnpickler(pickle.Unpickler):
    _allowed = _array_globals()

    def find_class(self, module, name):
        try:
            return self._allowed[(module, name)]
        except KeyError:
            raise pickle.UnpicklingError(
                f"refused to load global {module}.{name}: a CIFAR-10 batch holds only NumPy arrays"
            ) from None


def safe_unpickle(payload: bytes) -> object:
    """Unpickle bytes that may only rebuild NumPy arrays, lists, dicts and scalars."""
    return _ArrayOnlyUnpickler(io.BytesIO(payload), encoding="bytes").load()


# --- finding the data -----------------------------------------------------------

def keras_cache_dir() -> Path:
    return Path(os.environ.get("KERAS_HOME", Path.home() / ".keras")) / "datasets"


def find_source(download: bool = True) -> Path:
    """The archive or folder to read, by the order in this module's docstring."""
    env = os.environ.get("CIFAR10_PATH")
    if env:
        path = Path(env).expanduser()
        if not path.exists():
            raise DataError(f"CIFAR10_PATH points to {path}, which does not exist. "
                            f"Set it to {ARCHIVE} or its unpacked {FOLDER}/ folder.")
        if path.is_dir() and (path / FOLDER).is_dir():
            path = path / FOLDER
        return path
    cache = keras_cache_dir()
    # Keras 3 unpacks its download into cifar-10-batches-py-target/, Keras 2 beside it
    for candidate in (cache / f"{FOLDER}-target" / FOLDER, cache / FOLDER, cache / ARCHIVE):
        if candidate.exists():
            return candidate
    if not download:
        raise DataError(f"CIFAR-10 not found: set CIFAR10_PATH to {ARCHIVE} or put it in {cache}.")
    return _download()


def _download() -> Path:
    try:
        import keras
        # only the archive: Keras's own load_data would unpickle it without restrictions
        path = keras.utils.get_file(fname=ARCHIVE, origin=ORIGIN, file_hash=ORIGIN_SHA256)
    except Exception as exc:  # any network or file failure means the same thing to the user
        raise DataError(
            f"CIFAR-10 is not on this machine and Keras could not download it ({exc.__class__.__name__}). "
            f"Download {ARCHIVE} and set CIFAR10_PATH to it."
        ) from exc
    return Path(path)


# --- reading ------------------------------------------------------------------------

def _decode_batch(payload: bytes, name: str, source: Path) -> tuple[np.ndarray, np.ndarray]:
    try:
        batch = safe_unpickle(payload)
        data, labels = batch[b"data"], batch[b"labels"]
    except pickle.UnpicklingError as exc:
        raise DataError(f"{source}: {name} was refused: {exc}") from exc
    except Exception as exc:
        raise DataError(f"{source}: {name} is not a CIFAR-10 batch ({exc.__class__.__name__}: {exc}). "
                        f"Download {ARCHIVE} again.") from exc
    data, labels = np.asarray(data), np.asarray(labels, dtype=np.int64)
    if data.dtype != np.uint8 or data.ndim != 2 or data.shape[1] != 3072 or len(labels) != len(data):
        raise DataError(f"{source}: {name} has data of shape {data.shape} and dtype {data.dtype}, "
                        f"not (N, 3072) uint8 with N labels. Download {ARCHIVE} again.")
    if labels.size and (labels.min() < 0 or labels.max() >= len(CLASS_NAMES)):
        raise DataError(f"{source}: {name} has labels outside 0..9. Download {ARCHIVE} again.")
    # rows are 1024 red, 1024 green, then 1024 blue values, each plane row-major
    return data.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1), labels


def _read_payloads(source: Path) -> dict[str, bytes]:
    names = TRAIN_BATCHES + (TEST_BATCH,)
    if source.is_dir():
        missing = [n for n in names if not (source / n).is_file()]
        if missing:
            raise DataError(f"{source} lacks {', '.join(missing)}: it is not a complete {FOLDER}/ folder.")
        return {n: (source / n).read_bytes() for n in names}
    try:
        with tarfile.open(source, "r:*") as tar:
            wanted = {f"{FOLDER}/{n}": n for n in names}
            payloads = {wanted[m.name]: tar.extractfile(m).read() for m in tar if m.name in wanted and m.isfile()}
    except (tarfile.TarError, EOFError, zlib.error, OSError) as exc:
        raise DataError(f"{source} could not be read ({exc.__class__.__name__}: {exc}); the file is "
                        f"truncated or corrupt. Download {ARCHIVE} again.") from exc
    missing = [n for n in names if n not in payloads]
    if missing:
        raise DataError(f"{source} has no {FOLDER}/{missing[0]}: it is not the CIFAR-10 python "
                        f"archive. Download {ARCHIVE} again.")
    return payloads


def decode(source: Path) -> Cifar10:
    """Read every batch from an archive or folder (slow: seconds)."""
    payloads = _read_payloads(source)
    parts = [_decode_batch(payloads[n], n, source) for n in TRAIN_BATCHES]
    x_test, y_test = _decode_batch(payloads[TEST_BATCH], TEST_BATCH, source)
    return Cifar10(np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts]),
                   np.ascontiguousarray(x_test), y_test, str(source))


# --- the decoded cache -----------------------------------------------------------------

def cache_root() -> Path:
    return Path(os.environ.get("CIFAR_DEMO_CACHE", Path.home() / ".cache" / "cifar-demo"))


def _cache_dir(source: Path) -> Path:
    stat = source.stat()
    key = f"{CACHE_VERSION}|{source.resolve()}|{stat.st_size}|{stat.st_mtime_ns}"
    return cache_root() / hashlib.sha256(key.encode()).hexdigest()[:16]


_ARRAYS = ("x_train", "y_train", "x_test", "y_test")


def _write_cache(folder: Path, data: Cifar10) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name in _ARRAYS:
        tmp = folder / f"{name}.{os.getpid()}.tmp.npy"
        np.save(tmp, getattr(data, name))
        os.replace(tmp, folder / f"{name}.npy")


def _read_cache(folder: Path, source: Path) -> Cifar10 | None:
    try:
        arrays = {n: np.load(folder / f"{n}.npy", mmap_mode="r", allow_pickle=False) for n in _ARRAYS}
    except (OSError, ValueError):
        return None
    if arrays["x_train"].shape != (50000, *IMAGE_SHAPE) or arrays["x_test"].shape != (10000, *IMAGE_SHAPE):
        return None
    return Cifar10(**arrays, source=str(source))


def load(download: bool = True) -> Cifar10:
    """CIFAR-10 from the first source found, decoded once and then read from the cache.

    The cache is a folder of .npy files keyed by the source's path, size and
    modification time; the arrays come back memory-mapped and read-only.
    """
    source = find_source(download=download)
    folder = _cache_dir(source)
    cached = _read_cache(folder, source)
    if cached is not None:
        return cached
    data = decode(source)
    try:
        _write_cache(folder, data)
    except OSError:
        return data  # a read-only home still gets its data, just not cached
    return _read_cache(folder, source) or data


def class_counts(labels: np.ndarray) -> np.ndarray:
    """int array of shape (10,): how many labels fall in each class."""
    return np.bincount(np.asarray(labels), minlength=len(CLASS_NAMES))


def sample_indices(labels: np.ndarray, *, classes=None, seed: int = 0) -> np.ndarray:
    """Indices of the images of the given classes (all if None), shuffled by seed."""
    labels = np.asarray(labels)
    idx = np.arange(len(labels)) if classes is None else np.flatnonzero(np.isin(labels, list(classes)))
    return np.random.default_rng(seed).permutation(idx)


def mean_images(images: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """uint8 array of shape (10, 32, 32, 3): the per-class mean image."""
    out = np.zeros((len(CLASS_NAMES), *IMAGE_SHAPE), dtype=np.float64)
    for c in range(len(CLASS_NAMES)):
        members = np.flatnonzero(np.asarray(labels) == c)
        if len(members):
            out[c] = np.asarray(images[members], dtype=np.float64).mean(axis=0)
    return np.round(out).astype(np.uint8)


def one_per_class(labels: np.ndarray, *, seed: int = 0) -> np.ndarray:
    """int array of shape (10,): the index of one image of each class, in class order, drawn by seed."""
    order = sample_indices(labels, seed=seed)
    first = {}
    for i in order:
        first.setdefault(int(labels[i]), int(i))
        if len(first) == len(CLASS_NAMES):
            break
    return np.array([first[c] for c in range(len(CLASS_NAMES)) if c in first], dtype=np.int64)
