"""True to the tutorials: each tutorial the presets rebuild, as its own plain-Keras script, beside its preset.

usage: CIFAR10_PATH=../shared/data/cifar-10-python.tar.gz python benchmarks/bench_tutorial_twins.py
           [--tutorials keras_tutorial tf_tutorial all_conv two_block] [--repeats 2]
           [--precisions auto float32] [--subset N] [--epochs N] [--seed 0] [--set KEY=VALUE ...]
           [--markdown tutorial_twins.md] [--json tutorial_twins.json]

For each tutorial, each repeat trains its plain-Keras script
(benchmarks/tutorials/, in a process of its own, so it shares nothing with the
app) and the preset through trainer.train (the app's own training path, with
the tutorial's settings from recipes.py), once per ``--precisions``. The
scripts compute in float32, as the tutorials do. The preset trains as the app
does by default, "auto" (mixed bfloat16 on a CPU with bfloat16 instructions),
and in float32: float32 against float32 compares the two training paths alone;
auto against the script is what a learner of the app gets. Repeat r seeds both
sides with ``--seed`` + r: the preset's whole run, the script's starting
weights only, so that its images come in a new order each epoch as in the
tutorial (``harness.seed_weights`` says why). Even repeats train the script
first and odd ones last, so that a slow spell of this shared machine does not
fall on one side only.

Both sides test once on all 10,000 test images, one view each: the script with
``model.evaluate``, the preset as the app tests it at the end of a run,
without test-time augmentation (these presets have none; it is set off here so
that it stays so) and on the whole test set. Both train their tutorial's epochs
on the 50,000 training images less their held-out share: the script holds out
the last images (Keras's ``validation_split``; the TF tutorial holds out
nothing and validates on the test set), the preset a share drawn by its seed.
``--subset N`` and ``--epochs N`` cut both sides for a quick check (the script
takes its first N images, the preset N drawn by the seed). ``--set KEY=VALUE``
changes a setting of every preset (e.g. ``validation_split=0``), to test what
explains a gap. Seconds are those of training alone (``fit``, with its
per-epoch validation; the preset's also save the model after each epoch).

The figures go to a Markdown table and a JSON file, rewritten after every
training; the machine (lscpu's CPU model and bfloat16 flags) heads both.
"""
import argparse
import json
import os
import shlex
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from cifar_demo import data, runs, settings, trainer

SCRIPTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "tutorials")
# the test accuracy each tutorial reports, as its preset's description in recipes.py quotes it
PUBLISHED = {"keras_tutorial": "75%", "tf_tutorial": "about 72% (its text: over 70%)", "all_conv": "73.05%",
             "two_block": "none published"}
PLAIN = ("plain", "float32")


def machine() -> dict:
    """The CPU as lscpu names it, its bfloat16 flags, its cores, and what precision "auto" picks on it."""
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        out = ""
    fields = {k.strip(): v.strip() for k, _, v in (line.partition(":") for line in out.splitlines())}
    return {"cpu": fields.get("Model name", "unknown (no lscpu)"),
            "bf16_flags": [f for f in fields.get("Flags", "").split() if "bf16" in f],
            "cores": os.cpu_count(), "auto_precision": settings.resolve_precision("auto")}


def describe(box: dict) -> str:
    return (f"{box['cpu']}, {box['cores']} cores; lscpu bfloat16 flags: {' '.join(box['bf16_flags']) or 'none'}; "
            f"\"auto\" precision here: {box['auto_precision']}")


