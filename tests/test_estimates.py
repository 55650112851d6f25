"""What a training will take and reach, from the runs this machine trained before."""
import pytest

from cifar_demo import estimates, runs
from cifar_demo.settings import TrainConfig


def past_run(config: TrainConfig, *, seconds: float, epochs: int, accuracy: float, status=runs.FINISHED):
    run = runs.create(config.to_dict())
    run.set_status(status, train_seconds=seconds, epochs_done=epochs, test_accuracy=accuracy)
    return run


def test_no_earlier_run_no_guess():
    guess = estimates.estimate(TrainConfig.for_preset("fast"), runs.list_runs())
    assert guess.seconds is None and guess.accuracy is None


def test_time_from_the_speed_of_the_same_network_and_accuracy_from_the_same_settings():
    small = TrainConfig.for_preset("two_block", subset=2_000, epochs=2, validation_split=0.0)
    past_run(small, seconds=4.0, epochs=2, accuracy=0.41)  # 2,000 images x 2 epochs in 4 s: 1,000 images/s
    past_run(TrainConfig.for_preset("fast"), seconds=1.0, epochs=1, accuracy=0.9)  # another network: ignored
    guess = estimates.estimate(small.replace(subset=10_000, epochs=3), runs.list_runs())
    assert guess.images_per_second == pytest.approx(1_000) and guess.seconds == pytest.approx(30.0)
    assert guess.accuracy is None  # no earlier run of these settings
    same = estimates.estimate(small, runs.list_runs())
    assert same.accuracy == pytest.approx(0.41) and same.seconds == pytest.approx(4.0)
