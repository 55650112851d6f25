"""Every training setting in one table: its bounds, unit and meaning, and the run configuration built on it.

Each field of ``TrainConfig`` that a person sets is declared with ``setting(...)``,
which keeps, beside its default, what the setting means and which values it may
take. ``SETTINGS`` is that table. The config check below, the command line's
flags and help (cli.py) and the Train page's widgets and tooltips all read it,
so a new setting (an augmentation, say) is one line here and shows up in all three.
"""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field

from .recipes import DEFAULT_PRESET, preset

# the sections of the Train page a setting belongs to
OPTIMISATION, DATA, AUGMENTATION, REGULARISATION, TESTING = (
    "optimisation", "data", "augmentation", "regularisation", "testing")


@dataclass(frozen=True)
class Setting:
    """What one training setting means and which values it may take."""
    label: str                 # its name for people: the widget's label, the words in messages
    help: str                  # a sentence or two on what it does
    section: str               # where the Train page shows it: one of the sections above
    kind: type = float         # int, float, bool or str
    unit: str = ""             # of its values, e.g. "pixels"
    low: float | None = None   # the smallest value allowed (None: no bound)
    high: float | None = None  # the largest value allowed (None: no bound)
    low_open: bool = False     # True: ``low`` itself is not allowed (a learning rate must be above 0)
    options: tuple = ()        # the only values allowed (a choice), or with ``suggested``, the ones offered
    suggested: bool = False    # True: ``options`` are picks for a select box; any value within bounds is valid
    names: dict | None = None  # option -> how people call it
    optional: bool = False     # None is allowed too, meaning "all" (of the images)
    step: float | None = None  # a widget's step
    slider: bool = False       # shown as a slider rather than a number box
    flags: tuple = ()          # the command line's flags (default: --the-name)
    advanced: bool = False     # True: a detail for later lessons, hidden in presenter mode (it keeps its value)
    name: str = ""             # the TrainConfig field, filled in by SETTINGS

    def problem(self, value) -> str | None:
        """Why ``value`` is not allowed, in words, or None when it is."""
        label, unit = self.label.lower(), f" {self.unit}" if self.unit else ""
        if (value is None and self.optional) or self.kind is bool:
            return None
        if self.options and not self.suggested:
            return None if value in self.options else f"{label} is one of {', '.join(self.options)}"
        if not (isinstance(value, (int, float)) and math.isfinite(value)):
            return f"{label} must be a number"
        if self.low is not None and (value <= self.low if self.low_open else value < self.low):
            return f"{label} must be {'above' if self.low_open else 'at least'} {self.low:g}{unit}"
        if self.high is not None and value > self.high:
            return f"{label} must be at most {self.high:g}{unit}"
        return None

    def title(self) -> str:
        """The label with its unit, for a widget: 'Random shift (pixels)'."""
        return f"{self.label} ({self.unit})" if self.unit else self.label


def setting(default, label: str, help: str, section: str, **about):
    """A TrainConfig field with its default and its row of the settings table."""
    about.setdefault("kind", type(default) if default is not None else int)
    return field(default=default, metadata={"setting": Setting(label, help, section, **about)})


