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

import io
import os
import re
import shutil
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path

from . import files
from .models import describe_spec

DEFAULT_ROOT = "runs"
MODEL_FILE = "model.keras"
RUNNING, FINISHED, STOPPED, FAILED, INTERRUPTED = "running", "finished", "stopped", "failed", "interrupted"
IMPORTED = "imported"            # a model uploaded from elsewhere: no training of ours, so no history
_live_here: set[str] = set()  # ids of runs this process is training right now


class RunError(LookupError):
    """A run that does not exist or cannot be read; the message says which."""


def root() -> Path:
    """The runs folder: $CIFAR_DEMO_RUNS, else ./runs."""
    return Path(os.environ.get("CIFAR_DEMO_RUNS", DEFAULT_ROOT))


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


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
        pid = record.get("pid")
        if pid == os.getpid():
            return self.id in _live_here
        return isinstance(pid, int) and record.get("host") == os.uname().nodename and _pid_alive(pid)

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

    from . import layers  # noqa: F401  registers the project's own layers
    path = Path(path)
    if not path.is_file():
        raise RunError(f"{path} does not exist")
    try:
        return keras.saving.load_model(path, safe_mode=True, compile=compile)
    except Exception as exc:  # Keras raises many kinds for a damaged or foreign file
        raise RunError(f"{path} is not a model Keras can load safely ({exc.__class__.__name__}: "
                       f"{str(exc).splitlines()[0][:200] if str(exc) else 'no detail'})") from exc


def export(run: Run, dest: Path | str, *, data=None) -> Run:
    """A slim copy of a finished run in ``dest`` (a new or empty folder): to share or ship it.

    It holds the run's config, history, status, evaluation and TensorBoard logs,
    and its model without the optimizer state (a third of the file: what
    predicting needs, not what resuming needs), computing in float32 (see
    ``float32_copy``). A model that trained in mixed precision is tested again
    as float32, on the run's test images (``data``, default ``data.load()``),
    so that the copy's evaluation is that of the model it holds.
    """
    dest = Path(dest)
    if run.status != FINISHED:
        raise RunError(f"run {run.id} is {run.status}; only a finished run can be exported")
    if dest.exists() and any(dest.iterdir()):
        raise RunError(f"{dest} is not empty; export into a new or empty folder")
    trained = run.load_model()
    model = float32_copy(trained)
    dest.mkdir(parents=True, exist_ok=True)
    for name in ("config.json", "history.json", "evaluation.json", "predictions.npz"):
        if (run.path / name).is_file():
            shutil.copy2(run.path / name, dest / name)
    if (run.path / "tensorboard").is_dir():
        shutil.copytree(run.path / "tensorboard", dest / "tensorboard")
    record = {k: v for k, v in run.status_record().items() if k not in ("pid", "host", "traceback")}
    files.write_json(dest / "status.json", {**record, "exported_from": run.id})
    copy = Run(dest)
    copy.save_model(model)  # loaded without compiling: no optimizer state is saved
    tested = run.evaluation()
    if model is not trained and tested is not None:  # converted: test what the copy holds
        _evaluate_again(copy, model, len(tested.y_true), data)
    return copy


def _evaluate_again(run: Run, model, n: int, data) -> None:
    """Test ``model`` on the first ``n`` test images (the run's test subset) and save it as ``run``'s evaluation."""
    from . import data as data_module, evaluation
    data = data if data is not None else data_module.load()
    config = run.config
    ev = evaluation.evaluate(model, data.x_test[:n], data.y_test[:n], tta_flip=bool(config.get("tta_flip")),
                             tta_shift=bool(config.get("tta_shift")))
    run.save_evaluation(ev)
    run.set_status(FINISHED, test_accuracy=float(ev.accuracy))


def float32_copy(model):
    """``model`` with every layer computing in float32, and the same weights.

    A model trained in mixed bfloat16 keeps that policy when saved. Where the
    CPU has no bfloat16 instructions, TensorFlow emulates them, 2-3x slower
    than float32 (BENCHMARKS.md): a model to share should predict at full speed
    on any machine. Its weights are float32 already, so nothing is lost.
    """
    import keras
    if all(layer.dtype_policy.name == "float32" for layer in model.layers):
        return model

    def as_float32(layer):
        return layer.__class__.from_config({**layer.get_config(), "dtype": "float32"})

    copy = keras.models.clone_model(model, clone_function=as_float32)
    copy.set_weights(model.get_weights())
    return copy


def default_run() -> Run | None:
    """The model that ships with the project (default_run/ beside the package), if present."""
    path = Path(__file__).resolve().parent.parent / "default_run"
    return Run(path) if (path / MODEL_FILE).is_file() else None


def create(config: dict, *, base: Path | None = None, name: str | None = None) -> Run:
    """A new run folder named by time and ``name`` (default: the preset), holding config.json and a running status."""
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
    run.set_status(RUNNING, created=time.time())
    return run


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


