"""The presets: each network with the training settings of the tutorial or recipe it comes from.

The fast and long presets follow airbench (Keller Jordan's CIFAR-10 speed
runs), sized for a 2-core CPU. Their recipe reads here top to bottom, like
airbench's ``hyp``, every number with its unit: the network, the optimizer,
the schedule, the augmentation, the test-time averaging. The modules that
carry the recipe out (models, training, evaluation) take these numbers from
here, so that changing one means changing one line of this file.
Measured effects are in BENCHMARKS.md.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from .data import NUM_CLASSES
from .spec import SpecError

# --- the fast recipe's network ----------------------------------------------------------------------------
FAST_WIDTHS = (32, 64, 128)    # filters in each of the three conv blocks: sized for the FLOPs of 2 CPU cores
LONG_WIDTHS = (64, 256, 256)   # airbench94's widths: six times fast's work per image
WHITEN_KERNEL = 2              # pixels a side: the frozen first layer whitens 2x2 patches (24 filters)
WHITEN_EPS = 5e-4              # added to each patch-covariance eigenvalue (pixels in 0..1, squared) before 1/sqrt
WHITEN_IMAGES = 5_000          # training images whose patches fit the whitening filters
BN_MOMENTUM = 0.6              # share of the running batch-norm statistics kept at each step (Keras's convention)
BN_EPSILON = 1e-5              # added to each batch variance
FINAL_POOL = 3                 # pixels a side: the max over the last 3x3 map, one number per channel
LOGIT_SCALE = 1 / 9            # multiplies the logits before the softmax: tempers early overconfidence

# --- the fast recipe's optimisation -----------------------------------------------------------------------
AIRBENCH_TRAIN = {
    "batch_size": 256,           # images per optimizer step
    "optimizer": "nesterov",     # SGD with Nesterov momentum (SGD_MOMENTUM)
    "schedule": "warmup_linear",  # the learning rate climbs linearly from 0, then falls linearly to 0
    "warmup_epochs": 1,          # epochs of the climb (fast: a quarter)
    "weight_decay": 5e-4,        # per step, times the learning rate, decoupled from the gradient
    "label_smoothing": 0.2,      # share of each target spread evenly over the 10 classes
    "lookahead": False,          # no pull towards a slow average of the weights: measured, no gain here
    "identity_start": True,      # each block's convs start as the identity on their input channels (dirac init)
    "flip": True,                # augmentation: mirror half the images left-right, at random
    "shift": 2,                  # augmentation: translate each image by up to 2 pixels each way
    "validation_split": 0.0,     # share of the 50,000 training images held out: none, all are trained on
    "tta_flip": True,            # testing averages each image's prediction with its mirror's
    "tta_shift": True,           # ... and with copies shifted TTA_SHIFT pixels diagonally
}
SGD_MOMENTUM = 0.9             # share of the last update carried into the next (every SGD optimizer, Muon's too)
MUON_LR_RATIO = 0.6            # the "muon" optimizer: its step on the conv filters, per unit of the learning rate
LOOKAHEAD_EVERY = 5            # with the lookahead setting on: optimizer steps between two pulls
LOOKAHEAD_DECAY = 0.95 ** 5    # ... the strongest pull (share of the slow weights kept), at the last step;
                               # it grows as (step / total steps) ** 3, so early steps move freely
TTA_SHIFT = 1                  # pixels: the test-time shifted copies move up-left and down-right by this much
TTA_SHIFT_WEIGHT = 0.5         # weight of each shifted copy in the average, against 1 for the image itself
FAST_TRAIN = {**AIRBENCH_TRAIN,
              "optimizer": "muon",     # Muon on the conv filters (MUON_LR_RATIO), Nesterov SGD on the rest:
                                       # 85.4% in 5 epochs, where Nesterov SGD alone needed 8 (BENCHMARKS.md)
              "epochs": 5,             # passes over the 50,000 training images
              "learning_rate": 0.8,    # the peak, per step, reached after the warm-up
              "warmup_epochs": 0.25}   # epochs: a quarter epoch of climb is enough for this small net
LONG_TRAIN = {**AIRBENCH_TRAIN,
              "optimizer": "muon",     # as fast: 90.85% in 14 epochs (14.6 min; 11 min since issue 20's faster
                                       # pipeline), where Nesterov SGD alone reached 90.94% in 20 (21.1 min)
              "epochs": 14,            # passes over the 50,000 training images
              "learning_rate": 0.6,    # the peak, per step, reached after one epoch of warm-up
              "weight_decay": 3e-3}    # stronger for the bigger net (90.94% against 90.50% with 6e-3)


@dataclass(frozen=True)
class Preset:
    key: str
    title: str
    about: str  # what it is, where it comes from, what it reaches and how long it takes here
    spec: tuple  # tuple of layer dicts
    train: dict = field(default_factory=dict)  # TrainConfig field defaults of its tutorial


def conv(filters, kernel=3, padding="same", activation="relu", **kw):
    return {"type": "conv", "filters": filters, "kernel": kernel, "padding": padding,
            "activation": activation, **kw}


def dense(units, activation="relu"):
    return {"type": "dense", "units": units, "activation": activation}


def dropout(rate):
    return {"type": "dropout", "rate": rate}


POOL, FLAT = {"type": "pool", "size": 2, "kind": "max"}, {"type": "flatten"}
SOFTMAX_OUT = dense(NUM_CLASSES, "softmax")


def airbench_net(widths) -> tuple:
    """airbench's network: frozen whitening, three conv blocks, a max over the last map, scaled logits."""
    return (
        {"type": "whiten", "kernel": WHITEN_KERNEL}, {"type": "activation", "fn": "relu"},
        *({"type": "block", "filters": w, "activation": "relu"} for w in widths),
        {"type": "pool", "size": FINAL_POOL, "kind": "max"}, FLAT,
        {"type": "dense", "units": NUM_CLASSES, "activation": "linear", "use_bias": False},
        {"type": "scale", "factor": LOGIT_SCALE}, {"type": "activation", "fn": "softmax"},
    )


