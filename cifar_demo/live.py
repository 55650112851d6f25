"""A training's live state in its run folder: written by the trainer, read by anyone watching.

While a run trains, its trainer keeps three small files beside the run's own:

    live.json     progress: epoch, batch, the per-batch points (thinned), speed; rewritten about once a second
    heartbeat     touched every few seconds: a trainer that died (kill -9, out of memory) stops touching it
    control.json  requests to the trainer, written by anyone: stop, pause, a new learning rate; read after
                  every batch

Every write is atomic (files.py). So the app, in any browser session, and the
command line see the same training, whichever process started it.
"""
from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass

from . import files, runs

LIVE_FILE, CONTROL_FILE = "live.json", "control.json"
WRITE_SECONDS = 1.0          # how often the trainer rewrites live.json while batches come
MAX_BATCH_POINTS = 1000      # per-batch points kept for the live chart (it draws 500); older ones are thinned
STARTING, RUNNING, PAUSED, STOPPING, TESTING = "starting", runs.RUNNING, "paused", "stopping", "testing"
TRAINING = (STARTING, RUNNING, PAUSED, STOPPING, TESTING)  # the phases of a run its trainer has in hand
MAX_LEARNING_RATE = 10.0     # the most a learning rate asked mid-run may be (the Train page and the CLI say so)


@dataclass(frozen=True)
class Snapshot:
    """A consistent copy of a run's progress, from its folder."""
    run_id: str
    status: str                 # queued | starting | running | paused | stopping | testing | finished | stopped ...
    epoch: int                  # the epoch under way (1-based), or the last one
    epochs: int
    batch: int                  # batches done in the current epoch
    steps_per_epoch: int
    batches: tuple = ()         # per-batch dicts: step, epoch, batch, loss, accuracy, lr
    history: tuple = ()         # per-epoch dicts: epoch, loss, accuracy, val_loss, val_accuracy, lr
    images_per_second: float = 0.0
    eta_seconds: float | None = None
    ended: float | None = None  # when it ended (time.time()); None while it trains or waits
    error: str | None = None
    test_accuracy: float | None = None
    learning_rate: float | None = None  # the one in use now (after any change asked mid-run)
    changes: tuple = ()         # learning-rate changes asked mid-run: dicts step, epoch, after_epochs, from, to
    started: float = 0.0        # when the run started (time.time())

    @property
    def elapsed_seconds(self) -> float:
        """Since the run started: until now while it trains or waits (paused too, when nothing in its
        folder changes and the snapshot is read from the cache), else until it ended."""
        return max(0.0, (time.time() if self.ended is None else self.ended) - self.started)

    @property
    def active(self) -> bool:
        return self.status == runs.QUEUED or self.status in TRAINING

    @property
    def progress(self) -> float:
        """Share of all batches done, 0..1."""
        total = self.epochs * max(1, self.steps_per_epoch)
        return min(1.0, ((self.epoch - 1) * self.steps_per_epoch + self.batch) / total) if total else 0.0


