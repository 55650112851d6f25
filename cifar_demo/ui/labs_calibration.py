"""Calibration lab: how sure the model was against how often it was right, from its saved test predictions."""
from __future__ import annotations

import numpy as np
import streamlit as st

from .. import calibration, lab_charts, runs
from ..evaluation import tta_label
from . import presented
from .labs import evaluation_of, how_to_read
from .widgets import metric_row


def calibration_lab(run: runs.Run) -> None:
    """The reliability diagram, the confidences of right and wrong answers, and the calibration error in words."""
    ev = evaluation_of(run)
    if ev is None:
        return
    r = calibration.reliability(ev.y_true, ev.proba)
    config = run.config
    sure, error, right, mistakes = metric_row(4)
    sure.metric("How sure, on average", f"{r.mean_confidence:.1%}")
    right.metric("How often right", f"{r.overall_accuracy:.1%}")
    error.metric("Calibration error (ECE)", f"{100 * r.ece:.1f} points",
                 help="Expected calibration error: the gap between how sure it was and how often it was right, "
                      "bin by bin, averaged over the test images.")
    confident = calibration.confident_mistakes(r)
    mistakes.metric("Mistakes made 90%+ sure", f"{confident:.0%}", help="Of the test images it got wrong, the "
                    "share it was at least 90% sure about.")
    st.markdown(f"**It is {calibration.verdict(r)}.** {calibration.in_words(r)}{_why(config, r)}")
    diagram, histogram = st.columns(2, gap="medium")
    with diagram:
        st.plotly_chart(presented(lab_charts.reliability_diagram(r.edges, r.counts, r.confidence, r.accuracy)),
                        key="labs_reliability")
        fullest = int(r.counts.argmax())
        how_to_read(f"Each bar gathers the test images it was about that sure of: of the {r.counts[fullest]:,} it "
                    f"was {r.edges[fullest]:.0%}–{r.edges[fullest + 1]:.0%} sure about, it got "
                    f"{r.accuracy[fullest]:.1%} right (the bar's height). On the dashed diagonal, confidence and "
                    "accuracy agree; bars above it mean it is better than it says (underconfident), bars below "
                    "it worse (overconfident).")
    with histogram:
        st.plotly_chart(presented(lab_charts.confidence_histogram(r.right_confidence, r.wrong_confidence)),
                        key="labs_confidence")
        wrong = len(r.wrong_confidence)
        median = f"{float(np.median(r.wrong_confidence)):.0%}" if wrong else "–"
        how_to_read(f"Green counts the {len(r.right_confidence):,} test images it got right by how sure it was, "
                    f"red the {wrong:,} it got wrong. A trustworthy model is unsure when it is wrong: on its "
                    f"mistakes this one was {median} sure in the middle case, and {confident:.0%} of them it "
                    "made at 90% or more.")
    how = tta_label(bool(config.get("tta_flip")), bool(config.get("tta_shift")))
    st.caption(f"From the run's saved predictions on {len(ev):,} test images" + (f", {how}." if how else "."))


def _why(config: dict, r: calibration.Reliability) -> str:
    """A reason from the run's own settings, where it has an obvious one."""
    smoothing = config.get("label_smoothing") or 0
    if smoothing and calibration.verdict(r) == "underconfident":
        return (f" One reason: it trained with label smoothing {smoothing:g}, which takes {smoothing:.0%} of every "
                "target away from the right class, so it learns never to be quite sure.")
    if calibration.verdict(r) == "overconfident":
        return (" Networks trained to fit their training images closely often are: they grow surer than their "
                "accuracy on new images warrants. Label smoothing is one cure.")
    return ""