PRESETS: dict[str, Preset] = {p.key: p for p in [
    Preset("fast", "Fast CPU net (the speed tricks of the fastest recipes)",
           "Three conv blocks (Conv2D, MaxPooling2D, BatchNormalization, ReLU, twice) of 32, 64 and 128 filters "
           "after a fixed first layer, with the speed tricks of the fastest published CIFAR-10 recipes, each "
           "listed below with its switch. On all 50,000 training images it reaches about 85% test accuracy in "
           "5 epochs, about a minute on this machine's 2 cores (about twice as long on a processor "
           "without bfloat16); it passes 70% within its first epoch, long before the Keras tutorial's network does. "
           "Fewer images train faster and reach less.",
           airbench_net(FAST_WIDTHS),
           FAST_TRAIN),
    Preset("long", "Long CPU net (the model that ships with the app)",
           "The fast network's recipe with wider blocks (64, 256 and 256 filters: six times the work per image), "
           "stronger weight decay and 14 epochs. On all 50,000 images it reaches about 91% test accuracy after "
           "about 11 minutes on this machine's 2 cores; the model that ships with the app is this preset's.",
           airbench_net(LONG_WIDTHS),
           LONG_TRAIN),
    Preset("keras_tutorial", "Keras tutorial",
           "Conv32-Pool-Conv64-Pool-Conv128-Pool (3x3, same padding, ReLU), Dense128, Dropout 0.5; "
           "Adam, batch 64, 25 epochs, 20% validation. Reported 75% test accuracy.",
           (conv(32), POOL, conv(64), POOL, conv(128), POOL, FLAT, dense(128), dropout(0.5), SOFTMAX_OUT),
           {"epochs": 25, "batch_size": 64, "optimizer": "adam", "learning_rate": 1e-3,
            "validation_split": 0.2}),
    Preset("tf_tutorial", "TensorFlow tutorial",
           "Conv32(valid)-Pool-Conv64-Pool-Conv64, Dense64 (tensorflow.org CNN tutorial); Adam, "
           "10 epochs, trained on all 50,000 images and checked on test images, as the tutorial does. "
           "Reported about 72% test accuracy.",
           (conv(32, padding="valid"), POOL, conv(64, padding="valid"), POOL, conv(64, padding="valid"),
            FLAT, dense(64), SOFTMAX_OUT),
           {"epochs": 10, "batch_size": 32, "optimizer": "adam", "learning_rate": 1e-3,
            "validation_split": 0.0}),  # the tutorial holds nothing out: validation_data=(test images)
    Preset("all_conv", "All-convolutional",
           "Conv48(same)-Conv48-Pool-Dropout0.25, Conv48(same)-Conv48-Conv10 (1x1), global average "
           "pooling, softmax: no dense layer at all. Adam, batch 100, 10 epochs, 10% validation. "
           "Reported 73.05% test accuracy.",
           (conv(48), conv(48, padding="valid"), POOL, dropout(0.25), conv(48), conv(48, padding="valid"),
            conv(NUM_CLASSES, kernel=1, activation="linear"), {"type": "gap"},
            {"type": "activation", "fn": "softmax"}),
           {"epochs": 10, "batch_size": 100, "optimizer": "adam", "learning_rate": 1e-3,
            "validation_split": 0.1}),
    Preset("two_block", "Two-block",
           "Conv32-Pool-Conv64-Pool (same padding), Dense128: the smallest tutorial net. "
           "Adam, batch 64, 15 epochs.",
           (conv(32), POOL, conv(64), POOL, FLAT, dense(128), SOFTMAX_OUT),
           {"epochs": 15, "batch_size": 64, "optimizer": "adam", "learning_rate": 1e-3,
            "validation_split": 0.1}),
]}
DEFAULT_PRESET = "fast"


