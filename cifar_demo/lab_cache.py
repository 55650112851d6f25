"""Lab results kept in a run's folder, under labs/NAME.npz, keyed by the model file and the lab's settings.

A second look at a lab is then instant, and a model that changes (a resumed run, a new export) makes
its labs compute again, since its file's size and modification time are part of the key. Writes are
atomic (files.write_npz); a folder that cannot be written (a read-only install) just is not cached.
"""
from __future__ import annotations

import json
import zipfile
from collections.abc import Callable
from pathlib import Path

import numpy as np

from .files import write_npz

FOLDER = "labs"
KEY = "cache_key"  # the array in each file that holds its key, as JSON text


def model_key(run_path: Path | str) -> str:
    """'8001205-1796082871000000000': the model file's size and modification time (ns), or 'none'."""
    path = Path(run_path) / "model.keras"
    if not path.is_file():
        return "none"
    stat = path.stat()
    return f"{stat.st_size}-{stat.st_mtime_ns}"


def key_of(run_path: Path | str, **settings) -> str:
    """The cache key of a lab's result: the model's key and the lab's settings, as JSON text."""
    return json.dumps({"model": model_key(run_path), **settings}, sort_keys=True, default=str)


def load(run_path: Path | str, name: str, key: str) -> dict[str, np.ndarray] | None:
    """The arrays saved under ``name`` when their key is ``key``; None when missing, stale or unreadable."""
    path = Path(run_path) / FOLDER / f"{name}.npz"
    try:
        with np.load(path, allow_pickle=False) as npz:
            if str(npz[KEY]) != key:
                return None
            return {k: npz[k] for k in npz.files if k != KEY}
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile):
        return None


def save(run_path: Path | str, name: str, key: str, arrays: dict[str, np.ndarray]) -> None:
    """Keep ``arrays`` under ``name`` with their key; a folder that cannot be written is left alone."""
    try:
        write_npz(Path(run_path) / FOLDER / f"{name}.npz", **{KEY: np.array(key)}, **arrays)
    except OSError:
        pass


def cached(run_path: Path | str, name: str, key: str,
           compute: Callable[[], dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    """The arrays saved under ``name`` for ``key``, else ``compute()``'s, saved for the next look."""
    found = load(run_path, name, key)
    if found is None:
        found = {k: np.asarray(v) for k, v in compute().items()}
        save(run_path, name, key, found)
    return found
