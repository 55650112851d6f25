"""The command line, ``python -m cifar_demo COMMAND``: a user's error ends as one line on stderr, exit status 2."""
from __future__ import annotations

import argparse
import contextlib
import os
import sys
import tempfile
import threading
from pathlib import Path

from . import data, recipes, runs, steer, trainer, trainqueue, transfer
from .inference import IMAGE_SUFFIXES, ImageError
from .progress import watch
from .settings import SETTINGS, TrainConfig
from .spec import SpecError

# distribute.StrategyError is a ValueError too
USER_ERRORS = (data.DataError, runs.RunError, ImageError, SpecError, ValueError, OSError)


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # before TensorFlow loads: no start-up chatter
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
    p = argparse.ArgumentParser(prog="python -m cifar_demo", description=__doc__.splitlines()[0])
    sub = p.add_subparsers(required=True, metavar="COMMAND")

    t = sub.add_parser("train", help="train a preset and save the run under the runs folder")
    t.add_argument("--preset", default=recipes.DEFAULT_PRESET, choices=list(recipes.PRESETS))
    t.add_argument("--queue", action="store_true",
                   help="put the run in the training queue and return: a worker process trains it in turn")
    for name, setting in SETTINGS.items():
        _setting_option(t, name, setting)
    _distribution_options(t)
    t.set_defaults(func=cmd_train)

    g = sub.add_parser("resume", help="go on training a stopped or interrupted run, in its own folder")
    g.add_argument("run", help="run id from `runs`, or a run folder")
    g.add_argument("--queue", action="store_true", help="put it in the training queue and return")
    _distribution_options(g)
    g.set_defaults(func=cmd_resume)

    steer.add_commands(sub)  # stop, pause, go-on, learning-rate

    w = sub.add_parser("worker", help="train the queued runs in turn (the app starts one by itself)")
    w.set_defaults(func=cmd_worker)

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

    c = sub.add_parser("code", help="print a preset or run as a standalone Keras script (no cifar_demo needed)")
    c.add_argument("ref", metavar="PRESET_OR_RUN", help="a preset, 'default' (the shipped model), a run id or folder")
    c.set_defaults(func=cmd_code)
    ls = sub.add_parser("runs", help="list the runs with status and accuracy")
    ls.set_defaults(func=cmd_runs)

    ps = sub.add_parser("presets", help="list the network presets")
    ps.set_defaults(func=cmd_presets)
    return p


def _setting_option(p: argparse.ArgumentParser, name: str, setting) -> None:
    """One flag for one training setting, from its row of the settings table; unset, the preset's value holds."""
    flags = setting.flags or (f"--{name.replace('_', '-')}",)
    help = setting.help.rstrip(".") + (f" ({setting.unit})" if setting.unit else "")
    if setting.low is not None and setting.high is not None:
        help += f"; {setting.low:g} to {setting.high:g}"
    elif setting.low is not None:
        help += f"; {'above' if setting.low_open else 'at least'} {setting.low:g}"
    if setting.optional:
        help += "; 0 or 'all': all of them"
    common = {"dest": name, "default": None, "help": help}
    if setting.kind is bool:
        p.add_argument(*flags, action=argparse.BooleanOptionalAction, **common)
    elif setting.options and not setting.suggested:
        p.add_argument(*flags, choices=setting.options, **common)
    else:
        kind = _count if setting.optional else setting.kind
        p.add_argument(*flags, type=kind, metavar=name.upper(), **common)


def _count(text: str) -> int | None:
    """A number of images, where 0 or 'all' mean all of them (None)."""
    return None if text in ("0", "all") else int(text)


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
    overrides = {k: getattr(args, k) for k in SETTINGS if getattr(args, k) is not None}
    config = TrainConfig.for_preset(args.preset, **overrides)
    if args.queue:
        run = trainqueue.enqueue(config)
        print(f"queued run {run.id}: place {trainqueue.place(run)} in the queue "
              f"(watch it in the app, or `runs`; stop it with `stop {run.id}`)")
        return 0
    place = _placement(args)
    dataset = data.load()
    # every worker of a cluster trains; only the chief keeps the run, the others train into a scratch folder
    with contextlib.nullcontext(None) if place.chief else tempfile.TemporaryDirectory(prefix="cifar-demo-") as base:
        run = runs.create(config.to_dict(), base=base)
        print(f"training {recipes.preset(args.preset).title} into {run.path} on {place.describe()}", file=sys.stderr)
        return watch(run, _in_thread(config, run, data=dataset, strategy=place.strategy))


def _in_thread(config: TrainConfig, run: runs.Run, **options) -> threading.Thread:
    """The training in a thread of this process, so that this one can show its progress and catch Ctrl-C."""
    thread = threading.Thread(target=trainer.train, args=(config, run), kwargs=options, name=f"train-{run.id}",
                              daemon=True)
    thread.start()
    return thread


def cmd_export(args) -> int:
    copy = transfer.export(runs.open_run(args.run), args.dest)
    size = sum(f.stat().st_size for f in copy.path.rglob("*") if f.is_file())
    print(f"exported {args.run} to {copy.path} ({size / 1e6:.1f} MB)")
    return 0


def cmd_resume(args) -> int:
    run = runs.open_run(args.run)
    config = trainer.resumable(run)  # refuse before loading the data set
    if args.queue:
        trainqueue.enqueue_resume(run)
        print(f"queued run {run.id} to resume: place {trainqueue.place(run)} in the queue")
        return 0
    place = _placement(args)
    dataset = data.load()
    done = len(run.history())
    print(f"resuming {run.id} at epoch {done + 1} of {config.epochs}", file=sys.stderr)
    return watch(run, _in_thread(config, run, data=dataset, strategy=place.strategy, resume=True), epochs_shown=done)


def cmd_worker(args) -> int:
    done = trainqueue.work(on_start=lambda run: print(f"training queued run {run.id}", flush=True))
    print(f"the queue is empty or another worker has it: trained {done} run{'s' * (done != 1)}")
    return 0


# --- evaluate / predict ------------------------------------------------------------------------------------

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
    label, model, run = transfer.open_model(args.model)
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
    label, model, _ = transfer.open_model(ref)
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


def cmd_code(args) -> int:
    from . import codegen
    return print(codegen.script(codegen.resolve(args.ref)), end="") or 0


# --- listings -------------------------------------------------------------------------------------------------

def cmd_runs(args) -> int:
    found = runs.list_runs()
    if not found:
        print(f"no runs under {runs.root()} yet: start one with `python -m cifar_demo train`")
        return 0
    line = {run.id: n for n, run in enumerate(trainqueue.queued(), start=1)}
    print(f"{'run':<36}{'status':<13}{'epochs':>8}{'best val':>10}{'test acc':>10}")
    for run in found:
        s = run.summary()
        status = f"queued #{line[run.id]}" if run.id in line else s["status"]
        print(f"{s['id']:<36}{status:<13}{s['epochs']:>8}{_percent(s['best_val_accuracy']):>10}"
              f"{_percent(s['test_accuracy']):>10}")
    return 0


def _percent(share: float | None) -> str:
    return f"{share:.2%}" if share is not None else "-"


def cmd_presets(args) -> int:
    for key, p in recipes.PRESETS.items():
        print(f"{key:<16}{p.title}: {p.about}")
    return 0
