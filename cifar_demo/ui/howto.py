"""How to read each view: a sentence or two in plain words, with this run's own numbers.

Each function turns one engine reading (``cifar_demo.reading``, ``explain``)
into markdown a learner reads under the view: the confusion matrix, the
per-class scores, the training curves, Grad-CAM, feature maps, filters.
Glossary terms link to the glossary page.
"""
from __future__ import annotations

from ..data import IMAGE_SHAPE
from ..explain import LayerMaps, LookedAt
from ..filters import LearnedFilters
from ..glossary import link
from ..reading import OVERFIT_GAP, ClassScores, ConfusionReading, CurveReading


def plural(name: str, count: int = 2) -> str:
    """'cat' -> 'cats' (deer stay deer); one: 'a cat', 'an airplane'."""
    if count == 1:
        return ("an " if name[0] in "aeiou" else "a ") + name
    return name if name == "deer" else name + "s"


def points(share: float) -> str:
    """0.123 -> '12 points': a difference of accuracies in percentage points."""
    n = round(100 * abs(share))
    return f"{n} point{'s' if n != 1 else ''}"


def confusion(seen: ConfusionReading) -> str:
    """How to read the confusion matrix, naming this run's commonest mistake."""
    text = (f"**How to read it.** Each row is a true class, each column the class the network answered. The "
            f"diagonal, from top left to bottom right, holds the right answers: **{seen.right:,}** of the "
            f"{seen.tested:,} test images ({seen.accuracy:.2%}, its test {link('accuracy')}). Every other cell "
            "is one kind of mistake; the brighter a cell, the larger the share of its row it holds.")
    if seen.worst is None:
        return text + " It made no mistake at all."
    true, predicted, count = seen.worst
    return text + (f" Its commonest mistake: **{count:,} {true if count == 1 else plural(true)} taken "
                   f"for {plural(predicted, count)}** ({seen.worst_share:.0%} of the {plural(true)}). "
                   "**Click a cell** to see its images.")


def class_scores(scores: ClassScores, weakest: bool) -> str:
    """A worked example of precision, recall and F1, from one class's counts."""
    name, many = scores.name, plural(scores.name)
    which = "its weakest class" if weakest else "the class chosen"
    p, r = f"{scores.precision:.2%}", f"{scores.recall:.2%}"  # as the table beside it writes them
    return (f"**A worked example: {name}**, {which}. Of the **{scores.called:,}** test images it called "
            f"{name}, **{scores.called_right:,}** really were {many}: {link('precision')} "
            f"{scores.called_right:,} / {scores.called:,} = **{p}**. Of the **{scores.actual:,}** {many} in "
            f"the test set, it found those {scores.called_right:,}: {link('recall')} {scores.called_right:,} / "
            f"{scores.actual:,} = **{r}**. {link('F1')} = 2 × {p} × {r} / ({p} + {r}) = "
            f"**{scores.f1:.2%}**: their harmonic mean, high only when both are.")


def curves(seen: CurveReading) -> str:
    """Which line is which, and whether this run's curves show overfitting (and where)."""
    if seen.held_out_kind == "validation":
        text = ("Dashed: accuracy on the images it trains on; solid: on the " + link("validation") + " images "
                "held out of training, checked after each epoch; the star: on the test images, once trained.")
    else:
        text = ("Dashed: accuracy on the images it trains on. This run held no validation images out, so there "
                "is no solid line")
        text += (": the star, its accuracy on the test images after training, is its only look at images it "
                 "never learned from." if seen.held_out_kind == "test" else ", and it was not tested.")
    if seen.gap is None:
        return text
    numbers = (f"At its last epoch it scores **{seen.train:.0%}** on its training images and **{seen.held_out:.0%}**"
               f" on the {seen.held_out_kind} images")
    if seen.overfitting:
        return text + " " + numbers + (f": **{points(seen.gap)} apart**, marked in red. That gap is "
                                       f"{link('overfitting')}: it has begun to learn its training images by heart "
                                       "instead of what makes a class. More images, augmentation, dropout or "
                                       "weight decay narrow it.")
    below = (" Training accuracy is measured while it learns, on changed images (augmentation, dropout), so it "
             "can sit below." if seen.gap < 0 else "")
    return text + " " + numbers + (f": {points(seen.gap)} apart, so no sign of {link('overfitting')} (that "
                                   f"would be training accuracy well above, by more than "
                                   f"{points(OVERFIT_GAP)}).{below}")


def gradcam(looked: LookedAt) -> str:
    """How to read a Grad-CAM overlay, and why it is as coarse as it is."""
    size, places = IMAGE_SHAPE[0], looked.height * looked.width
    coarse = ("so the heat map has only " + f"{places} places, stretched over the {size}×{size} image: blurry by "
              "design" if looked.height < 8 else "fine enough to point at parts of the object")
    return (f"{link('Grad-CAM')} reads the layer *{looked.title}*, the last convolution's output, whose maps are a "
            f"{looked.height}×{looked.width} grid: {coarse}.")


def feature_maps(layer: LayerMaps) -> str:
    """How to read one layer's feature maps, with its own sizes."""
    height, width, channels = layer.shape
    if height * width == 1:
        return (f"Each square is one of the {channels} {link('feature map', 'feature maps')}, here a single "
                "number each: dark for the lowest of them, bright for the highest.")
    patch = IMAGE_SHAPE[0] / height
    covers = ("about one pixel of the image" if patch < 1.5 else
              f"about a {patch:.0f}×{patch:.0f} patch of the image" if patch.is_integer() else
              f"about a {patch:.1f}×{patch:.1f} patch of the image")
    return (f"Each square is one {link('feature map')}: what one filter found, bright where its pattern is, dark "
            f"where it is not (each stretched from its own lowest to its own highest value). This layer has "
            f"{channels} maps of {height}×{width}, so each of their pixels stands for {covers}.")


def learned_filters(found: LearnedFilters) -> str:
    """What the first learned layer's filter pictures are."""
    count, h, w = found.pictures.shape[:3]
    if not found.traced:
        return (f"The {count} {link('filter', 'filters')} of the first convolution, *{found.title}*, each {h}×{w} "
                "pixels over the 3 colours, enlarged. Each is the small pattern that makes its feature map light up; "
                "after training many become edges at some angle or blobs of one colour. Grey means zero.")
    return (f"The {count} {link('filter', 'filters')} of *{found.title}*, the first layer that learned. It reads the "
            f"{found.inputs} channels of the fixed whitening, not colours, so each filter is shown traced back "
            f"to the pixels: the {h}×{w} pattern that raises it most (averaged over a few test images).")
