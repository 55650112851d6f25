"""Show me the code: any preset or run as one standalone Keras script a learner can take to a notebook.

``script(config)`` writes the network as ``keras.Sequential`` layers in the tutorials' style, with
the run's optimizer, learning-rate schedule, augmentation, training loop and data loading; the
script imports nothing of cifar_demo. ``resolve(ref)`` finds what to write for a preset key, a
run id or folder, or "default" (the shipped model). The fixed pieces are in ``script_parts``.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

from . import runs, script_parts
from .recipes import BN_EPSILON, BN_MOMENTUM, MUON_LR_RATIO, PRESETS, SGD_MOMENTUM, WHITEN_EPS, WHITEN_IMAGES
from .settings import TrainConfig
from .spec import check_layer


class CodeError(ValueError):
    """A run that has no recipe to write out (an imported model, a baseline); the message says why."""


@dataclass(frozen=True)
class Source:
    """What a script is written for: a preset or a run, with the name people know it by."""
    config: TrainConfig
    title: str            # 'the "fast" preset (Fast CPU net (airbench-style))' or 'run 2026...-fast'
    file_name: str        # a name to save the script as, e.g. "fast_cifar10.py"
    accuracy: float | None = None  # the test accuracy the run reached, when it is a run


def resolve(ref: str) -> Source:
    """A preset key, "default" (the model that ships with the app), or a run id or folder."""
    if ref in PRESETS:
        return Source(TrainConfig.for_preset(ref), f'the "{ref}" preset ({PRESETS[ref].title})',
                      f"{ref}_cifar10.py")
    run = runs.default_run() if ref == "default" else runs.open_run(ref)
    if run is None:
        raise runs.RunError("no default model ships in this checkout")
    return for_run(run, name="the model that ships with the app" if ref == "default" else None)


def for_run(run: runs.Run, *, name: str | None = None) -> Source:
    """The Source of a run trained by cifar-demo; CodeError for an imported model or a baseline."""
    config = run.config
    if config.get("preset") == "imported" or not config.get("spec"):
        raise CodeError(f"run {run.id} was not trained here (it is {config.get('architecture') or 'not a network'}),"
                        " so there is no training recipe to write out")
    slug = re.sub(r"[^A-Za-z0-9_]+", "_", run.id).strip("_")
    return Source(TrainConfig.from_dict(config), name or f"run {run.id}", f"{slug}_cifar10.py",
                  run.test_accuracy())


# --- the network ----------------------------------------------------------------------------------------

def _number(x: float) -> str:
    """0.1111 -> '1 / 9' where a small fraction is exact; otherwise Python's shortest form."""
    f = Fraction(x).limit_denominator(100)
    if f.denominator > 1 and abs(float(f) - x) < 1e-12 and f.numerator == 1:
        return f"1 / {f.denominator}"
    return repr(x)


def _args(*positional, **keywords) -> str:
    """'64, 3, padding="same"': the arguments as source, keywords left out when None, strings in double quotes."""
    def text(v):
        return f'"{v}"' if isinstance(v, str) else repr(v)
    return ", ".join([text(p) for p in positional] + [f"{k}={text(v)}" for k, v in keywords.items() if v is not None])


def layer_lines(spec) -> list[str]:
    """The Keras layers of a spec, one source line each (a block gives a comment and seven)."""
    lines, block = [], 0
    for i, layer in enumerate(spec):
        full, kind = check_layer(i, layer), layer["type"]
        if kind == "block":
            block += 1
            lines += _block_lines(block, full)
        else:
            lines.append(_one_line(kind, full))
    return lines


def _one_line(kind: str, full: dict) -> str:
    if kind == "conv":
        return "layers.Conv2D(" + _args(full["filters"], full["kernel"], strides=full["stride"] if
                                        full["stride"] != 1 else None, padding=full["padding"],
                                        activation=full["activation"],
                                        use_bias=False if not full.get("use_bias", True) else None) + "),"
    if kind == "pool":
        return f"layers.{'MaxPooling2D' if full['kind'] == 'max' else 'AveragePooling2D'}({full['size']}),"
    if kind == "dense":
        activation = None if full["activation"] == "linear" else full["activation"]
        return "layers.Dense(" + _args(full["units"], activation=activation,
                                       use_bias=False if not full.get("use_bias", True) else None) + "),"
    if kind == "scale":
        return f"layers.Rescaling({_number(full['factor'])}),  # multiplies every score: tempers overconfidence"
    if kind == "whiten":
        k = full["kernel"]
        return (f'layers.Conv2D({2 * 3 * k * k}, {k}, trainable=False, name="whiten"),'
                f"  # frozen: fitted to {k}x{k} patches below")
    simple = {"batchnorm": "layers.BatchNormalization(),", "flatten": "layers.Flatten(),",
              "gap": "layers.GlobalAveragePooling2D(),",
              "dropout": f"layers.Dropout({full.get('rate')}),",
              "activation": f'layers.Activation("{full.get("fn")}"),'}
    return simple[kind]


