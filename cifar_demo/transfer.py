"""Models in and out of the runs folder: open a model by name, export a finished run to share or ship it
(with a float32 copy of its model), and import a .keras model trained elsewhere as a run of its own.
"""
from __future__ import annotations

import io
import shutil
import tempfile
import zipfile
from pathlib import Path

from . import data as cifar10
from . import evaluation, files
from .runs import FINISHED, IMPORTED, Run, RunError, create, default_run, discard, load_model_file, open_run


def open_model(ref: str | None):
    """(label, model, run or None) for a run id, run folder, .keras file, or the shipped default."""
    if ref is None:
        run = default_run()
        if run is None:
            raise RunError("no model given and no default model ships in this checkout; "
                                "train one with `python -m cifar_demo train` and pass its run id")
        return run.id, run.load_model(), run
    path = Path(ref)
    if path.suffix == ".keras":
        return str(path), load_model_file(path), None
    run = open_run(ref)
    if not run.has_model:
        raise RunError(f"run {run.id} has no saved model yet (status: {run.status})")
    return run.id, run.load_model(), run


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
    data = data if data is not None else cifar10.load()
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
    import keras  # here: the pages that import this module need no Keras until a model is exported
    if all(layer.dtype_policy.name == "float32" for layer in model.layers):
        return model

    def as_float32(layer):
        return layer.__class__.from_config({**layer.get_config(), "dtype": "float32"})

    copy = keras.models.clone_model(model, clone_function=as_float32)
    copy.set_weights(model.get_weights())
    return copy




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
    if not zipfile.is_zipfile(io.BytesIO(raw)):
        raise ModelRejected(f"{name} is not a .keras file: a .keras file is a zip archive, and this is not one "
                            f"(an older .h5 file? Load it in Keras and save it again with model.save('name.keras')).")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "model.keras"
        path.write_bytes(raw)
        model = _load_upload(path, name)
        _check_shapes(model, name)
        cifar = data if data is not None else cifar10.load()
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
            discard(run)  # no half-made run left behind
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