class LiveWriter:
    """The trainer's listener: folds each training event into the run's live.json, written at most once
    a second while batches come, and at once at every epoch's end and change of phase."""

    def __init__(self, run: runs.Run, *, epochs: int, batch_size: int, history=(), test_passes: int = 0):
        # test_passes: images times views the final test runs, for the time left; a forward pass
        # costs about a third of a training step's forward and backward
        self.run, self.batch_size, self.test_passes = run, batch_size, test_passes
        self.state = {"phase": STARTING, "epoch": len(history) + 1, "epochs": epochs, "batch": 0,
                      "steps_per_epoch": 0, "batches": [], "started": time.time(), "first_batch_at": None,
                      "first_step": 0, "last_batch_at": None, "lr": None, "changes": []}
        self.written = 0.0
        self.write()

    def __call__(self, event: dict) -> None:
        s, kind = self.state, event["event"]
        if kind == "batch":
            now = time.time()
            if s["first_batch_at"] is None:
                s["first_batch_at"], s["first_step"] = now, event["step"]
            s.update(phase=RUNNING, epoch=event["epoch"], batch=event["batch"], last_batch_at=now, lr=event["lr"])
            # five digits are plenty for a chart, and keep the file small: it is rewritten every second
            s["batches"].append({k: float(f"{event[k]:.5g}") if k in ("loss", "accuracy", "lr") else event[k]
                                 for k in ("step", "epoch", "batch", "loss", "accuracy", "lr")})
            if len(s["batches"]) > MAX_BATCH_POINTS:
                s["batches"] = s["batches"][::2]
            if now - self.written >= WRITE_SECONDS:
                self.write()
        elif kind == "status":
            s.update({k: v for k, v in event.items() if k in s})
            self.write()
        elif kind == "epoch":
            self.write()
        elif kind == "paused":
            self.phase(PAUSED)
        elif kind == "resumed":  # the pause is no training time: the speed and the time left leave it out
            for key in ("first_batch_at", "last_batch_at"):
                s[key] = s[key] + event["seconds"] if s[key] is not None else None
            self.phase(RUNNING)
        elif kind == "lr":
            s["changes"].append({k: event[k] for k in ("step", "epoch", "after_epochs", "from", "to")})
            s["lr"] = event["to"]
            self.write()

    def phase(self, phase: str) -> None:
        self.state["phase"] = phase
        self.state[f"{phase}_at"] = time.time()
        self.write()

    def write(self) -> None:
        s = self.state
        done = (s["epoch"] - 1) * s["steps_per_epoch"] + s["batch"]
        ran = done - s["first_step"] if s["first_batch_at"] is not None else 0
        rate = eta = None
        if ran > 0 and s["last_batch_at"] > s["first_batch_at"]:
            per_batch = (s["last_batch_at"] - s["first_batch_at"]) / ran  # from the first batch: no tracing time
            rate = self.batch_size / per_batch
            testing = self.test_passes / (3 * rate)
            if s["phase"] == TESTING:
                eta = max(0.0, testing - (time.time() - s[f"{TESTING}_at"]))
            else:
                eta = per_batch * max(0, s["epochs"] * s["steps_per_epoch"] - done) + testing
        state = {**s, "images_per_second": rate, "eta_seconds": eta, "updated": time.time()}
        # compact: at 1,000 points about 5 ms of the training's time a second (indented, 2,000 points took 40)
        files.write_bytes(self.run.path / LIVE_FILE, json.dumps(state, separators=(",", ":")).encode())
        self.written = time.time()


# --- control ------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Requests:
    """What control.json asks of a trainer now."""
    stop: bool = False
    pause: bool = False
    learning_rate: float | None = None  # the learning rate to go on with, asked at ``asked_at`` (ns): each ask
    asked_at: int = 0                   # is obeyed once, and the same rate may be asked again later


def request_stop(run: runs.Run) -> None:
    """Ask the run's trainer, wherever it runs, to stop after the batch under way; what it trained is kept."""
    _ask(run, stop=True)


def request_pause(run: runs.Run, pause: bool = True) -> None:
    """Ask the run's trainer to pause after the batch under way (``pause``), or to go on."""
    _ask(run, pause=bool(pause))


def request_learning_rate(run: runs.Run, learning_rate: float) -> None:
    """Ask the run's trainer to go on with this learning rate from its next batch; ValueError when out of range."""
    if not 0 < learning_rate <= MAX_LEARNING_RATE:
        raise ValueError(f"a learning rate must be above 0 and at most {MAX_LEARNING_RATE:g}")
    _ask(run, learning_rate=float(learning_rate), asked_at=time.time_ns())


def _ask(run: runs.Run, **asked) -> None:
    """Add ``asked`` to the run's control.json, keeping the requests already in it."""
    path = run.path / CONTROL_FILE
    try:
        now = files.read_json(path)
    except (OSError, ValueError):
        now = {}
    files.write_json(path, {**now, **asked, "at": time.time()})