def _block_lines(n: int, full: dict) -> list[str]:
    f, act = full["filters"], full["activation"]
    norm = f"momentum={BN_MOMENTUM}, epsilon={BN_EPSILON}"
    return [f"# conv block {n}: {f} filters",
            f'layers.Conv2D({f}, 3, padding="same", use_bias=False, name="block{n}_conv1"),',
            "layers.MaxPooling2D(2),",
            f"layers.BatchNormalization({norm}),",
            f'layers.Activation("{act}"),',
            f'layers.Conv2D({f}, 3, padding="same", use_bias=False, name="block{n}_conv2"),',
            f"layers.BatchNormalization({norm}),",
            f'layers.Activation("{act}"),']


def _build_model(spec) -> str:
    body = "\n".join(f"        {line}" for line in layer_lines(spec))
    return ('\n\ndef build_model():\n'
            '    """The network: 32x32 RGB pixels scaled to 0..1 in, 10 class probabilities out."""\n'
            f'    return keras.Sequential([\n        keras.Input(shape=(32, 32, 3)),\n{body}\n    ], name="cnn")\n')


# --- the settings and the training ----------------------------------------------------------------------

def _settings(c: TrainConfig) -> str:
    names = {"constant": "constant", "cosine": "cosine decay", "step": "divided by 10 at 50% and 75% of the steps",
             "warmup_linear": "a linear climb from 0, then a linear fall to 0"}
    return f'''
# --- the settings of this run ---------------------------------------------------------------------
EPOCHS = {c.epochs}  # passes over the training images
BATCH_SIZE = {c.batch_size}  # images per weight update
LEARNING_RATE = {c.learning_rate!r}  # the peak step size; schedule: {names[c.schedule]}
WARMUP_EPOCHS = {c.warmup_epochs!r}  # epochs of climb from 0 to the peak, where the schedule has one
WEIGHT_DECAY = {c.weight_decay!r}  # shrinks every weight a little at each update, times the learning rate
LABEL_SMOOTHING = {c.label_smoothing!r}  # share of each target spread over all 10 classes
SUBSET = {c.subset!r}  # training images to use (None: all 50,000)
VALIDATION_SPLIT = {c.validation_split!r}  # share of them held out to check the network after each epoch
FLIP, SHIFT, CUTOUT = {c.flip}, {c.shift}, {c.cutout}  # augmentation: mirror; move up to SHIFT px; grey square
TEST_FLIP, TEST_SHIFT = {c.tta_flip}, {c.tta_shift}  # test-time averaging over mirrored and shifted copies
TEST_SUBSET = {c.test_subset!r}  # test images to use (None: all 10,000)
SEED = {c.seed}
'''


def _augment(c: TrainConfig) -> str:
    steps = ([script_parts.FLIP] if c.flip else []) + ([script_parts.SHIFT] if c.shift else []) \
        + ([script_parts.CUTOUT] if c.cutout else [])
    calls = (["    images = flip(generator, images)"] if c.flip else []) \
        + (["    images = shift(generator, images, SHIFT)"] if c.shift else []) \
        + (["    images = cutout(generator, images, CUTOUT)"] if c.cutout else [])
    body = "\n".join(calls + ["    return images"]) if calls else \
        "    return images  # this run trained without augmentation"
    return "".join(steps) + ('\n\ndef augment(generator, images):\n    """Random changes to a uint8 batch '
                             '(B, 32, 32, 3), new ones each time it is seen."""\n' + body + "\n")


def schedule_of(c: TrainConfig) -> str:
    """The script's learning-rate expression (it may use ``args.epochs`` and ``steps``, the updates per epoch)."""
    total, warm = "args.epochs * steps", "WARMUP_EPOCHS * steps"
    if c.schedule == "warmup_linear":
        return f"WarmupLinear(LEARNING_RATE, {warm}, {total})"
    if c.schedule == "step":
        return (f"keras.optimizers.schedules.PiecewiseConstantDecay([{total} // 2, 3 * {total} // 4], "
                "[LEARNING_RATE, LEARNING_RATE / 10, LEARNING_RATE / 100])")
    if c.schedule == "cosine" and c.warmup_epochs:
        return (f"keras.optimizers.schedules.CosineDecay(0.0, max({total} - int({warm}), 1), "
                f"warmup_target=LEARNING_RATE, warmup_steps=int({warm}))")
    if c.schedule == "cosine":
        return f"keras.optimizers.schedules.CosineDecay(LEARNING_RATE, {total})"
    return "LEARNING_RATE"


