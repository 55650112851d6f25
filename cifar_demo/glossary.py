"""The glossary: every term the app uses, in plain words, and the link that points a help text at it.

``TERMS`` holds them by group, in the order the glossary page shows them.
``link("learning rate")`` is the markdown link a tooltip or a sentence uses:
``[learning rate](glossary#learning-rate)``. The link is relative, so it
reaches the glossary page wherever the app is served from; in a tooltip it
opens in a new tab, leaving the page it came from as it was.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

PAGE = "glossary"  # the glossary page's url path (ui.PAGES)


@dataclass(frozen=True)
class Term:
    name: str      # as it reads in a sentence: "learning rate"
    meaning: str   # what it is, in a few plain sentences (markdown)
    group: str     # the glossary's section


_DATA, _NETWORK, _TRAINING, _RESULTS, _INSIDE = ("The data", "The network", "Training", "Results",
                                                "Looking inside")
TERMS: tuple[Term, ...] = (
    Term("image", "A photo of 32×32 pixels, each pixel three whole numbers 0–255 (red, green, blue). Before the "
         "network sees it, every number is divided by 255.", _DATA),
    Term("class", "One of the 10 kinds of thing CIFAR-10 holds: airplane, automobile, bird, cat, deer, dog, frog, "
         "horse, ship, truck. The network answers with one of them.", _DATA),
    Term("training set", "The 50,000 images the network learns from.", _DATA),
    Term("validation", "Images held out of the training set and checked after each epoch, to see how the network "
         "does on images it is not learning from. A run can hold none out (validation split 0).", _DATA),
    Term("test set", "10,000 images kept apart until training is over: the fair exam. Test accuracy is measured "
         "on them.", _DATA),
    Term("augmentation", "Changing each training image a little every time it is seen (mirrored, shifted a few "
         "pixels, a square greyed out), so that the network sees more variety and memorises less.", _DATA),
    Term("convolution", "A layer (Conv2D in Keras) that slides small filters over its input. At each place it "
         "multiplies the filter with the patch under it and adds up: a high number where the patch looks like "
         "the filter.", _NETWORK),
    Term("filter", "The small grid of learned weights a convolution slides over its input, e.g. 3×3 pixels by "
         "3 colours. Each filter looks for one pattern, such as an edge at some angle.", _NETWORK),
    Term("feature map", "What one filter makes of the whole input: a grid with a high value wherever the filter "
         "found its pattern. A layer with 64 filters gives 64 feature maps.", _NETWORK),
    Term("activation", "A simple function applied to every value after a layer. ReLU, the commonest, keeps "
         "positive values and sets negative ones to zero. Without it, stacked layers would add up to one.",
         _NETWORK),
    Term("pooling", "A layer (MaxPooling2D) that shrinks each feature map, usually by half, keeping the "
         "strongest value of each 2×2 window: the pattern is still found, its exact place matters less.",
         _NETWORK),
    Term("batch normalisation", "A layer (BatchNormalization) that rescales each channel to a steady range "
         "while training, so the network trains faster and more reliably.", _NETWORK),
    Term("dropout", "A layer that, while training, sets a random share of its values to zero, so the network "
         "cannot rely on any single one: a brake on overfitting. It does nothing when predicting.", _NETWORK),
    Term("dense layer", "A layer (Dense) where every input is connected to every output. The last one gives "
         "one score per class.", _NETWORK),
    Term("whitening", "A fixed first layer of the fast presets: filters fitted once to the training images so "
         "that neighbouring pixels stop repeating each other. Pre-processing, not learned.", _NETWORK),
    Term("softmax", "Turns the last layer's 10 scores into 10 probabilities that add up to 100%. The class with "
         "the highest is the network's answer.", _NETWORK),
    Term("parameter", "One number the network learns: a weight of a filter or of a dense layer.", _NETWORK),
    Term("epoch", "One pass of training over all its images. Training usually takes several.", _TRAINING),
    Term("batch", "The handful of images (e.g. 64) the network looks at before each small update of its "
         "weights. Batch size is how many.", _TRAINING),
    Term("learning rate", "How big a step each update takes. Too small: learning crawls. Too big: it overshoots "
         "and the loss jumps around or blows up.", _TRAINING),
    Term("optimizer", "The rule that updates the weights from the gradients, e.g. Adam or SGD with momentum. "
         "Muon, which the fast preset uses on its filters, makes each filter update the same size in every "
         "direction, so the rare directions learn as fast as the common ones.", _TRAINING),
    Term("loss", "One number for how wrong the network is on a batch: small when it gives the true class a high "
         "probability. Training lowers it.", _TRAINING),
    Term("weight decay", "Shrinking every weight a little at each update, which keeps the network simple: a "
         "brake on overfitting.", _TRAINING),
    Term("label smoothing", "Training towards 90% sure instead of 100% sure (say), so the network does not "
         "learn to be overconfident.", _TRAINING),
    Term("overfitting", "Learning the training images by heart instead of what makes a cat a cat: accuracy on "
         "the training images climbs while accuracy on held-out images stalls. On the training curves it is "
         "the gap between the dashed training line and the solid validation line (or the test star).",
         _TRAINING),
    Term("accuracy", "The share of images whose answer is the true class. With 10 balanced classes, guessing "
         "scores 10%.", _RESULTS),
    Term("test-time augmentation", "Asking the network about a few copies of each test image (mirrored, shifted "
         "by a pixel) and averaging its answers: a little more accurate.", _RESULTS),
    Term("confusion matrix", "A table of test images: the row is the true class, the column the network's "
         "answer. The diagonal counts the right answers; every other cell is one kind of mistake.", _RESULTS),
    Term("precision", "Of the images the network called a class, the share that really are of it. Low "
         "precision: it says \"cat\" too readily.", _RESULTS),
    Term("recall", "Of the images truly of a class, the share the network found. Low recall: it misses many "
         "cats.", _RESULTS),
    Term("F1", "One score from precision and recall, their harmonic mean: high only when both are.", _RESULTS),
    Term("Grad-CAM", "A heat map of where in the image the network found evidence for a class. It is computed "
         "on the last convolution's small feature maps, then stretched over the image, so it is coarse.",
         _INSIDE),
)
GROUPS = (_DATA, _NETWORK, _TRAINING, _RESULTS, _INSIDE)
_BY_NAME = {term.name.lower(): term for term in TERMS}


def anchor(name: str) -> str:
    """'learning rate' -> 'learning-rate': the term's anchor on the glossary page."""
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def term(name: str) -> Term:
    """The glossary entry of ``name`` (any case); KeyError when the glossary lacks it."""
    return _BY_NAME[name.lower()]


def link(name: str, text: str | None = None) -> str:
    """A markdown link from ``text`` (default: the term) to the term on the glossary page."""
    term(name)  # a term the glossary lacks is a mistake of ours: fail where it is written
    return f"[{text or name}]({PAGE}#{anchor(name)})"