class Control:
    """The trainer's side of control.json: ``requests()`` is cheap enough to ask after every batch (one stat
    while the file is unchanged)."""

    def __init__(self, run: runs.Run):
        self.path = run.path / CONTROL_FILE
        self.path.unlink(missing_ok=True)  # a request left from an earlier training of this run is not for us
        self.seen, self.asked = 0, Requests()

    def requests(self) -> Requests:
        try:
            mtime = self.path.stat().st_mtime_ns
        except FileNotFoundError:
            return self.asked
        if mtime != self.seen:
            self.seen = mtime
            try:
                found = files.read_json(self.path)
                rate = found.get("learning_rate")
                self.asked = Requests(bool(found.get("stop")), bool(found.get("pause")),
                                      float(rate) if rate is not None else None, int(found.get("asked_at") or 0))
            except (OSError, ValueError, TypeError):
                pass  # half-seen or foreign: the next batch reads it again
        return self.asked

    def stop_requested(self) -> bool:
        return self.requests().stop


# --- reading -------------------------------------------------------------------------------------------

_cache: dict[str, tuple[tuple, Snapshot]] = {}  # run path -> (file stamps, snapshot): one read for every session
_cache_lock = threading.Lock()


def _stamp(run: runs.Run) -> tuple:
    """What a snapshot depends on: its files' modification times, and whether the trainer still lives."""
    stamps = [run.status]
    for name in (LIVE_FILE, "status.json", "history.json", CONTROL_FILE):
        try:
            stamps.append((run.path / name).stat().st_mtime_ns)
        except FileNotFoundError:
            stamps.append(0)
    return tuple(stamps)


def snapshot(run: runs.Run) -> Snapshot:
    """The run's progress as its folder has it now; read once for all watchers until one of its files changes.

    Raises runs.RunError when the run's files cannot be read.
    """
    stamp = _stamp(run)
    with _cache_lock:
        cached = _cache.get(str(run.path))
    if cached is not None and cached[0] == stamp:
        return cached[1]
    snap = _read(run, stamp[0])
    with _cache_lock:
        _cache[str(run.path)] = (stamp, snap)
    return snap


def _read(run: runs.Run, status: str) -> Snapshot:
    record, history, config = run.status_record(), run.history(), run.config
    try:
        live = files.read_json(run.path / LIVE_FILE)
    except (FileNotFoundError, ValueError):
        live = {}
    if status == runs.RUNNING:
        status = live.get("phase", STARTING)
        if status in (STARTING, RUNNING, PAUSED) and _stop_pending(run):
            status = STOPPING
    training = status in TRAINING
    started = live.get("started") or record.get("created") or time.time()
    ended = None if training or status == runs.QUEUED else record.get("updated", time.time())
    return Snapshot(run.id, status, int(live.get("epoch") or max(1, len(history))),
                    int(live.get("epochs") or config.get("epochs") or 1), int(live.get("batch") or 0),
                    int(live.get("steps_per_epoch") or 0), tuple(live.get("batches") or ()), tuple(history),
                    live.get("images_per_second") or 0.0,
                    live.get("eta_seconds") if status in (STARTING, RUNNING, PAUSED, TESTING) else None,
                    ended, record.get("error"), record.get("test_accuracy"),
                    live.get("lr"), tuple(live.get("changes") or ()), started)


def _stop_pending(run: runs.Run) -> bool:
    try:
        return bool(files.read_json(run.path / CONTROL_FILE).get("stop"))
    except (FileNotFoundError, ValueError):
        return False


def training_now(base=None) -> list[runs.Run]:
    """The runs being trained right now, by any process, oldest first."""
    found = []
    for run in runs.list_runs(base):
        try:
            if run.status == runs.RUNNING:
                found.append(run)
        except runs.RunError:
            continue
    return found[::-1]
