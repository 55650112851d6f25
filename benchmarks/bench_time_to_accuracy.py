"""Time to 70%, 75% and 85% test accuracy: presets side by side, in one process, on one machine.

usage: CIFAR10_PATH=../shared/data/cifar-10-python.tar.gz python benchmarks/bench_time_to_accuracy.py
           [--presets fast keras_tutorial] [--max-epochs keras_tutorial=12] [--readings 4]
           [--every 2] [--turn 3] [--json OUT]

Each preset trains with its own settings through the app's training path
(trainer.train: the same code the Train page and the CLI run). Four times an
epoch (``--readings``), at each epoch's end, and with ``--every S`` also each
time the preset's clock passes another S seconds, the model as it stands is
tested on all 10,000 test images (with the preset's test-time augmentation);
that testing is not counted as training time. A target's time is that of the
first reading at or above it, so it is late by up to one gap between
readings: a quarter epoch is about 2 s of the Keras tutorial but 4 s or
more of the fast preset, while ``--every 2`` gives both the same 2 s (until
a preset passes 85%). The clock is the training time so far: building the
model, the batches, the saving of the model after each epoch and the
preset's own validation. ``--max-epochs`` cuts a preset's
schedule short; a constant learning rate (the Keras tutorial's) makes that
the same as stopping the full run there.

The presets train at the same time, taking turns of ``--turn`` seconds (each
in its own thread, one running while the others wait between two batches),
and each one's clock counts only its own turns. This machine's speed swings
2-3x within minutes; one preset after the other would put a slow spell on
one of them only, while turns of a few seconds put the same minutes on both.
``--turn 0`` trains them one after the other instead.
"""
import argparse
import json
import os
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from cifar_demo import data, evaluation, runs, settings, trainer

TARGETS = (0.70, 0.75, 0.85)


class Turns:
    """Lets one of several threads run at a time, in turns of ``seconds``, and clocks each one's own time.

    A thread calls ``wait(name)`` to start, ``take_turn(name)`` between two
    batches (it hands over once its turn is up), and ``done(name)`` at its end;
    ``clock(name)`` is the time ``name`` has run so far. With seconds=0 each
    runs to its end before the next starts.
    """

    def __init__(self, names, seconds: float):
        self.queue, self.seconds = list(names), seconds
        self.ran = dict.fromkeys(names, 0.0)
        self.since = 0.0
        self.changed = threading.Condition()

    def wait(self, name: str) -> None:
        with self.changed:
            self.changed.wait_for(lambda: self.queue[0] == name)
            self.since = time.perf_counter()

    def take_turn(self, name: str) -> None:
        if self.seconds and len(self.queue) > 1 and time.perf_counter() - self.since >= self.seconds:
            self._hand_over(name, again=True)
            self.wait(name)

    def done(self, name: str) -> None:
        self._hand_over(name, again=False)

    def clock(self, name: str) -> float:
        return self.ran[name] + time.perf_counter() - self.since

    def _hand_over(self, name: str, *, again: bool) -> None:
        with self.changed:
            self.ran[name] = self.clock(name)
            self.queue.remove(name)
            if again:
                self.queue.append(name)
            self.changed.notify_all()


