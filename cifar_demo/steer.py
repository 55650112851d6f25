"""The command line's commands that steer a training under way, from any shell: stop, pause, go on, and a
new learning rate. Each writes the run's control.json (live.py), as the Train page's buttons do."""
from __future__ import annotations

import argparse

from . import live, runs, trainqueue


def add_commands(sub) -> None:
    """Add stop, pause, go-on and learning-rate to the command line's subcommands."""
    s = sub.add_parser("stop", help="stop a training (it keeps what it trained), or take a queued run out")
    s.add_argument("run", help="run id from `runs`, or a run folder")
    s.set_defaults(func=cmd_stop)
    p = sub.add_parser("pause", help="pause a training after the batch under way (`go-on` resumes it)")
    p.add_argument("run", help="run id from `runs`, or a run folder")
    p.set_defaults(func=cmd_pause)
    g = sub.add_parser("go-on", help="go on with a paused training")
    g.add_argument("run", help="run id from `runs`, or a run folder")
    g.set_defaults(func=cmd_go_on)
    r = sub.add_parser("learning-rate", help="change a training's learning rate from its next batch on; "
                                             "its schedule goes on, scaled to that rate")
    r.add_argument("run", help="run id from `runs`, or a run folder")
    r.add_argument("rate", type=_rate, help=f"the new learning rate, above 0 and at most {live.MAX_LEARNING_RATE:g}")
    r.set_defaults(func=cmd_learning_rate)


def _rate(text: str) -> float:
    try:
        rate = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not 0 < rate <= live.MAX_LEARNING_RATE:
        raise argparse.ArgumentTypeError(f"a learning rate is above 0 and at most {live.MAX_LEARNING_RATE:g}")
    return rate


def _training(ref: str, doing: str) -> runs.Run:
    run = runs.open_run(ref)
    if (status := run.status) != runs.RUNNING:
        raise runs.RunError(f"run {run.id} is {status}, not training: there is nothing to {doing}")
    return run


def cmd_stop(args) -> int:
    run = runs.open_run(args.run)
    status = run.status
    if status == runs.QUEUED:
        trainqueue.cancel(run)
        print(f"cancelled run {run.id}: it had not started")
    elif status == runs.RUNNING:
        live.request_stop(run)
        print(f"asked run {run.id} to stop after the batch under way; what it has trained is kept and tested")
    else:
        raise runs.RunError(f"run {run.id} is {status}, not training or queued: there is nothing to stop")
    return 0


def cmd_pause(args) -> int:
    run = _training(args.run, "pause")
    live.request_pause(run)
    print(f"asked run {run.id} to pause after the batch under way; `go-on {run.id}` resumes it")
    return 0


def cmd_go_on(args) -> int:
    run = _training(args.run, "go on with")
    live.request_pause(run, False)
    print(f"asked run {run.id} to go on")
    return 0


def cmd_learning_rate(args) -> int:
    run = _training(args.run, "change")
    live.request_learning_rate(run, args.rate)
    print(f"asked run {run.id} to train with learning rate {args.rate:g} from its next batch on")
    return 0
