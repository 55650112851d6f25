"""One folder per run on disk: config, history, model, evaluation, status.

::

    runs/20261122-101500-keras_tutorial/
        config.json      the TrainConfig, so the run can be replayed
        status.json      running | finished | stopped | failed | imported, with the reason and the process id
        history.json     one row per finished epoch, rewritten after each epoch
        model.keras      the model after the last finished epoch (or at the stop)
        evaluation.json  test accuracy, confusion matrix, per-class report
        predictions.npz  the test set's class probabilities
        tensorboard/     TensorBoard logs: train/ and validation/ scalars per epoch

Every file is written atomically (files.py), so a crash leaves the previous
version whole. A run whose status says running but whose process is gone is
listed as interrupted, with its finished epochs and last saved model intact.
"""
from __future__ import annotations

import os
import re
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from . import files

DEFAULT_ROOT = "runs"
MODEL_FILE = "model.keras"
RUNNING, FINISHED, STOPPED, FAILED, INTERRUPTED = "running", "finished", "stopped", "failed", "interrupted"
QUEUED, CANCELLED = "queued", "cancelled"  # waiting for a trainer; taken out of the queue before it started
IMPORTED = "imported"            # a model uploaded from elsewhere: no training of ours, so no history
DONE = (FINISHED, STOPPED, FAILED, CANCELLED)        # a training that has ended, one way or another
VALIDATION, TEST = "validation", "test"  # what a run's held-out curve was measured on (status.json's held_out)
HEARTBEAT_FILE = "heartbeat"     # touched every few seconds by the trainer (live.py)
HEARTBEAT_STALE = 20.0           # seconds without a touch after which a trainer is taken for dead
USABLE = (FINISHED, STOPPED, INTERRUPTED, IMPORTED)  # a model that is no longer changing: it can predict
RESUMABLE = (STOPPED, INTERRUPTED, FAILED)           # a training that can go on from its last finished epoch
_live_here: set[str] = set()  # ids of runs this process is training right now


class RunError(LookupError):
    """A run that does not exist or cannot be read; the message says which."""


def root() -> Path:
    """The runs folder: $CIFAR_DEMO_RUNS, else ./runs."""
    return Path(os.environ.get("CIFAR_DEMO_RUNS", DEFAULT_ROOT))


def _pid_alive(pid: int) -> bool:
    """Whether process ``pid`` lives on this machine; a zombie (killed, not yet reaped by its parent) does not."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rpartition(")")[2].split()[0] != "Z"
    except (OSError, IndexError):
        return True  # no /proc to ask: take kill's word


@dataclass(frozen=True)
class Run:
    path: Path

    @property
    def id(self) -> str:
        return self.path.name

    # --- reading --------------------------------------------------------------------------------
    @property
    def config(self) -> dict:
        return self._read("config.json", {})

    def history(self) -> list[dict]:
        return self._read("history.json", [])

    def status_record(self) -> dict:
        return self._read("status.json", {"status": INTERRUPTED})

    @property
    def status(self) -> str:
        record = self.status_record()
        state = record.get("status", INTERRUPTED)
        if state == RUNNING and not self._still_running(record):
            return INTERRUPTED
        return state

    def _still_running(self, record: dict) -> bool:
        """Whether the process that marked the run running still trains it: alive (when on this machine)
        and still touching the heartbeat file (when it keeps one)."""
        pid = record.get("pid")
        if pid == os.getpid():
            return self.id in _live_here
        if record.get("host") == os.uname().nodename and not (isinstance(pid, int) and _pid_alive(pid)):
            return False
        try:
            return time.time() - (self.path / HEARTBEAT_FILE).stat().st_mtime < HEARTBEAT_STALE
        except FileNotFoundError:
            return record.get("host") == os.uname().nodename  # a trainer without a heartbeat: its pid decides

    @property
    def model_path(self) -> Path:
        return self.path / MODEL_FILE

    @property
    def has_model(self) -> bool:
        return self.model_path.is_file()

    def load_model(self):
        """The saved keras.Model, loaded with Keras's safe_mode (no arbitrary code)."""
        return load_model_file(self.model_path)

    def evaluation(self):
        """The saved Evaluation, or None when the run has none yet."""
        from . import evaluation
        try:
            return evaluation.load(self.path)
        except FileNotFoundError:
            return None

    def held_out(self) -> str:
        """What the run's held-out curve is measured on: its validation split, or test images (runs that train
        on every training image; runs from before this was recorded: by their config)."""
        return self.status_record().get("held_out") or (VALIDATION if self.config.get("validation_split") else TEST)

    def test_accuracy(self) -> float | None:
        """The accuracy on the test images from evaluation.json; None before the run is tested."""
        return self._read("evaluation.json", {}).get("summary", {}).get("accuracy")

    def summary(self) -> dict:
        """What a runs table shows: one flat dict."""
        history, config, record = self.history(), self.config, self.status_record()
        vals = [row["val_accuracy"] for row in history if "val_accuracy" in row]
        return {
            "id": self.id, "status": self.status, "preset": config.get("preset", "?"),
            "epochs": "–" if record.get("status") == IMPORTED else f"{len(history)}/{config.get('epochs', '?')}",
            "epochs_done": len(history),
            "best_val_accuracy": max(vals) if vals else None,
            "final_val_accuracy": vals[-1] if vals else None,
            "test_accuracy": self.test_accuracy(),
            "train_seconds": record.get("train_seconds"),
            "created": record.get("created"), "error": record.get("error"),
        }

    def _read(self, name: str, default):
        try:
            return files.read_json(self.path / name)
        except FileNotFoundError:
            return default
        except ValueError as exc:
            raise RunError(f"{self.path / name} is not valid JSON: {exc}") from exc

    # --- writing ------------------------------------------------------------------------------
    def set_status(self, status: str, **extra) -> None:
        record = {**self.status_record(), **extra, "status": status, "updated": time.time()}
        if status == RUNNING:
            record.update(pid=os.getpid(), host=os.uname().nodename)
            _live_here.add(self.id)
        else:
            _live_here.discard(self.id)
        files.write_json(self.path / "status.json", record)

    def append_epoch(self, row: dict) -> None:
        files.write_json(self.path / "history.json", [*self.history(), row])

    def save_model(self, model) -> None:
        with files.atomic_path(self.model_path, suffix=".keras") as tmp:
            model.save(tmp)

    def save_evaluation(self, evaluation) -> None:
        from . import evaluation as ev
        ev.save(evaluation, self.path)


