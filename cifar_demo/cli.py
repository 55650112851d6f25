"""The command line: ``python -m cifar_demo train | resume | evaluate | predict | export | runs | presets``.

Every error the user can cause ends as one line on stderr and a non-zero exit.
"""
from __future__ import annotations

import argparse
import contextlib
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # keep TensorFlow's start-up chatter off the terminal

from . import data, models, runs  # noqa: E402  (after the environment is set)
from .inference import IMAGE_SUFFIXES, ImageError  # noqa: E402

USER_ERRORS = (data.DataError, runs.RunError, ImageError, models.SpecError, ValueError, OSError)  # StrategyError is a ValueError


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return args.func(args) or 0
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except USER_ERRORS as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


def _parser() -> argparse.ArgumentParser:
    from .training import OPTIMIZERS, PRECISIONS, SCHEDULES
    p = argparse.ArgumentParser(prog="python -m cifar_demo", description=__doc__.splitlines()[0])
    sub = p.add_subparsers(required=True, metavar="COMMAND")

    t = sub.add_parser("train", help="train a preset and save the run under the runs folder")
    t.add_argument("--preset", default=models.DEFAULT_PRESET, choices=list(models.PRESETS))
    t.add_argument("--epochs", type=int)
    t.add_argument("--batch-size", type=int)
    t.add_argument("--optimizer", choices=OPTIMIZERS)
    t.add_argument("--lr", "--learning-rate", dest="learning_rate", type=float)
    t.add_argument("--schedule", choices=SCHEDULES)
    t.add_argument("--subset", type=int, help="train on this many of the 50,000 training images")
    t.add_argument("--test-subset", type=int, help="evaluate on the first N test images")
    t.add_argument("--validation-split", type=float)
    t.add_argument("--seed", type=int)
    t.add_argument("--precision", choices=PRECISIONS)
    t.add_argument("--flip", action=argparse.BooleanOptionalAction, default=None)
    t.add_argument("--shift", type=int)
    t.add_argument("--cutout", type=int, help="grey out a random square of this side in each training image")
    _distribution_options(t)
    t.set_defaults(func=cmd_train)

    g = sub.add_parser("resume", help="go on training a stopped or interrupted run, in its own folder")
    g.add_argument("run", help="run id from `runs`, or a run folder")
    _distribution_options(g)
    g.set_defaults(func=cmd_resume)

    e = sub.add_parser("evaluate", help="test-set accuracy, per-class report and confusions of a model")
    e.add_argument("model", nargs="?", help="run id, run folder or .keras file (default: the shipped model)")
    e.add_argument("--test-subset", type=int, help="evaluate on the first N test images")
    e.set_defaults(func=cmd_evaluate)

    r = sub.add_parser("predict", help="top-3 classes for image files")
    r.add_argument("items", nargs="+", metavar="[MODEL] IMAGE",
                   help="optionally a run id, run folder or .keras file first, then image files")
    r.add_argument("-k", type=int, default=3, help="how many classes to show")
    r.set_defaults(func=cmd_predict)

    x = sub.add_parser("export", help="copy a finished run, with its model slimmed for predicting, to a folder")
    x.add_argument("run", help="run id from `runs`, or a run folder")
    x.add_argument("dest", help="a new or empty folder (default_run/ is the model the app ships with)")
    x.set_defaults(func=cmd_export)

    ls = sub.add_parser("runs", help="list the runs with status and accuracy")
    ls.set_defaults(func=cmd_runs)

    ps = sub.add_parser("presets", help="list the network presets")
    ps.set_defaults(func=cmd_presets)
    return p


def _distribution_options(p: argparse.ArgumentParser) -> None:
    from .distribute import KINDS
    p.add_argument("--strategy", choices=KINDS, default="auto",
                   help="tf.distribute strategy; auto: multi-worker when TF_CONFIG names workers, all GPUs "
                        "when there are several, else one device")
    p.add_argument("--cpu-devices", type=int, metavar="N",
                   help="split the CPU into N logical devices (to try the mirrored strategy without GPUs)")


def _placement(args):
    """The tf.distribute placement the arguments ask for (set up before TensorFlow starts its devices)."""
    from . import distribute
    if args.cpu_devices:
        distribute.split_cpu(args.cpu_devices)
    return distribute.strategy(args.strategy)


# --- train ------------------------------------------------------------------------------------------------