def _optimizer(c: TrainConfig) -> str:
    wd = ", weight_decay=WEIGHT_DECAY" if c.weight_decay else ""
    if c.optimizer == "adam":
        return f"keras.optimizers.Adam(learning_rate=schedule{wd})"
    if c.optimizer == "adamw":
        return f"keras.optimizers.AdamW(learning_rate=schedule{wd or ', weight_decay=0.004'})"
    if c.optimizer == "muon":
        return f"MuonSGD(muon_ratio={MUON_LR_RATIO}, learning_rate=schedule, momentum={SGD_MOMENTUM}{wd})"
    nesterov = ", nesterov=True" if c.optimizer == "nesterov" else ""
    return f"keras.optimizers.SGD(learning_rate=schedule, momentum={SGD_MOMENTUM}{nesterov}{wd})"


def _muon() -> str:
    """The app's own Muon optimizer (muon.py, which imports nothing of cifar_demo), as the script's."""
    source = (Path(__file__).with_name("muon.py")).read_text()
    # registered under a package of its own: in one process (a notebook, the tests) it does not stand in
    # for the app's class when a model file names that one
    return "\n\n" + source[source.index("def newton_schulz"):].replace("ops.", "keras.ops.").replace(
        'register_keras_serializable(package="muon")', 'register_keras_serializable(package="script")')


def _prepare(c: TrainConfig) -> str:
    """What main() does between building the model and compiling it: the airbench starts."""
    lines = []
    if any(layer["type"] == "whiten" for layer in c.spec):
        lines += ["    sample = np.sort(np.random.default_rng(SEED).permutation(len(train))[:WHITEN_IMAGES])",
                  '    fit_whitening(model.get_layer("whiten"), x_train[train][sample].astype("float32") / 255.0)']
    if c.identity_start and any(layer["type"] == "block" for layer in c.spec):
        lines.append("    start_as_identity(model)")
    return "".join(line + "\n" for line in lines)


def _header(source: Source) -> str:
    reached = f"In cifar-demo it reached {source.accuracy:.2%} test accuracy.\n" if source.accuracy is not None else ""
    return (f'"""CIFAR-10 with Keras: {source.title}, written out by cifar-demo as one script.\n\n'
            f"The network, optimizer, learning-rate schedule, augmentation and training of that run.\n{reached}"
            "Take it to a notebook, or run it (add --epochs 1 --subset 2000 for a quick try):\n"
            f"    python {source.file_name}\n"
            "The data comes from keras.datasets.cifar10.load_data(), or from the official\n"
            "cifar-10-python.tar.gz (or its unpacked folder) named by the environment variable CIFAR10_PATH.\n"
            "It trains in float32; cifar-demo used bfloat16 where the processor has it (as accurate, faster).\n"
            '"""\n')


def _main(c: TrainConfig) -> str:
    steps = c.schedule != "constant" or c.lookahead
    return script_parts.MAIN.format(
        prepare=_prepare(c), schedule=schedule_of(c), optimizer=_optimizer(c),
        steps="    steps = max(len(train) // BATCH_SIZE, 1)  # weight updates per epoch\n" if steps else "",
        callbacks=",\n              callbacks=[Lookahead(args.epochs * steps)]" if c.lookahead else "")


def script(source: Source) -> str:
    """The whole standalone script for a preset or run, as text."""
    c = source.config
    whiten = any(layer["type"] == "whiten" for layer in c.spec)
    blocks = c.identity_start and any(layer["type"] == "block" for layer in c.spec)
    constants = _settings(c)
    if whiten:
        constants += (f"WHITEN_IMAGES, WHITEN_EPS = {WHITEN_IMAGES}, {WHITEN_EPS!r}"
                      "  # the whitening's images, and what it adds to each variance\n")
    optional = [(whiten, script_parts.WHITEN), (blocks, script_parts.IDENTITY),
                (c.schedule == "warmup_linear", script_parts.WARMUP_LINEAR), (c.lookahead, script_parts.LOOKAHEAD),
                (c.optimizer == "muon", _muon())]
    return "".join([_header(source), script_parts.IMPORTS, constants, "\n", script_parts.DATA, _augment(c),
                    script_parts.DATASET, _build_model(c.spec), *(text for wanted, text in optional if wanted),
                    script_parts.PREDICT, _main(c)])


def parameter_count(spec) -> int:
    """The parameters of a spec's network (the script builds the same); SpecError if it cannot build."""
    from . import models
    return sum(row.params for row in models.summarize(spec))
