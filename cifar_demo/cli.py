"""The command line, ``python -m cifar_demo COMMAND``: a user's error ends as one line on stderr, exit status 2."""
from __future__ import annotations

import argparse
import contextlib
import os
import sys
import tempfile
from pathlib import Path

from . import data, recipes, runs
from .inference import ImageError
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
    for name, setting in SETTINGS.items():
        _setting_option(t, name, setting)
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
    from . import jobs
    overrides = {k: getattr(args, k) for k in SETTINGS if getattr(args, k) is not None}
    config = TrainConfig.for_preset(args.preset, **overrides)
    place = _placement(args)
    dataset = data.load()
    # every worker of a cluster trains; only the chief keeps the run, the others train into a scratch folder
    with contextlib.nullcontext(None) if place.chief else tempfile.TemporaryDirectory(prefix="cifar-demo-") as base:
        job = jobs.start(config, data=dataset, strategy=place.strategy, base=base)
        print(f"training {recipes.preset(args.preset).title} into {job.run.path} on {place.describe()}",
              file=sys.stderr)
        return watch(job)


def cmd_export(args) -> int:
    from . import transfer
    copy = transfer.export(runs.open_run(args.run), args.dest)
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
    return watch(job, epochs_shown=done)


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
    if ref.endswith(".keras"):
        return True
    try:
        runs.open_run(ref)
        return True
    except runs.RunError:
        return False


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
    items = list(args.items)
    ref = items.pop(0) if len(items) > 1 or _looks_like_model(items[0]) else None
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


def cmd_code(args) -> int:
    from . import codegen
    return print(codegen.script(codegen.resolve(args.ref)), end="") or 0


# --- listings -------------------------------------------------------------------------------------------------

def cmd_runs(args) -> int:
    found = runs.list_runs()
    if not found:
        print(f"no runs under {runs.root()} yet: start one with `python -m cifar_demo train`")
        return 0
    print(f"{'run':<36}{'status':<13}{'epochs':>8}{'best val':>10}{'test acc':>10}")
    for run in found:
        s = run.summary()
        print(f"{s['id']:<36}{s['status']:<13}{s['epochs']:>8}{_percent(s['best_val_accuracy']):>10}"
              f"{_percent(s['test_accuracy']):>10}")
    return 0


def _percent(share: float | None) -> str:
    return f"{share:.2%}" if share is not None else "-"


def cmd_presets(args) -> int:
    for key, p in recipes.PRESETS.items():
        print(f"{key:<16}{p.title}: {p.about}")
    return 0