def cmd_train(args) -> int:
    from . import jobs
    from .training import TrainConfig
    options = ("epochs", "batch_size", "optimizer", "learning_rate", "schedule", "subset", "test_subset",
               "validation_split", "seed", "precision", "flip", "shift", "cutout")
    overrides = {k: getattr(args, k) for k in options if getattr(args, k) is not None}
    config = TrainConfig.for_preset(args.preset, **overrides)
    place = _placement(args)
    dataset = data.load()
    # every worker of a cluster trains; only the chief keeps the run, the others train into a scratch folder
    with contextlib.nullcontext(None) if place.chief else tempfile.TemporaryDirectory(prefix="cifar-demo-") as base:
        job = jobs.start(config, data=dataset, strategy=place.strategy, base=base)
        print(f"training {models.preset(args.preset).title} into {job.run.path} on {place.describe()}",
              file=sys.stderr)
        return _watch(job)


def cmd_export(args) -> int:
    copy = runs.export(runs.open_run(args.run), args.dest)
    size = sum(f.stat().st_size for f in copy.path.rglob("*") if f.is_file())
    print(f"exported {args.run} to {copy.path} ({size / 1e6:.1f} MB)")
    return 0


def cmd_resume(args) -> int:
    from . import jobs
    run = runs.open_run(args.run)
    jobs.resumable(run)  # refuse before loading the data set
    place = _placement(args)
    job = jobs.resume(run, data=data.load(), strategy=place.strategy)
    done = len(run.history())
    print(f"resuming {run.id} at epoch {done + 1} of {job.config.epochs}", file=sys.stderr)
    return _watch(job, epochs_shown=done)


def _watch(job, epochs_shown: int = 0) -> int:
    """A progress bar until the job ends (Ctrl-C stops it, keeping the model); 1 if it failed."""
    bar = ProgressBar(sys.stderr, epochs_shown)
    try:
        while job.active:
            bar.show(job.snapshot())
            time.sleep(0.5)
    except KeyboardInterrupt:
        print("\nstopping after this batch (the model trained so far is kept)…", file=sys.stderr)
        job.stop()
        job.join()
    snap = job.join()
    bar.show(snap, final=True)
    if snap.status == runs.FAILED:
        print(f"error: training failed: {snap.error}", file=sys.stderr)
        return 1
    acc = f"{snap.test_accuracy:.2%}" if snap.test_accuracy is not None else "n/a"
    print(f"{snap.status}: run {job.run.id}, {len(snap.history)} epochs, test accuracy {acc}")
    return 0


class ProgressBar:
    """One updating line on a terminal; one line per finished epoch elsewhere."""

    def __init__(self, stream, epochs_shown: int = 0):
        self.stream, self.tty, self.epochs_shown = stream, stream.isatty(), epochs_shown

    def show(self, snap, final: bool = False) -> None:
        for row in snap.history[self.epochs_shown:]:
            val = f", val accuracy {row['val_accuracy']:.2%}" if "val_accuracy" in row else ""
            self._line(f"epoch {row['epoch']}/{snap.epochs}: loss {row['loss']:.3f}, "
                       f"accuracy {row['accuracy']:.2%}{val}", newline=True)
        self.epochs_shown = max(self.epochs_shown, len(snap.history))
        if self.tty and not final and snap.steps_per_epoch:
            width = 24
            filled = int(width * snap.batch / snap.steps_per_epoch)
            last = snap.batches[-1] if snap.batches else {"loss": float("nan"), "accuracy": float("nan")}
            eta = f"ETA {_clock(snap.eta_seconds)}" if snap.eta_seconds is not None else ""
            self._line(f"epoch {snap.epoch}/{snap.epochs} [{'#' * filled}{'.' * (width - filled)}] "
                       f"{snap.batch}/{snap.steps_per_epoch} loss {last['loss']:.3f} "
                       f"acc {last['accuracy']:.2%} {snap.images_per_second:.0f} img/s {eta}")

    def _line(self, text: str, newline: bool = False) -> None:
        if self.tty:
            self.stream.write("\r\033[K" + text + ("\n" if newline else ""))
        elif newline:
            self.stream.write(text + "\n")
        self.stream.flush()


def _clock(seconds: float) -> str:
    m, s = divmod(int(seconds), 60)
    return f"{m}:{s:02d}"


# --- evaluate / predict ------------------------------------------------------------------------------------