def train_plain(key: str, seed: int, args) -> dict:
    """Run the tutorial's script in a process of its own, echoing its lines; the figures of its JSON line."""
    command = [sys.executable, os.path.join(SCRIPTS, f"{key}.py"), "--seed", str(seed)]
    if args.epochs:
        command += ["--epochs", str(args.epochs)]
    if args.subset:
        command += ["--subset", str(args.subset)]
    started = time.perf_counter()
    child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines = []
    for line in child.stdout:
        print(f"    {line.rstrip()}", flush=True)
        lines.append(line)
    if child.wait():
        sys.exit(f"{key}.py failed (exit status {child.returncode}); its output is above")
    figures = json.loads(next(line for line in reversed(lines) if line.startswith("{")))
    return {"test_accuracy": figures["test_accuracy"], "train_seconds": figures["train_seconds"],
            "epochs": figures["epochs"], "images": figures["images"],
            "wall_seconds": round(time.perf_counter() - started, 1)}


def train_preset(key: str, seed: int, precision: str, dataset, args) -> dict:
    """Train the preset through trainer.train, in this process, as the app does; its figures."""
    import keras
    overrides = {**args.set, "seed": seed, "precision": precision, "tta_flip": False, "tta_shift": False,
                 "test_subset": None}
    overrides.update({k: v for k, v in (("epochs", args.epochs), ("subset", args.subset)) if v})
    config = settings.TrainConfig.for_preset(key, **overrides)

    def echo(event):
        if event["event"] == "epoch":
            print(f"    epoch {event['epoch']}/{config.epochs}: accuracy {event['accuracy']:.4f}, "
                  f"held-out accuracy {event.get('val_accuracy', float('nan')):.4f}", flush=True)

    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as folder:
        run = runs.create(config.to_dict(), base=folder)
        result = trainer.train(config, run, data=dataset, listener=echo)
        status = run.status_record()
    keras.backend.clear_session()
    if result["status"] != runs.FINISHED:
        sys.exit(f"preset {key} did not finish: {result['status']} {result.get('error') or ''}")
    print(f"    test accuracy {result['test_accuracy']:.4f}", flush=True)
    return {"test_accuracy": result["test_accuracy"], "train_seconds": round(status["train_seconds"], 1),
            "epochs": status["epochs_done"], "images": config.subset or len(dataset.y_train),
            "wall_seconds": round(time.perf_counter() - started, 1)}


def cell(rows: list[dict]) -> str:
    """'70.12, 70.55 (mean 70.34)': test accuracies in %, per repeat, then their mean."""
    if not rows:
        return "-"
    values = [100 * r["test_accuracy"] for r in rows]
    each = ", ".join(f"{v:.2f}" for v in values)
    return each if len(values) == 1 else f"{each} (mean {sum(values) / len(values):.2f})"


def mean(rows: list[dict], field: str) -> float:
    return sum(r[field] for r in rows) / len(rows)


def table(results: list[dict], box: dict, args) -> str:
    """The Markdown table: one row per tutorial, its published figure, each side's accuracies and seconds."""
    sides = [PLAIN] + [("preset", p) for p in args.precisions]
    names = {p: f"{p} ({settings.resolve_precision(p)})" if p == "auto" else p for p in args.precisions}
    head = (["tutorial", "published", "plain Keras, float32 (%)"] + [f"preset, {names[p]} (%)" for p in args.precisions]
            + [f"preset {names[p]} − plain (points)" for p in args.precisions]
            + ["train seconds, mean: " + " / ".join(["plain"] + [f"preset {p}" for p in args.precisions])])
    lines = [f"Machine: {describe(box)}.", "",
             f"`{args.command}` ({time.strftime('%Y-%m-%d %H:%M')}; seeds {args.seed}..{args.seed + args.repeats - 1}"
             f"{'; preset settings ' + json.dumps(args.set) if args.set else ''}). Test accuracy on all 10,000 test "
             f"images, one view, per repeat, then the mean.", "",
             "| " + " | ".join(head) + " |", "|" + " --- |" * len(head)]
    notes = []
    for key in args.tutorials:
        by_side = {s: [r for r in results if r["tutorial"] == key and (r["side"], r["precision"]) == s] for s in sides}
        if not by_side[PLAIN]:
            continue
        gaps = [f"{mean(by_side[s], 'test_accuracy') * 100 - mean(by_side[PLAIN], 'test_accuracy') * 100:+.2f}"
                if by_side[s] else "-" for s in sides[1:]]
        seconds = " / ".join(f"{mean(by_side[s], 'train_seconds'):.0f}" if by_side[s] else "-" for s in sides)
        lines.append("| " + " | ".join([f"`{key}`", PUBLISHED[key], *(cell(by_side[s]) for s in sides), *gaps,
                                        seconds]) + " |")
        shapes = {(r["epochs"], r["images"]) for s in sides for r in by_side[s]}
        if len(shapes) > 1:
            notes.append(f"`{key}`: the sides trained different (epochs, images): {sorted(shapes)}")
    return "\n".join(lines + [""] + [f"- {n}" for n in notes]) + "\n"


