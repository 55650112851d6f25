"""The Labs page's tabs, in order: each lab's name and the function that draws it for a run."""
from __future__ import annotations

from .labs_baselines import baselines_lab
from .labs_calibration import calibration_lab
from .labs_code import code_lab
from .labs_conv import conv_lab
from .labs_map import map_lab
from .labs_robustness import robustness_lab

LABS = [
    ("Show me the code", code_lab),
    ("Calibration", calibration_lab),
    ("Robustness", robustness_lab),
    ("Baselines", baselines_lab),
    ("Map of what it learned", map_lab),
    ("A convolution by hand", conv_lab),
]