def resolve_model(ref: str | None):
    """(label, model, run or None) for a run id, run folder, .keras file, or the shipped default."""
    if ref is None:
        run = runs.default_run()
        if run is None:
            raise runs.RunError("no model given and no default model ships in this checkout; "
                                "train one with `python -m cifar_demo train` and pass its run id")
        return run.id, run.load_model(), run
    path = Path(ref)
    if path.suffix == ".keras":
        return str(path), runs.load_model_file(path), None
    run = runs.open_run(ref)
    if not run.has_model:
        raise runs.RunError(f"run {run.id} has no saved model yet (status: {run.status})")
    return run.id, run.load_model(), run


def _looks_like_model(ref: str) -> bool:
    """Whether ref names a model: a .keras file, or a run id or folder that exists."""
    if ref.endswith(".keras"):
        return True
    try:
        runs.open_run(ref)
        return True
    except runs.RunError:
        return False


def _looks_like_image(ref: str) -> bool:
    """Whether ref names an image: a name with an image extension, or any existing file but a .keras."""
    path = Path(ref)
    return path.suffix.lower() in IMAGE_SUFFIXES or (path.is_file() and not ref.endswith(".keras"))


def _model_and_images(items: list[str]) -> tuple[str | None, list[str]]:
    """(the model named first, or None for the default; the image files) of `predict MODEL? IMAGE...`."""
    first = items[0]
    if _looks_like_image(first):  # before the run lookup: a photo is never a model, whatever folders exist
        return None, items
    if _looks_like_model(first) or len(items) > 1:
        # neither an image nor a known model, with images after it: most likely a
        # mistyped run id, which resolve_model reports as such
        return first, items[1:]
    return None, items


def cmd_evaluate(args) -> int:
    from . import evaluation
    label, model, run = resolve_model(args.model)
    dataset = data.load()
    n = args.test_subset or len(dataset.y_test)
    tta = {k: bool(run and run.config.get(k)) for k in ("tta_flip", "tta_shift")}
    ev = evaluation.evaluate(model, dataset.x_test[:n], dataset.y_test[:n], **tta)
    if run is not None and run.path != getattr(runs.default_run(), "path", None):
        run.save_evaluation(ev)
    how = evaluation.tta_label(**tta)
    print(f"{label}: test accuracy {ev.accuracy:.2%} on {n} images{f' ({how})' if how else ''}")
    print(f"{'class':<12}{'precision':>10}{'recall':>10}{'f1':>10}{'support':>9}")
    for row in ev.report():
        print(f"{row['class']:<12}{row['precision']:>10.3f}{row['recall']:>10.3f}{row['f1']:>10.3f}"
              f"{row['support']:>9}")
    pairs = ", ".join(f"{t} as {p} ({c})" for t, p, c in ev.most_confused(3))
    print(f"most confused: {pairs}")
    return 0


def cmd_predict(args) -> int:
    from . import inference
    ref, items = _model_and_images(list(args.items))
    if ref is not None and not items:
        raise ValueError("no image files given")
    label, model, _ = resolve_model(ref)
    failures, inputs, names = 0, [], []
    for name in items:
        try:
            raw = Path(name).read_bytes()
            inputs.append(inference.prepare(raw, Path(name).name)[1])
            names.append(name)
        except (ImageError, OSError) as exc:
            print(f"error: {name}: {exc}", file=sys.stderr)
            failures += 1
    if inputs:
        import numpy as np
        for name, top in zip(names, inference.top_k(model, np.stack(inputs), args.k)):
            print(f"{name}: " + ", ".join(f"{cls} {p:.1%}" for cls, p in top))
    return 1 if failures else 0


# --- listings -------------------------------------------------------------------------------------------------

def cmd_runs(args) -> int:
    found = runs.list_runs()
    if not found:
        print(f"no runs under {runs.root()} yet: start one with `python -m cifar_demo train`")
        return 0
    print(f"{'run':<36}{'status':<13}{'epochs':>8}{'best val':>10}{'test acc':>10}")
    for run in found:
        s = run.summary()
        pct = lambda v: f"{v:.2%}" if v is not None else "-"  # noqa: E731
        print(f"{s['id']:<36}{s['status']:<13}{s['epochs']:>8}{pct(s['best_val_accuracy']):>10}"
              f"{pct(s['test_accuracy']):>10}")
    return 0


def cmd_presets(args) -> int:
    for key, p in models.PRESETS.items():
        print(f"{key:<16}{p.title}: {p.about}")
    return 0