def table(run_list: list[Run]) -> list[dict]:
    """One flat row per run for a runs table: what it was, how it was trained, how it did.

    A run whose files cannot be read still gets a row, with status "unreadable"
    and the reason, so that it can be seen and deleted.
    """
    rows = []
    for run in run_list:
        try:
            s, config = run.summary(), run.config
        except RunError as exc:
            rows.append({"id": run.id, "status": "unreadable", "error": str(exc)})
            continue
        imported = s["status"] == IMPORTED
        rows.append({
            "id": run.id, "status": s["status"], "preset": s["preset"],
            "architecture": config.get("architecture") or describe_spec(config.get("spec") or []),
            "epochs": None if imported else config.get("epochs"), "epochs_done": None if imported else s["epochs_done"],
            "batch_size": config.get("batch_size"), "optimizer": config.get("optimizer"),
            "learning_rate": config.get("learning_rate"), "augmentation": _augmentation(config),
            "subset": config.get("subset") or (None if imported else 50_000),
            "best_val_accuracy": s["best_val_accuracy"], "final_val_accuracy": s["final_val_accuracy"],
            "test_accuracy": s["test_accuracy"], "train_seconds": s["train_seconds"],
            "created": s["created"], "error": s["error"],
        })
    return rows


def _augmentation(config: dict) -> str | None:
    if config.get("preset") == "imported":
        return None
    parts = ((["flip"] if config.get("flip") else []) + ([f"shift {config['shift']}"] if config.get("shift") else [])
             + ([f"cutout {config['cutout']}"] if config.get("cutout") else []))
    return ", ".join(parts) or "none"


# --- importing a model trained elsewhere -------------------------------------------------------------------

IMPORT_TEST_IMAGES = 2_000       # an imported model is tested on the first 2,000 test images: a few seconds on a CPU
INPUT_SHAPE, OUTPUT_SHAPE = (None, 32, 32, 3), (None, 10)


class ModelRejected(ValueError):
    """An uploaded file that cannot become a run; the message says why, in words."""


def import_model(raw: bytes, name: str, *, data=None, base: Path | None = None) -> Run:
    """Make a run folder of an uploaded .keras model, tested on the first IMPORT_TEST_IMAGES test images.

    The file is loaded with Keras's safe mode (a Lambda layer, i.e. Python code,
    is refused) and must take (None, 32, 32, 3) images and give (None, 10)
    scores; anything else raises ModelRejected. ``data`` defaults to ``data.load()``.
    The model is fed the app's own preprocessing (``data.normalize``: pixels
    scaled to 0..1), so a model trained on other preprocessing will score low.
    """
    import tempfile
    from . import data as data_module, evaluation
    if not zipfile.is_zipfile(io.BytesIO(raw)):
        raise ModelRejected(f"{name} is not a .keras file: a .keras file is a zip archive, and this is not one "
                            f"(an older .h5 file? Load it in Keras and save it again with model.save('name.keras')).")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "model.keras"
        path.write_bytes(raw)
        model = _load_upload(path, name)
        _check_shapes(model, name)
        cifar = data if data is not None else data_module.load()
        n = min(IMPORT_TEST_IMAGES, len(cifar.y_test))
        stem = Path(name).stem or "model"
        config = {"preset": "imported", "spec": [], "source": name, "test_subset": n,
                  "architecture": f"{len(model.layers)} layers, {model.count_params():,} parameters"}
        run = create(config, base=base, name=f"imported-{stem}")
        try:
            shutil.copyfile(path, run.model_path)
            ev = evaluation.evaluate(model, cifar.x_test[:n], cifar.y_test[:n])
            run.save_evaluation(ev)
            run.set_status(IMPORTED, test_accuracy=float(ev.accuracy))
        except BaseException:
            _live_here.discard(run.id)
            shutil.rmtree(run.path, ignore_errors=True)  # no half-made run left behind
            raise
    return run


def _load_upload(path: Path, name: str):
    try:
        return load_model_file(path)
    except RunError as exc:
        cause = str(exc.__cause__ or exc)
        if "Lambda" in cause or "safe_mode" in cause:
            raise ModelRejected(f"{name} contains a Lambda layer, that is Python code, which the app refuses to "
                                f"run (Keras safe mode). Rebuild the model from standard layers.") from None
        detail = str(exc).split("(", 1)[-1].rstrip(")")
        raise ModelRejected(f"{name} is not a model Keras can load: {detail}") from None


def _check_shapes(model, name: str) -> None:
    inputs, outputs = model.input_shape, model.output_shape
    if not isinstance(inputs, tuple) or tuple(inputs) != INPUT_SHAPE:
        raise ModelRejected(f"{name} takes input of shape {inputs}; a CIFAR-10 model takes (None, 32, 32, 3): "
                            f"any number of 32×32 colour images.")
    if not isinstance(outputs, tuple) or tuple(outputs) != OUTPUT_SHAPE:
        raise ModelRejected(f"{name} gives output of shape {outputs}; a CIFAR-10 model gives (None, 10): "
                            f"one score per class.")