def save(results: list[dict], box: dict, args) -> None:
    with open(args.json, "w") as f:
        json.dump({"machine": box, "command": args.command, "runs": results}, f, indent=1)
    with open(args.markdown, "w") as f:
        f.write(table(results, box, args))


def setting(item: str) -> tuple:
    """'validation_split=0' -> ('validation_split', 0): the value read as JSON, else kept as text."""
    key, _, value = item.partition("=")
    if key not in settings.SETTINGS:
        raise argparse.ArgumentTypeError(f"{key!r} is not a training setting (see cifar_demo/settings.py)")
    try:
        return key, json.loads(value)
    except json.JSONDecodeError:
        return key, value


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--tutorials", nargs="+", choices=list(PUBLISHED), default=list(PUBLISHED))
    p.add_argument("--repeats", type=int, default=2, help="side-by-side trainings of each tutorial (default 2)")
    p.add_argument("--precisions", nargs="+", choices=("auto", "float32", "mixed_bfloat16"),
                   default=["auto", "float32"], help="the preset's, one training each (the script's: float32)")
    p.add_argument("--subset", type=int, help="train both sides on N training images (default: all)")
    p.add_argument("--epochs", type=int, help="train both sides this many epochs (default: the tutorial's)")
    p.add_argument("--seed", type=int, default=0, help="seed of the first repeat; repeat r: seed + r")
    p.add_argument("--set", nargs="*", type=setting, default=[], metavar="KEY=VALUE",
                   help="change a setting of every preset, e.g. validation_split=0")
    p.add_argument("--markdown", default="tutorial_twins.md", help="the table (default tutorial_twins.md)")
    p.add_argument("--json", default="tutorial_twins.json", help="every training's figures")
    args = p.parse_args()
    args.set, args.command = dict(args.set), shlex.join(["python", *sys.argv])
    if not os.path.isfile(os.environ.get("CIFAR10_PATH", "")):
        sys.exit("set CIFAR10_PATH to cifar-10-python.tar.gz: the scripts read that archive, and the presets "
                 "then read the same copy")
    box = machine()
    print(f"CPU: {describe(box)}", flush=True)
    dataset = data.load()
    results = []
    for key in args.tutorials:
        for repeat in range(args.repeats):
            seed = args.seed + repeat
            sides = [PLAIN] + [("preset", precision) for precision in args.precisions]
            for position, (side, precision) in enumerate(sides if repeat % 2 == 0 else sides[::-1], 1):
                print(f"\n{key}, repeat {repeat + 1}/{args.repeats} (seed {seed}), {position}. {side}, {precision}",
                      flush=True)
                figures = (train_plain(key, seed, args) if side == "plain"
                           else train_preset(key, seed, precision, dataset, args))
                results.append({"tutorial": key, "side": side, "precision": precision,
                                "computes_in": settings.resolve_precision(precision), "repeat": repeat + 1,
                                "seed": seed, "position": position, **figures})
                save(results, box, args)
    print("\n" + table(results, box, args))
    print(f"written: {args.markdown}, {args.json}")


if __name__ == "__main__":
    main()
