"""Atomic file writes: write beside the target, then rename over it.

A crash or a killed process leaves either the old file or the new one, never a
half-written one, because ``os.replace`` is atomic on one file system.
"""
from __future__ import annotations

import json
import os
import tempfile
from contextlib import contextmanager
from pathlib import Path

import numpy as np


@contextmanager
def atomic_path(target: Path | str, suffix: str = ""):
    """Yield a temporary path beside ``target``; on success rename it over ``target``.

    ``suffix`` keeps an extension that a writer insists on (Keras wants ``.keras``).
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=suffix + ".tmp" if not suffix else suffix,
                               dir=target.parent)
    os.close(fd)
    try:
        yield Path(tmp)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_bytes(target: Path | str, data: bytes) -> None:
    with atomic_path(target) as tmp:
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())


def write_json(target: Path | str, obj) -> None:
    write_bytes(target, json.dumps(obj, indent=1, default=_jsonable).encode())


def read_json(path: Path | str):
    with open(path, "rb") as f:
        return json.loads(f.read())


def write_npz(target: Path | str, **arrays: np.ndarray) -> None:
    with atomic_path(target, suffix=".npz") as tmp:
        np.savez_compressed(tmp, **arrays)


def _jsonable(value):
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")
