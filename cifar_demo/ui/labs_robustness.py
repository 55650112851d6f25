"""Robustness lab: accuracy as the test images are spoiled step by step, and one image's adversarial example."""
from __future__ import annotations

import time

import numpy as np
import streamlit as st

from .. import data, lab_cache, lab_charts, robustness, runs
from ..inference import predict_proba
from ..pictures import upscale
from . import load_data, presented
from .labs import how_to_read, kept, model_of
from .widgets import CRISP, show_pixels

SIZES = (100, 200, 500, 1000)  # test images the curves may use; 200 take 10-15 s for the shipped model on 2 cores
ZOOM = 3                       # each test image shown at 96 px
VERSION = 1                    # bump when the corruptions change: cached curves are then computed again


def curves_of(run: runs.Run, model, n: int) -> tuple[dict[str, np.ndarray], float | None]:
    """The accuracy curves on the first ``n`` test images (kept from an earlier look when there was one), and
    the seconds they took now (None when kept)."""
    cifar = load_data()

    def compute():
        with st.spinner(f"Testing on {n} images in {1 + 4 * len(robustness.CORRUPTIONS)} versions…"):
            return robustness.accuracy_curves(model, cifar.x_test[:n], cifar.y_test[:n])

    started = time.perf_counter()
    found, fresh = kept(run, "robustness", lab_cache.key_of(run.path, n=n, version=VERSION), compute)
    return found, time.perf_counter() - started if fresh else None


def robustness_lab(run: runs.Run) -> None:
    model = model_of(run)
    if model is None:
        return
    n = st.segmented_control("Test images", SIZES, default=200, required=True, key="labs_robust_n",
                             help="The first this many test images: more give smoother curves and take longer.")
    curves, seconds = curves_of(run, model, n)
    labelled = {name: (np.linspace(0, 1, robustness.LEVELS), acc,
                       [robustness.level_label(name, level) for level in robustness.CORRUPTIONS[name].levels])
                for name, acc in curves.items()}
    st.plotly_chart(presented(lab_charts.robustness_curves(labelled)), key="labs_robust_curves")
    clean = float(next(iter(curves.values()))[0])
    worst = min(curves, key=lambda name: curves[name][2])
    took = (f"Computed in {seconds:.1f} s and kept in the run's folder." if seconds is not None
            else "Kept from an earlier look, in the run's folder: no need to compute it again.")
    how_to_read(f"Every curve starts from the clean images, where it gets {clean:.1%} of these {n} right, and "
                "moves right as one change grows to its strongest (hover for the exact amount); the line at 10% "
                f"is guessing. The curve that falls soonest shows what it relies on most: at the middle level, "
                f"{worst.lower()} ({robustness.level_label(worst, robustness.CORRUPTIONS[worst].levels[2])}) leaves "
                f"it {curves[worst][2]:.1%} right.")
    st.caption(took)
    st.markdown("**One image at every level**")
    index = st.number_input("Test image number", 0, len(load_data().y_test) - 1, 7, key="labs_robust_image",
                            help="Any of the 10,000 test images.")
    _levels_grid(model, int(index))
    st.divider()
    adversarial(model, int(index))


def _levels_grid(model, index: int) -> None:
    cifar = load_data()
    image, truth = cifar.x_test[index], data.CLASS_NAMES[cifar.y_test[index]]
    rows = [(name, [robustness.corrupt(image, name, level)[0] for level in c.levels])
            for name, c in robustness.CORRUPTIONS.items()]
    proba = predict_proba(model, np.stack([im for _, ims in rows for im in ims]))
    st.html(CRISP)
    for r, (name, ims) in enumerate(rows):
        about, pictures = st.columns([1, 5], vertical_alignment="center")
        about.markdown(f"**{name}**  \n{robustness.CORRUPTIONS[name].about}")
        with pictures.container(horizontal=True, gap="small"):
            for i, (level, im) in enumerate(zip(robustness.CORRUPTIONS[name].levels, ims)):
                p = proba[r * robustness.LEVELS + i]
                c = int(p.argmax())
                with st.container(width=ZOOM * 32 + 8, gap=None):
                    st.image(upscale(im, ZOOM), output_format="PNG")
                    st.caption(f"{robustness.level_label(name, level)}  \n**{data.CLASS_NAMES[c]}** {p[c]:.0%}")
    changed = sum(int(p.argmax()) != int(proba[0].argmax()) for p in proba)
    how_to_read(f"Each row is one change to test image {index} (truly: {truth}), growing from left to right, with "
                "what the network answers under each picture. Here "
                f"{changed} of the {len(proba)} versions change its answer from its answer on the clean image.")


def adversarial(model, index: int) -> None:
    """The smallest FGSM step that changes the answer on test image ``index``: original, change, result."""
    st.markdown("**The adversarial example: the smallest change that fools it**")
    image = load_data().x_test[index]
    attack = robustness.fgsm(model, image)
    names = data.CLASS_NAMES
    was, now = int(attack.before.argmax()), int(attack.after.argmax())
    amplified = (128 + 127 * np.sign(attack.perturbation)).astype(np.uint8)
    original, change, result = st.columns(3)
    with original:
        show_pixels(attack.original, zoom=6, caption=f"Test image {index}: {names[was]}, {attack.before[was]:.0%}")
    with change:
        show_pixels(amplified, zoom=6, caption=f"The change, amplified: each pixel ±{attack.step}/255")
    with result:
        show_pixels(attack.result, zoom=6, caption=f"The result: {names[now]}, {attack.after[now]:.0%}")
    st.plotly_chart(presented(lab_charts.probability_pair(attack.before, attack.after)), key="labs_fgsm_probs")
    if attack.changed:
        how_to_read(f"Every pixel of the middle picture moved just {attack.step} of 255 levels up (light) or down "
                    "(dark), each the way that most raises the network's error (the sign of the gradient of its "
                    "loss with respect to the pixels: the fast gradient sign method, FGSM). To us the right picture "
                    f"looks the same as the left, yet the network's answer went from {names[was]} "
                    f"({attack.before[was]:.0%}) to {names[now]} ({attack.after[now]:.0%}); no smaller step did it.")
    else:
        how_to_read(f"Every pixel moved up to {attack.step} of 255 levels the way that most raises the network's "
                    f"error (FGSM), and still it answers {names[was]}: this image resists steps this small. "
                    "Try another test image.")