def measure(key: str, dataset, max_epochs: int | None, readings: int, turns: Turns, every: float = 0) -> dict:
    """Train preset ``key`` in its turns, testing it ``readings`` times per epoch and every ``every``
    seconds of its training (0: not by time); seconds of training to each target."""
    import keras
    overrides = {"epochs": max_epochs} if max_epochs else {}
    config = settings.TrainConfig.for_preset(key, **overrides)
    rows, spent = [], {"stopped": 0.0, "due": every}

    class Test(keras.callbacks.Callback):
        """Test on all 10,000 images every 1/readings of an epoch (and every ``every`` seconds),
        with the clock stopped.

        The clock also stops from an epoch's start to its first batch. Training
        alone spends under 0.2 s there, but after these mid-epoch tests it
        sometimes waits 16-36 s for the next epoch's first batch, a wait the
        app's training never has (BENCHMARKS.md).
        """
        def on_epoch_begin(self, epoch, logs=None):
            self.epoch, self.began = epoch, time.perf_counter()

        def on_train_batch_begin(self, batch, logs=None):
            if batch == 0:
                spent["stopped"] += time.perf_counter() - self.began
            turns.take_turn(key)  # between batches, after the last one's saving and validation

        def on_train_batch_end(self, batch, logs=None):
            steps, done = self.params["steps"], batch + 1
            seconds = turns.clock(key) - spent["stopped"]
            gap = max(1, steps // readings)
            # by time only until every target is passed: later readings could not change a target's time
            timed = (every and seconds >= spent["due"]
                     and not any(r["test_accuracy"] >= max(TARGETS) for r in rows))
            if done != steps and (done % gap or steps - done < gap // 2) and not timed:
                return  # not a reading point, or one so near the epoch's end that it would repeat it
            if timed:
                spent["due"] = (seconds // every + 1) * every
            t = time.perf_counter()
            ev = evaluation.evaluate(self.model, dataset.x_test, dataset.y_test, tta_flip=config.tta_flip,
                                     tta_shift=config.tta_shift)
            spent["stopped"] += time.perf_counter() - t
            epochs = round(self.epoch + (batch + 1) / steps, 2)
            rows.append({"epochs": epochs, "train_seconds": round(seconds, 1), "test_accuracy": float(ev.accuracy)})
            print(f"  {key} epoch {epochs:5.2f}: {seconds:6.1f} s trained, test accuracy {ev.accuracy:.2%}",
                  flush=True)

    turns.wait(key)
    try:
        with tempfile.TemporaryDirectory() as folder:
            run = runs.create(config.to_dict(), base=folder)
            trainer.train(config, run, data=dataset, callbacks=[Test()])
    finally:
        turns.done(key)
    reached = {f"{t:.0%}": next((r["train_seconds"] for r in rows if r["test_accuracy"] >= t), None)
               for t in TARGETS}
    return {"preset": key, "epochs": config.epochs, "batch_size": config.batch_size,
            "precision": settings.resolve_precision(config.precision), "readings": rows, "seconds_to": reached,
            "best": max(r["test_accuracy"] for r in rows), "final": rows[-1]["test_accuracy"],
            "train_seconds": rows[-1]["train_seconds"]}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--presets", nargs="+", default=["fast", "keras_tutorial"])
    p.add_argument("--max-epochs", nargs="*", default=["keras_tutorial=12"], metavar="PRESET=N")
    p.add_argument("--readings", type=int, default=4, help="test readings per epoch (default 4)")
    p.add_argument("--every", type=float, default=0,
                   help="also test each time a preset's training clock passes another this many seconds")
    p.add_argument("--turn", type=float, default=3.0,
                   help="seconds each preset trains before the next takes its turn; 0: one after the other")
    p.add_argument("--json", help="also write the figures to this file")
    args = p.parse_args()
    caps = {k: int(v) for k, v in (item.split("=") for item in args.max_epochs)}
    dataset = data.load()
    print(f"CPU: {os.cpu_count()} cores; bfloat16 hardware: {settings.cpu_has_bf16()}")
    turns = Turns(args.presets, args.turn)
    results = dict.fromkeys(args.presets)

    def run(key):
        results[key] = measure(key, dataset, caps.get(key), args.readings, turns, args.every)

    threads = [threading.Thread(target=run, args=(key,), name=key) for key in args.presets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if None in results.values():
        sys.exit("a preset failed to train (see above)")
    results = list(results.values())

    print("\nseconds of training to reach a test accuracy (-: not reached)")
    print(f"{'preset':<16}{'epochs':>7}" + "".join(f"{t:>9.0%}" for t in TARGETS) + f"{'best':>9}")
    for r in results:
        cells = "".join(f"{r['seconds_to'][f'{t:.0%}'] or '-':>9}" for t in TARGETS)
        print(f"{r['preset']:<16}{r['epochs']:>7}{cells}{r['best']:>9.2%}")
    if len(results) >= 2:
        first, other = results[0], results[1]
        for t in TARGETS:
            a, b = first["seconds_to"][f"{t:.0%}"], other["seconds_to"][f"{t:.0%}"]
            if a and b:
                print(f"to {t:.0%}: {first['preset']} is {b / a:.1f}x sooner than {other['preset']}")
            elif a:
                print(f"to {t:.0%}: {first['preset']} in {a:.0f} s; {other['preset']} never, "
                      f"in {other['epochs']} epochs ({other['train_seconds']:.0f} s)")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1)


if __name__ == "__main__":
    main()
