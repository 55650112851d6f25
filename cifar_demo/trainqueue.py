"""The training queue, kept on disk: runs wait their turn, and worker processes train them in order.

A queued run is a run folder whose status is "queued"; its place is the order
of its ``queued`` time. A worker process (``python -m cifar_demo worker``,
started detached, in its own session, so that stopping the web server does not
stop it) takes the oldest queued run, trains it (trainer.py), and goes on
until the queue is empty. At most ``trainers()`` workers train at once: each
holds a lock on one slot file under runs/.trainers/ for as long as it lives,
and the operating system lets go of the lock when the process ends, however
it ends. A run is taken by creating its ``claim`` file, which succeeds for one
process only; cancelling a queued run takes it the same way.
"""
from __future__ import annotations

import fcntl
import os
import subprocess
import sys
import time
from pathlib import Path

from . import runs, trainer
from .settings import TrainConfig

CLAIM_FILE = "claim"
TRAINERS_DIR = ".trainers"


def trainers() -> int:
    """How many runs may train at once: $CIFAR_DEMO_TRAINERS, default 1 (on 2 cores, two only slow each other)."""
    try:
        return max(1, int(os.environ.get("CIFAR_DEMO_TRAINERS", "1")))
    except ValueError:
        return 1


def enqueue(config: TrainConfig, *, base: Path | None = None) -> runs.Run:
    """A new run, queued; a worker is started if none is working. Returns the run."""
    run = runs.create(config.to_dict(), base=base, status=runs.QUEUED)
    run.set_status(runs.QUEUED, queued=time.time())
    ensure_worker(base)
    return run


def enqueue_resume(run: runs.Run, *, base: Path | None = None) -> runs.Run:
    """Queue a stopped, interrupted or failed run to go on from its last finished epoch (trainer.resumable)."""
    trainer.resumable(run)
    (run.path / CLAIM_FILE).unlink(missing_ok=True)
    run.set_status(runs.QUEUED, queued=time.time(), resume=True, error=None, traceback=None)
    ensure_worker(base)
    return run


def queued(base: Path | None = None) -> list[runs.Run]:
    """The queued runs, first in line first."""
    waiting = []
    for run in runs.list_runs(base):
        try:
            record = run.status_record()
        except runs.RunError:
            continue
        if record.get("status") == runs.QUEUED:
            waiting.append((record.get("queued", 0.0), run.id, run))
    return [run for *_, run in sorted(waiting, key=lambda item: item[:2])]


def place(run: runs.Run, base: Path | None = None) -> int | None:
    """The run's place in the queue (1: next to train), or None when it is not queued."""
    line = [r.id for r in queued(base)]
    return line.index(run.id) + 1 if run.id in line else None


def _claim(run: runs.Run) -> bool:
    try:
        os.close(os.open(run.path / CLAIM_FILE, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
        return True
    except FileExistsError:
        return False


def cancel(run: runs.Run) -> None:
    """Take a queued run out of the queue; runs.RunError if it is not queued (a trainer took it already)."""
    if run.status != runs.QUEUED or not _claim(run):
        raise runs.RunError(f"run {run.id} is no longer queued: it has started, so stop it instead")
    run.set_status(runs.CANCELLED)


def claim_next(base: Path | None = None) -> runs.Run | None:
    """Take the first queued run no other process has taken; None when the queue is empty."""
    for run in queued(base):
        if _claim(run):
            return run
    return None


# --- workers --------------------------------------------------------------------------------------------

class Slot:
    """One of the trainers() places to train: an exclusive lock on a file, held until release or exit."""

    def __init__(self, base: Path | None = None):
        self.folder = Path(base or runs.root()) / TRAINERS_DIR
        self.file = None

    def take(self) -> bool:
        self.folder.mkdir(parents=True, exist_ok=True)
        for i in range(trainers()):
            f = open(self.folder / f"slot-{i}.lock", "a")
            try:
                fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                f.close()
                continue
            self.file = f
            return True
        return False

    def release(self) -> None:
        if self.file is not None:
            self.file.close()  # closing lets go of the lock
            self.file = None


def busy(base: Path | None = None) -> bool:
    """Whether every slot is held, i.e. the workers that may train are all at work."""
    probe = Slot(base)
    if probe.take():
        probe.release()
        return False
    return True


def work(base: Path | None = None, *, data=None, on_start=None) -> int:
    """Train queued runs one after another while this process holds a slot; returns how many it trained.

    ``on_start(run)`` is told each run it takes (the worker command prints it).
    """
    done = 0
    slot = Slot(base)
    while queued(base) and (slot.take() or _nobody_trains(base) and _take_soon(slot)):
        try:
            while (run := claim_next(base)) is not None:
                if on_start is not None:
                    on_start(run)
                _train_claimed(run, data)
                done += 1
        finally:
            slot.release()
        # a run queued just now, whose own worker found this slot taken, is taken on the next pass
    return done


def _nobody_trains(base: Path | None) -> bool:
    return not any(run.status == runs.RUNNING for run in runs.list_runs(base))


def _take_soon(slot: Slot, seconds: float = 10.0) -> bool:
    """Take a slot that a process being killed may still hold for a moment (its lock goes with it)."""
    deadline = time.time() + seconds
    while time.time() < deadline:
        if slot.take():
            return True
        time.sleep(0.5)
    return False


def _train_claimed(run: runs.Run, data) -> None:
    record = run.status_record()
    try:
        config = trainer.resumable(run) if record.get("resume") else TrainConfig.from_dict(run.config)
    except (runs.RunError, TypeError, ValueError) as exc:
        run.set_status(runs.FAILED, error=f"this run could not start: {exc}")
        return
    trainer.train(config, run, data=data, resume=bool(record.get("resume")))


def ensure_worker(base: Path | None = None) -> None:
    """Start a worker process, detached from this one, when runs wait and no worker is free to take them
    (or the one that holds a slot trains nothing: it may be dying, and the new one waits for its slot)."""
    if not queued(base) or busy(base) and not _nobody_trains(base):
        return
    folder = Path(base or runs.root()) / TRAINERS_DIR
    folder.mkdir(parents=True, exist_ok=True)
    log = open(folder / "worker.log", "ab")
    env = {**os.environ, "CIFAR_DEMO_RUNS": str(Path(base or runs.root()).resolve())}
    subprocess.Popen([sys.executable, "-m", "cifar_demo", "worker"], env=env, stdin=subprocess.DEVNULL,
                     stdout=log, stderr=log, start_new_session=True, cwd=Path(__file__).resolve().parent.parent)
    log.close()
