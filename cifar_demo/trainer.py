"""One training, in this process, reporting through its run folder: progress, heartbeat, stop, test.

The command line trains here directly; the app and ``train --queue`` leave a
run queued, and a worker process (queueing.py) trains it here. Either way
the training is watched and controlled through the run folder alone (live.py),
so any process can show it live or stop it.
"""
from __future__ import annotations

import contextlib
import threading
import time
import traceback

from . import data as cifar10
from . import live, runs, training
from .settings import TrainConfig

HEARTBEAT_SECONDS = 2.0  # how often a trainer touches its heartbeat file (runs.HEARTBEAT_STALE: when it is dead)
HELD_OUT_TEST_IMAGES = 2_000  # the held-out images of a run without a validation split: the first test images


@contextlib.contextmanager
def heartbeat(run: runs.Run):
    """Touch the run's heartbeat file every few seconds while the block runs, from a thread of its own."""
    path, done = run.path / runs.HEARTBEAT_FILE, threading.Event()

    def beat():
        while not done.is_set():
            path.touch()
            done.wait(HEARTBEAT_SECONDS)

    thread = threading.Thread(target=beat, name=f"heartbeat-{run.id}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        done.set()
        thread.join()


def train(config: TrainConfig, run: runs.Run, *, data=None, listener=None, resume: bool = False,
          strategy=None, callbacks=()) -> dict:
    """Train ``config`` into ``run``'s folder, in this thread; returns the final status fields.

    Marks the run running by this process, keeps its live.json, heartbeat and
    control.json (live.py) while it trains, saves the history and the model
    after each finished epoch, pauses, goes on and changes its learning rate
    when asked (live.request_pause, live.request_learning_rate), stops after
    the batch under way once a stop is requested (live.request_stop, from any
    process) and keeps the model then,
    keeps the last good model when the loss diverges, writes TensorBoard logs
    under run/tensorboard, and evaluates on the test set at the end. Any error
    ends as a failed run with its reason, not as an exception. ``data``
    defaults to ``data.load()``; ``listener`` hears every event too.

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
    history = run.history() if resume else []
    views = (2 if config.tta_flip else 1) * (3 if config.tta_shift else 1)
    writer = live.LiveWriter(run, epochs=config.epochs, batch_size=config.batch_size, history=history,
                             test_passes=(config.test_subset or 10_000) * views)
    report = writer if listener is None else lambda event: (writer(event), listener(event))
    run.set_status(runs.RUNNING, error=None, traceback=None)  # by this process, from now on
    with heartbeat(run):
        try:
            return _fit(config, run, data, report, writer, live.Control(run), resume, strategy, callbacks)
        except Exception as exc:  # whatever went wrong, the run says so and keeps what it had saved
            reason = f"{exc.__class__.__name__}: {exc}"
            run.set_status(runs.FAILED, error=reason, traceback=traceback.format_exc()[-4000:])
            return {"status": runs.FAILED, "error": reason}


def _fit(config: TrainConfig, run: runs.Run, data, report, writer, control, resume, strategy, callbacks) -> dict:
    import keras

    from .callbacks import Lookahead, Monitor, tensorboard_logger  # Keras loads with the first training
    history = run.history() if resume else []
    data = data if data is not None else cifar10.load()
    keras.utils.set_random_seed(config.seed)
    parts = training.split(data, config)  # the same seed draws the same split when resuming
    if len(parts.y_train) == 0:
        raise ValueError("no training images left after the validation split")
    with strategy.scope() if strategy is not None else contextlib.nullcontext():
        model = _saved_model(run, config) if resume else training.build_model(config, parts.x_train)
    train_ds = training.make_dataset(parts.x_train, parts.y_train, config, training=True)
    val_ds = _held_out(config, run, parts, distributed=getattr(strategy, "num_replicas_in_sync", 1) > 1)
    steps = int(train_ds.cardinality())
    report({"event": "status", "steps_per_epoch": steps, "epoch": len(history) + 1})
    total = steps * config.epochs
    log_epoch = tensorboard_logger(run.path / "tensorboard")

    def save_epoch(row, model):
        run.save_model(model)
        run.append_epoch(row)
        log_epoch(row)

    monitor = Monitor(report, steps_per_epoch=steps, requests=control.requests, validation=val_ds,
                      schedule=lambda step: training.learning_rate_at(step, total, steps, config),
                      on_epoch=save_epoch, lr_scale=history[-1].get("lr_scale", 1.0) if history else 1.0)
    earlier = (run.status_record().get("train_seconds") or 0.0) if resume else 0.0
    started = time.time()
    # lookahead first: at the last step it sets the weights that the monitor then saves
    own = [Lookahead(total)] * config.lookahead + [monitor]
    # one endless iterator for the whole run: Keras would otherwise make a new one each epoch and throw away
    # the one it had begun to fill (wasted work; with tf.data's autotuning on, a stall of seconds)
    model.fit(train_ds.repeat(), steps_per_epoch=steps, initial_epoch=len(history), epochs=config.epochs,
              callbacks=own + list(callbacks), verbose=0, shuffle=False)
    writer.phase(live.TESTING)
    seconds = earlier + time.time() - started - monitor.paused_seconds  # training time: pauses left out
    return _finish(config, run, model, monitor, parts, control.stop_requested(), seconds,
                   distributed=getattr(strategy, "num_replicas_in_sync", 1) > 1)


def _held_out(config: TrainConfig, run: runs.Run, parts, *, distributed: bool):
    """The images to check the network on after each epoch: the validation split, or for a run that trains on
    every image, the first test images, as the Keras tutorials do with validation_data=(x_test, y_test).
    The run's status says which (held_out: validation | test), so the curves can say what they show."""
    if len(parts.y_val):
        run.set_status(runs.RUNNING, held_out=runs.VALIDATION)
        return training.make_dataset(parts.x_val, parts.y_val, config, training=False)
    if distributed:  # Keras cannot split an odd last batch of it among replicas
        return None
    n = min(HELD_OUT_TEST_IMAGES, len(parts.y_test))
    run.set_status(runs.RUNNING, held_out=runs.TEST, held_out_images=n)
    return training.make_dataset(parts.x_test[:n], parts.y_test[:n], config, training=False)


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


def _finish(config: TrainConfig, run: runs.Run, model, monitor, parts, stop: bool, seconds: float, *,
            distributed: bool = False) -> dict:
    """After fit(): the run's final status, and the test evaluation of whatever model it kept."""
    from . import evaluation  # scikit-learn loads when a training ends, not with the app's pages
    epochs_done = len(run.history())
    if monitor.diverged:
        run.set_status(runs.FAILED, error=monitor.diverged, train_seconds=seconds)
        return {"status": runs.FAILED, "error": monitor.diverged}
    stopped = stop and epochs_done < config.epochs
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
                   test_accuracy=result.get("test_accuracy"), paused_seconds=round(monitor.paused_seconds, 1))
    return result


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
