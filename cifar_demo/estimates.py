"""What a training will take and reach, judged from the runs this machine has already trained."""
from __future__ import annotations

from dataclasses import dataclass

from . import runs
from .settings import TrainConfig

TRAIN_IMAGES = 50_000


@dataclass(frozen=True)
class Estimate:
    seconds: float | None          # training time, from the speed of an earlier run of this network here
    speed_from: str | None         # the run whose speed it is
    images_per_second: float | None
    accuracy: float | None         # the test accuracy an earlier run of this network and size reached
    accuracy_from: str | None      # that run


def training_images(config: dict) -> int:
    """How many images a config trains on: its subset (or all 50,000) less the validation hold-out."""
    n = config.get("subset") or TRAIN_IMAGES
    return n - round(n * (config.get("validation_split") or 0.0))


def estimate(config: TrainConfig, run_list: list[runs.Run]) -> Estimate:
    """Time and accuracy to expect from ``config``, by the newest earlier runs of the same network
    (same layers and precision) that finished or stopped after at least one epoch; None where none did."""
    wanted = config.to_dict()
    speed = accuracy = None
    for run in run_list:
        try:
            past, record = run.config, run.status_record()
        except runs.RunError:
            continue
        if past.get("spec") != wanted["spec"] or past.get("precision") != wanted["precision"]:
            continue
        seconds, epochs = record.get("train_seconds"), record.get("epochs_done") or 0
        if speed is None and seconds and epochs:
            speed = (training_images(past) * epochs / seconds, run.id)
        same_size = all(past.get(k) == wanted[k] for k in ("subset", "epochs", "validation_split", "batch_size"))
        if accuracy is None and same_size and record.get("status") == runs.FINISHED \
                and record.get("test_accuracy") is not None:
            accuracy = (record["test_accuracy"], run.id)
    seconds = training_images(wanted) * config.epochs / speed[0] if speed else None
    return Estimate(seconds, speed and speed[1], speed and speed[0], accuracy and accuracy[0],
                    accuracy and accuracy[1])
