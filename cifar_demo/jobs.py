"""A training job that runs in a background thread: start, stop, snapshot.

One job at a time per process: the app's pages, every browser session and the
command line all see the same job, and asking for a second while one runs gets
a JobBusyError that says which run is training. The job's thread keeps
training whatever the page does (reruns, page switches, closed tabs).
"""
from __future__ import annotations

import contextlib
import threading
import time
import traceback
from dataclasses import dataclass, field

from . import data as cifar10
from . import runs, training
from .settings import TrainConfig

STARTING, RUNNING, STOPPING = "starting", "running", "stopping"
MAX_BATCH_POINTS = 5000  # per-batch points kept for the live chart; older ones are thinned


class JobBusyError(RuntimeError):
    """A job is already training in this process."""


@dataclass(frozen=True)
class Snapshot:
    """A consistent copy of a job's progress, safe to read from any thread."""
    run_id: str
    status: str                 # starting | running | stopping | finished | stopped | failed
    epoch: int                  # the epoch under way (1-based), or the last one
    epochs: int
    batch: int                  # batches done in the current epoch
    steps_per_epoch: int
    batches: tuple = ()         # per-batch dicts: step, epoch, batch, loss, accuracy, lr
    history: tuple = ()         # per-epoch dicts: epoch, loss, accuracy, val_loss, val_accuracy, lr
    images_per_second: float = 0.0
    eta_seconds: float | None = None
    elapsed_seconds: float = 0.0
    error: str | None = None
    test_accuracy: float | None = None

    @property
    def active(self) -> bool:
        return self.status not in runs.DONE

    @property
    def progress(self) -> float:
        """Share of all batches done, 0..1."""
        total = self.epochs * max(1, self.steps_per_epoch)
        return min(1.0, ((self.epoch - 1) * self.steps_per_epoch + self.batch) / total) if total else 0.0