def load_model_file(path: Path | str, *, compile: bool = False):
    """Load a .keras file with safe_mode; a missing or broken file raises RunError.

    ``compile`` also restores the loss, metrics and optimizer state saved with it (to train on).
    """
    import keras

    from .layers import CUSTOM_OBJECTS  # here: listing runs needs no Keras
    path = Path(path)
    if not path.is_file():
        raise RunError(f"{path} does not exist")
    try:
        return keras.saving.load_model(path, safe_mode=True, compile=compile, custom_objects=CUSTOM_OBJECTS)
    except Exception as exc:  # Keras raises many kinds for a damaged or foreign file
        raise RunError(f"{path} is not a model Keras can load safely ({exc.__class__.__name__}: "
                       f"{str(exc).splitlines()[0][:200] if str(exc) else 'no detail'})") from exc


def default_run() -> Run | None:
    """The model that ships with the project (default_run/ beside the package), if present."""
    path = Path(__file__).resolve().parent.parent / "default_run"
    return Run(path) if (path / MODEL_FILE).is_file() else None


def create(config: dict, *, base: Path | None = None, name: str | None = None, status: str = RUNNING) -> Run:
    """A new run folder named by time and ``name`` (default: the preset), holding config.json and ``status``
    (running: this process trains it now; queued: a trainer will)."""
    base = Path(base or root())
    slug = re.sub(r"[^a-z0-9_]+", "-", str(name or config.get("preset", "custom")).lower()).strip("-")[:60]
    stamp = time.strftime("%Y%m%d-%H%M%S")
    for n in range(1000):
        path = base / (f"{stamp}-{slug}" if n == 0 else f"{stamp}-{slug}-{n}")
        try:
            path.mkdir(parents=True)
            break
        except FileExistsError:
            continue
    run = Run(path)
    files.write_json(path / "config.json", config)
    run.set_status(status, created=time.time())
    return run


def discard(run: Run) -> None:
    """Remove a run that was being made and failed half-way (an import), leaving no trace of it."""
    _live_here.discard(run.id)
    shutil.rmtree(run.path, ignore_errors=True)


def list_runs(base: Path | None = None) -> list[Run]:
    """Every run folder under the runs root, newest first."""
    base = Path(base or root())
    if not base.is_dir():
        return []
    found = [Run(p) for p in base.iterdir() if p.is_dir() and (p / "config.json").is_file()]
    return sorted(found, key=lambda r: r.id, reverse=True)


def open_run(ref: str | Path, base: Path | None = None) -> Run:
    """A run by its id (folder name under the root) or by its folder's path."""
    for candidate in (Path(ref), Path(base or root()) / str(ref)):
        if (candidate / "config.json").is_file():
            return Run(candidate)
    raise RunError(f"no run {ref!r}: give a run id from `python -m cifar_demo runs` or a run folder")


def delete(run: Run) -> None:
    if run.status == RUNNING:
        raise RunError(f"run {run.id} is training right now; stop it before deleting it")
    shutil.rmtree(run.path)


def prediction_runs(run_list: list[Run], default: Run | None = None) -> list[Run]:
    """The runs whose model can predict: the shipped ``default`` first (when given), then each run of
    ``run_list`` that has a model and is done training, in the list's order. Unreadable runs are left out."""
    usable = []
    for run in run_list:
        try:
            status = run.status
        except RunError:
            continue
        if status in USABLE and run.has_model:
            usable.append(run)
    return [default, *usable] if default is not None else usable