def preset(key: str) -> Preset:
    try:
        return PRESETS[key]
    except KeyError:
        raise SpecError(f"unknown preset {key!r}; choose one of: {', '.join(PRESETS)}") from None


@dataclass(frozen=True)
class Trick:
    name: str      # what the recipe calls it, in plain words
    what: str      # what it does
    buys: str      # what it is for, measured here where it was
    off: str       # how to turn it off on the Train page


# The fast and long presets' speed tricks, for the Train page: a class can train with and without each one.
TRICKS = (
    Trick("Patch whitening", "A first Conv2D layer whose 24 filters are not learned: they are fitted once to "
          "2x2 patches of the training images so that its outputs are uncorrelated.",
          "The next layers start from evenly spread inputs and learn sooner.", "Remove layer 1 (whiten)."),
    Trick("Blocks that start as identities", "Each block's convolutions begin by passing their input "
          "through unchanged instead of starting random.",
          "Measured on fast cut to 3 epochs: 83.9% test accuracy against 82.9%.",
          "Untick Start blocks as identities."),
    Trick("Muon on the filters", "Each convolution's update is made the same size in every direction (its "
          "momentum orthogonalised by five Newton-Schulz steps), so rarely seen patterns learn as fast as common "
          "ones; the other weights take Nesterov SGD steps.",
          "Measured on fast: 85.4% test accuracy in 5 epochs, where Nesterov SGD alone needed 8.",
          "Choose the optimizer SGD with Nesterov momentum (and 8 epochs)."),
    Trick("Label smoothing", "Each target keeps 80% on its class and spreads 20% over all ten.",
          "The network learns to be less overconfident, which generalises better.", "Set Label smoothing to 0."),
    Trick("Warm-up, then linear decay", "The learning rate climbs from 0 to its peak (0.8 per batch) in a "
          "quarter of an epoch, then falls steadily to 0.", "A high learning rate without the early blow-up.",
          "Choose the constant schedule (and a learning rate near 0.1)."),
    Trick("Test-time flips and shifts", "Each test image is classified six times (as it is, mirrored, and "
          "shifted a pixel each way) and the answers are averaged.", "Usually a few tenths of a point of "
          "accuracy, for six times the testing.", "Untick Test-time flip and Test-time shifts."),
    Trick("Mixed bfloat16", "Where the processor has bfloat16 instructions, the network computes in this "
          "16-bit number format and keeps its weights in 32 bits.", "Measured here: 2.2x as fast as float32.",
          "Set Precision to float32."),
)
