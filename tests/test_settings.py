"""The one table of training settings: the config check, the command line and the augmentations all follow it."""
import io

import pytest
from rich.console import Console

from cifar_demo import augment, cli, live, progress
from cifar_demo.settings import AUGMENTATION, SETTINGS, TrainConfig, in_section


def test_every_augmentation_setting_has_its_function_and_every_function_its_setting():
    assert list(in_section(AUGMENTATION)) == list(augment.AUGMENTATIONS)


def test_each_setting_says_what_it_means_and_its_default_is_allowed():
    config = TrainConfig()
    for name, setting in SETTINGS.items():
        assert setting.label and setting.help.endswith("."), name
        assert setting.problem(getattr(config, name)) is None, name


@pytest.mark.parametrize("name", [n for n, s in SETTINGS.items() if s.high is not None])
def test_the_config_check_reads_the_tables_bounds(name):
    setting = SETTINGS[name]
    over = setting.high + (1 if setting.kind is int else setting.high / 10 + 0.01)
    with pytest.raises(ValueError, match=setting.label.lower()):
        TrainConfig(**{name: setting.kind(over)})
    TrainConfig(**{name: setting.kind(setting.high)})  # the bound itself is allowed


def test_the_command_line_has_a_flag_for_every_setting_with_its_meaning():
    parser = cli._parser()
    train = next(a for a in parser._subparsers._group_actions[0].choices.values() if a.prog.endswith("train"))
    flags = {action.dest: action for action in train._actions}
    for name, setting in SETTINGS.items():
        assert name in flags, name
        assert flags[name].help.startswith(setting.help.rstrip(".")), name
    args = parser.parse_args(["train", "--cutout", "4", "--no-flip", "--subset", "all", "--lr", "0.01"])
    assert (args.cutout, args.flip, args.subset, args.learning_rate) == (4, False, None, 0.01)


def test_the_progress_bar_shows_batches_speed_time_left_and_the_last_batch():
    out = io.StringIO()
    console = Console(file=out, force_terminal=True, width=140)
    snap = live.Snapshot("r", live.RUNNING, epoch=2, epochs=3, batch=5, steps_per_epoch=10,
                         batches=({"step": 15, "epoch": 2, "batch": 5, "loss": 1.234, "accuracy": 0.5, "lr": 0.1},),
                         history=({"epoch": 1, "loss": 1.5, "accuracy": 0.4},), images_per_second=1234.0,
                         eta_seconds=20.0)
    with progress.TrainingProgress(console=console) as bar:
        bar.show(snap)
        bar.progress.refresh()
    text = out.getvalue()
    assert "epoch 1/3: loss 1.500, accuracy 40.00%" in text  # the finished epoch, as a line of its own
    assert "epoch 2/3" in text and "15/30" in text and "1,234 img/s" in text and "loss 1.234" in text