@dataclass
class Job:
    config: TrainConfig
    run: runs.Run
    resume: bool = False  # go on from the run's saved model and history (see train)
    strategy: object = None  # a tf.distribute.Strategy to train under (None: TensorFlow's default)
    stop_event: threading.Event = field(default_factory=threading.Event)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _state: dict = field(default_factory=dict)
    _thread: threading.Thread | None = None

    def __post_init__(self):
        self._state.update(status=STARTING, epoch=1, batch=0, steps_per_epoch=0, batches=[], history=[],
                           started=time.time(), first_batch_at=None, error=None, test_accuracy=None)

    # --- control -------------------------------------------------------------------------------------
    def stop(self) -> None:
        """Ask the training to stop after the batch under way; what was trained is kept."""
        with self._lock:
            if self._state["status"] in (STARTING, RUNNING):
                self._state["status"] = STOPPING
        self.stop_event.set()

    def join(self, timeout: float | None = None) -> Snapshot:
        if self._thread is not None:
            self._thread.join(timeout)
        return self.snapshot()

    @property
    def active(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    # --- progress ------------------------------------------------------------------------------------
    def listen(self, event: dict) -> None:
        """The listener handed to training: fold one event into the state."""
        with self._lock:
            s = self._state
            if event["event"] == "batch":
                now = time.time()
                if s["first_batch_at"] is None:
                    s["first_batch_at"], s["first_step"] = now, event["step"]
                s["epoch"], s["batch"] = event["epoch"], event["batch"]
                s["last_batch_at"] = now
                s["batches"].append({k: event[k] for k in ("step", "epoch", "batch", "loss", "accuracy", "lr")})
                if len(s["batches"]) > MAX_BATCH_POINTS:
                    s["batches"] = s["batches"][::2]
            elif event["event"] == "epoch":
                s["history"].append({k: v for k, v in event.items() if k != "event"})
            elif event["event"] == "status":
                s.update({k: v for k, v in event.items() if k != "event"})

    def snapshot(self) -> Snapshot:
        with self._lock:
            s = dict(self._state)
            batches, history = tuple(s["batches"]), tuple(s["history"])
        steps = s["steps_per_epoch"]
        done = (s["epoch"] - 1) * steps + s["batch"]
        total = self.config.epochs * steps
        rate = eta = None
        ran = done - s["first_step"] if s["first_batch_at"] is not None else 0  # batches since this job's first
        if ran > 0:
            # time from the first batch on, so graph building does not count against speed
            spent = s["last_batch_at"] - s["first_batch_at"]
            per_batch = spent / ran
            rate = self.config.batch_size / per_batch if per_batch > 0 else 0.0
            eta = per_batch * max(0, total - done) if s["status"] in (RUNNING, STARTING) else None
        end = s.get("ended", time.time())
        return Snapshot(self.run.id, s["status"], s["epoch"], self.config.epochs, s["batch"], steps,
                        batches, history, rate or 0.0, eta, end - s["started"], s["error"], s["test_accuracy"])

    # --- the work ---------------------------------------------------------------------------------------
    def _work(self, data) -> None:
        try:
            outcome = train(self.config, self.run, data=data, listener=self.listen, stop_event=self.stop_event,
                            resume=self.resume, strategy=self.strategy)
            self.listen({"event": "status", **outcome})
        except Exception as exc:  # the thread must always leave a final status behind
            reason = f"{exc.__class__.__name__}: {exc}"
            self.run.set_status(runs.FAILED, error=reason, traceback=traceback.format_exc()[-4000:])
            self.listen({"event": "status", "status": runs.FAILED, "error": reason})
        finally:
            with self._lock:
                self._state["ended"] = time.time()


def train(config: TrainConfig, run: runs.Run, *, data=None, listener=None, stop_event=None,
          resume: bool = False, strategy=None, callbacks=()) -> dict:
    """Train ``config`` into ``run``'s folder, in this thread; returns the final status event fields.

    Saves the history and the model after each finished epoch, keeps the model
    at a stop, keeps the last good model when the loss diverges, writes
    TensorBoard logs under run/tensorboard, and evaluates on the test set at
    the end. ``data`` defaults to ``data.load()``.

    With ``resume`` it goes on from the run's saved model (and the optimizer
    state saved in it) at epoch len(history) + 1, up to config.epochs, with the
    learning-rate schedule at the step it had reached. A model saved at a stop
    mid-epoch has trained part of that epoch already; that epoch is trained in
    full once more, so it counts once in the history. The shuffling restarts
    from the seed, so a resumed run is not bit-identical to an uninterrupted one.

    Under a tf.distribute ``strategy`` the model is built in its scope, and
    Keras splits each batch of ``config.batch_size`` images among its replicas.
    ``callbacks`` are more Keras callbacks, called after this function's own
    (a benchmark uses one to test the model as it trains).
    """
    import keras

    from .callbacks import Lookahead, Monitor, tensorboard_logger  # Keras loads with the first training
    listener = listener or (lambda event: None)
    data = data if data is not None else cifar10.load()
    keras.utils.set_random_seed(config.seed)
    parts = training.split(data, config)  # the same seed draws the same split when resuming
    if len(parts.y_train) == 0:
        raise ValueError("no training images left after the validation split")
    history = run.history() if resume else []
    with strategy.scope() if strategy is not None else contextlib.nullcontext():
        model = _saved_model(run, config) if resume else training.build_model(config, parts.x_train)
    train_ds = training.make_dataset(parts.x_train, parts.y_train, config, training=True)
    val_ds = (training.make_dataset(parts.x_val, parts.y_val, config, training=False)
              if len(parts.y_val) else None)
    steps = int(train_ds.cardinality())
    listener({"event": "status", "status": RUNNING, "steps_per_epoch": steps, "epoch": len(history) + 1,
              "history": list(history)})
    total = steps * config.epochs
    log_epoch = tensorboard_logger(run.path / "tensorboard")

    def save_epoch(row, model):
        run.save_model(model)
        run.append_epoch(row)
        log_epoch(row)

    monitor = Monitor(listener, steps_per_epoch=steps, stop_event=stop_event, validation=val_ds,
                      schedule=lambda step: training.learning_rate_at(step, total, steps, config),
                      on_epoch=save_epoch)
    earlier = (run.status_record().get("train_seconds") or 0.0) if resume else 0.0
    started = time.time()
    # lookahead first: at the last step it sets the weights that the monitor then saves
    own = [Lookahead(total)] * config.lookahead + [monitor]
    model.fit(train_ds, initial_epoch=len(history), epochs=config.epochs, callbacks=own + list(callbacks),
              verbose=0, shuffle=False)
    return _finish(config, run, model, monitor, parts, stop_event, earlier + time.time() - started,
                   distributed=getattr(strategy, "num_replicas_in_sync", 1) > 1)


def _saved_model(run: runs.Run, config: TrainConfig):
    """The run's saved model to train on: compiled with its saved optimizer state, else compiled afresh."""
    try:
        model = runs.load_model_file(run.model_path, compile=True)
    except runs.RunError:  # e.g. an optimizer Keras cannot rebuild: the weights alone still resume
        model = None
    if model is None or getattr(model, "optimizer", None) is None:
        model = run.load_model()
        training.compile_model(model, config)
    return model


def _finish(config: TrainConfig, run: runs.Run, model, monitor, parts, stop_event, seconds: float, *,
            distributed: bool = False) -> dict:
    """After fit(): the run's final status, and the test evaluation of whatever model it kept."""
    from . import evaluation  # scikit-learn loads when a training ends, not with the app's pages
    epochs_done = len(run.history())
    if monitor.diverged:
        run.set_status(runs.FAILED, error=monitor.diverged, train_seconds=seconds)
        return {"status": runs.FAILED, "error": monitor.diverged}
    stopped = stop_event is not None and stop_event.is_set() and epochs_done < config.epochs
    if stopped and monitor.batches:
        run.save_model(model)  # keep what the unfinished epoch trained too
    result = {"status": runs.STOPPED if stopped else runs.FINISHED}
    if run.has_model:
        # the saved model has the weights in hand: the last finished epoch's, or those at the stop
        # a distributed model is tested as a plain copy from disk: under the strategy an odd batch splits unevenly
        tested = run.load_model() if distributed else model
        ev = evaluation.evaluate(tested, parts.x_test, parts.y_test, tta_flip=config.tta_flip,
                                 tta_shift=config.tta_shift)
        run.save_evaluation(ev)
        result["test_accuracy"] = float(ev.accuracy)
    run.set_status(result["status"], train_seconds=seconds, epochs_done=epochs_done,
                   test_accuracy=result.get("test_accuracy"))
    return result


# --- one job per process ----------------------------------------------------------------------------------

_lock = threading.Lock()
_current: Job | None = None


def start(config: TrainConfig, *, data=None, strategy=None, base=None) -> Job:
    """Start training ``config`` into a new run in a background thread; JobBusyError if one is training.

    The run folder goes under ``base`` (default: the runs folder); ``strategy``: see ``train``.
    """
    return _launch(lambda: Job(config, runs.create(config.to_dict(), base=base), strategy=strategy), data)


def resume(run: runs.Run, *, data=None, strategy=None) -> Job:
    """Go on training a stopped or interrupted run in its own folder, in a background thread.

    It continues from the last finished epoch to the epochs its config asks for
    (see ``train``). Raises runs.RunError when the run cannot be resumed (the
    message says why), JobBusyError when a job is training.
    """
    def prepare():
        config = resumable(run)
        run.set_status(runs.RUNNING, error=None, traceback=None)
        return Job(config, run, resume=True, strategy=strategy)
    return _launch(prepare, data)


def resumable(run: runs.Run) -> TrainConfig:
    """The config to resume ``run`` with; runs.RunError saying why when it cannot be resumed."""
    status = run.status
    if status == runs.RUNNING:
        raise runs.RunError(f"run {run.id} is training right now")
    if status == runs.FINISHED:
        raise runs.RunError(f"run {run.id} is finished: all its epochs are done. To train longer, train again "
                            f"with these settings and more epochs")
    if status == runs.IMPORTED:
        raise runs.RunError(f"run {run.id} is an imported model: there is no training of ours to go on with")
    if not run.has_model:
        raise runs.RunError(f"run {run.id} ({status}) saved no model to go on from; train it again instead")
    try:
        return TrainConfig.from_dict(run.config)
    except (TypeError, ValueError) as exc:
        raise runs.RunError(f"run {run.id} has a config that cannot train: {exc}") from exc


def _launch(make_job, data) -> Job:
    global _current
    with _lock:
        if _current is not None and _current.active:
            raise JobBusyError(f"run {_current.run.id} is training right now; stop it or wait for it "
                               f"to finish before starting another")
        job = make_job()
        job._thread = threading.Thread(target=job._work, args=(data,), name=f"train-{job.run.id}", daemon=True)
        _current = job
        job._thread.start()
        return job


def current() -> Job | None:
    """The job training now, or the last one this process ran (None before the first)."""
    return _current