@dataclass(frozen=True)
class TrainConfig:
    """Everything a run needs, so that it can be replayed from its config.json."""
    preset: str = DEFAULT_PRESET     # the preset the spec came from; "custom" once edited
    spec: tuple = ()                 # the architecture: a tuple of layer dicts (see spec.py); () = the preset's
    epochs: int = setting(8, "Epochs", "How many times training goes through all its images.", OPTIMISATION,
                          low=1, high=200)
    batch_size: int = setting(256, "Batch size", "How many images the network sees before each update of its "
                              "weights.", OPTIMISATION, low=1, high=4096,
                              options=(16, 32, 64, 100, 128, 256, 512), suggested=True)
    optimizer: str = setting("adam", "Optimizer", "How the weights are updated from the gradients: Adam adapts a "
                             "step size per weight; SGD follows the gradient with momentum 0.9 (Nesterov: looking "
                             "one step ahead); AdamW is Adam with weight decay kept apart; Muon makes each "
                             "convolution's update the same size in every direction (the other weights take "
                             "Nesterov SGD steps).", OPTIMISATION,
                             options=("adam", "adamw", "sgd", "nesterov", "muon"),
                             names={"adam": "Adam", "adamw": "AdamW", "sgd": "SGD with momentum",
                                    "nesterov": "SGD with Nesterov momentum",
                                    "muon": "Muon + Nesterov SGD"})
    learning_rate: float = setting(1e-3, "Learning rate", "How big a step each update takes, at its peak "
                                   "(per batch, whatever the batch size).", OPTIMISATION, low=0, low_open=True,
                                   step=1e-4, flags=("--lr", "--learning-rate"))
    schedule: str = setting("constant", "Schedule", "How the learning rate changes while training.", OPTIMISATION,
                            options=("constant", "cosine", "warmup_linear", "step"),
                            names={"constant": "constant", "cosine": "cosine decay",
                                   "warmup_linear": "warm-up, then linear decay", "step": "steps: ÷10 at 50% and 75%"})
    warmup_epochs: float = setting(0.0, "Warm-up", "For cosine decay and warm-up schedules: how long the "
                                   "learning rate climbs from 0 to its peak.", OPTIMISATION, unit="epochs",
                                   low=0, high=50, step=0.25, advanced=True)
    subset: int | None = setting(None, "Training images", "Train on this many of the 50,000 training images: "
                                 "fewer train faster and learn less.", DATA, low=10, high=50_000,
                                 options=(500, 2_000, 10_000, None), suggested=True, optional=True)
    validation_split: float = setting(0.1, "Validation split", "The share of the training images held out to "
                                      "check the network after each epoch, on images it does not learn from.", DATA,
                                      low=0, high=0.5, step=0.05, slider=True)
    flip: bool = setting(False, "Random flip left-right", "Mirror half the training images at random, each time "
                         "they are seen.", AUGMENTATION)
    shift: int = setting(0, "Random shift", "Move each training image a random amount, up to this far each way, "
                         "filling the edge by reflection.", AUGMENTATION, unit="pixels", low=0, high=8, slider=True)
    cutout: int = setting(0, "Cutout square", "Grey out a random square this many pixels a side in each "
                          "training image, so the network learns from parts too.", AUGMENTATION,
                          unit="pixels a side", low=0, high=16, slider=True, advanced=True)
    label_smoothing: float = setting(0.0, "Label smoothing", "Take this share of each image's target from its "
                                     "class and spread it over all 10: the network learns to be less "
                                     "overconfident.", REGULARISATION, low=0, high=0.5, step=0.05,
                                     slider=True, advanced=True)
    weight_decay: float = setting(0.0, "Weight decay", "Shrink every weight a little at each update, times the "
                                  "learning rate, against overfitting.", REGULARISATION,
                                  low=0, high=0.1, step=1e-4, advanced=True)
    identity_start: bool = setting(True, "Start blocks as identities", "Each conv block's convolutions begin by "
                                   "passing their input through unchanged, so a block starts as pooling and batch "
                                   "normalisation alone and learns sooner; off, they start random, as in the "
                                   "tutorials (only conv blocks have it).", OPTIMISATION, advanced=True)
    lookahead: bool = setting(False, "Lookahead", "Every 5 updates, pull the weights towards a slow average of "
                              "them, harder near the end: a smoother finish.", REGULARISATION, advanced=True)
    test_subset: int | None = setting(None, "Test images", "Test on the first this many of the 10,000 test "
                                      "images.", TESTING, low=1, high=10_000, options=(1_000, None),
                                      suggested=True, optional=True, advanced=True)
    tta_flip: bool = setting(False, "Test-time flip", "When testing, average each image's prediction with its "
                             "mirror image's.", TESTING, advanced=True)
    tta_shift: bool = setting(False, "Test-time shifts", "When testing, also average over copies shifted one "
                              "pixel diagonally each way.", TESTING, advanced=True)
    seed: int = setting(0, "Seed", "Draws the training images, the starting weights and the augmentation: the "
                        "same seed draws the same again.", TESTING, low=0, high=2**31 - 1, advanced=True)
    precision: str = setting("auto", "Precision", "The number format the network computes in: bfloat16 is about "
                             "twice as fast where the processor has it, and as accurate here.", TESTING,
                             options=("auto", "float32", "mixed_bfloat16"),
                             names={"auto": "auto (bfloat16 if the CPU has it)",
                                    "float32": "float32", "mixed_bfloat16": "mixed bfloat16"}, advanced=True)

    def __post_init__(self):
        object.__setattr__(self, "spec", tuple(dict(layer) for layer in self.spec or preset(self.preset).spec))
        problems = [p for name, s in SETTINGS.items() if (p := s.problem(getattr(self, name)))]
        if problems:
            raise ValueError("; ".join(problems))

    @classmethod
    def for_preset(cls, key: str, **overrides) -> TrainConfig:
        """The preset's architecture with its tutorial's training settings, then the overrides."""
        p = preset(key)
        return cls(**{"preset": key, "spec": p.spec, **p.train, **overrides})

    def to_dict(self) -> dict:
        d = dataclasses.asdict(self)
        d["spec"] = [dict(layer) for layer in self.spec]
        return d

    @classmethod
    def from_dict(cls, d: dict) -> TrainConfig:
        known = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: (tuple(v) if k == "spec" else v) for k, v in d.items() if k in known})

    def replace(self, **changes) -> TrainConfig:
        return dataclasses.replace(self, **changes)

    def augmentation(self) -> dict:
        """{augmentation setting: its value}, e.g. {"flip": True, "shift": 2, "cutout": 0}."""
        return {name: getattr(self, name) for name in in_section(AUGMENTATION)}


SETTINGS: dict[str, Setting] = {f.name: dataclasses.replace(f.metadata["setting"], name=f.name)
                                for f in dataclasses.fields(TrainConfig) if "setting" in f.metadata}


def in_section(section: str) -> dict[str, Setting]:
    """The settings of one section, in the table's order."""
    return {name: s for name, s in SETTINGS.items() if s.section == section}


def cpu_has_bf16() -> bool:
    """True where the CPU has native bfloat16 matrix instructions (AVX512-BF16 or AMX)."""
    try:
        with open("/proc/cpuinfo") as f:
            flags = next((line for line in f if line.startswith("flags")), "")
    except OSError:
        return False
    return any(flag in flags.split() for flag in ("avx512_bf16", "amx_bf16"))


def resolve_precision(precision: str) -> str:
    """"auto" as what this machine gets (mixed_bfloat16 where the CPU has bfloat16, else float32)."""
    if precision == "auto":
        return "mixed_bfloat16" if cpu_has_bf16() else "float32"
    return precision
