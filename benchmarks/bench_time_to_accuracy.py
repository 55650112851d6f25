"""Time to 70%, 75% and 85% test accuracy: presets side by side, in one process, on one machine.

usage: CIFAR10_PATH=../shared/data/cifar-10-python.tar.gz python benchmarks/bench_time_to_accuracy.py
           [--presets fast keras_tutorial] [--max-epochs keras_tutorial=12] [--readings 4] [--json OUT]

Each preset trains with its own settings through the app's training path
(jobs.train: the same code the Train page and the CLI run). Four times an
epoch (``--readings``), and at each epoch's end, the model as it stands is
tested on all 10,000 test images (with the preset's test-time augmentation);
that testing is not counted as training time. The clock is the training time
so far: building the model, the batches, the saving of the model after each
epoch and the preset's own validation. ``--max-epochs`` cuts a preset's
schedule short; a constant learning rate (the Keras tutorial's) makes that
the same as stopping the full run there.
"""
import argparse
import json
import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from cifar_demo import data, evaluation, jobs, runs, training  # noqa: E402

TARGETS = (0.70, 0.75, 0.85)


def measure(key: str, dataset, max_epochs: int | None, readings: int) -> dict:
    """Train preset ``key``, testing it ``readings`` times per epoch; seconds of training to each target."""
    import keras
    overrides = {"epochs": max_epochs} if max_epochs else {}
    config = training.TrainConfig.for_preset(key, **overrides)
    rows, spent = [], {"testing": 0.0}
    started = time.perf_counter()

    class Test(keras.callbacks.Callback):
        """Test on all 10,000 images every 1/readings of an epoch, with the clock stopped."""
        def on_epoch_begin(self, epoch, logs=None):
            self.epoch = epoch

        def on_train_batch_end(self, batch, logs=None):
            steps, done = self.params["steps"], batch + 1
            every = max(1, steps // readings)
            if done != steps and (done % every or steps - done < every // 2):
                return  # not a reading point, or one so near the epoch's end that it would repeat it
            t = time.perf_counter()
            seconds = t - started - spent["testing"]
            ev = evaluation.evaluate(self.model, dataset.x_test, dataset.y_test, tta_flip=config.tta_flip,
                                     tta_shift=config.tta_shift)
            spent["testing"] += time.perf_counter() - t
            epochs = round(self.epoch + (batch + 1) / steps, 2)
            rows.append({"epochs": epochs, "train_seconds": round(seconds, 1), "test_accuracy": float(ev.accuracy)})
            print(f"  {key} epoch {epochs:5.2f}: {seconds:6.1f} s trained, test accuracy {ev.accuracy:.2%}",
                  flush=True)

    with tempfile.TemporaryDirectory() as folder:
        run = runs.create(config.to_dict(), base=folder)
        jobs.train(config, run, data=dataset, callbacks=[Test()])
    reached = {f"{t:.0%}": next((r["train_seconds"] for r in rows if r["test_accuracy"] >= t), None)
               for t in TARGETS}
    return {"preset": key, "epochs": config.epochs, "batch_size": config.batch_size,
            "precision": training.resolve_precision(config.precision), "readings": rows, "seconds_to": reached,
            "best": max(r["test_accuracy"] for r in rows), "final": rows[-1]["test_accuracy"],
            "train_seconds": rows[-1]["train_seconds"]}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--presets", nargs="+", default=["fast", "keras_tutorial"])
    p.add_argument("--max-epochs", nargs="*", default=["keras_tutorial=12"], metavar="PRESET=N")
    p.add_argument("--readings", type=int, default=4, help="test readings per epoch (default 4)")
    p.add_argument("--json", help="also write the figures to this file")
    args = p.parse_args()
    caps = {k: int(v) for k, v in (item.split("=") for item in args.max_epochs)}
    dataset = data.load()
    print(f"CPU: {os.cpu_count()} cores; bfloat16 hardware: {training.cpu_has_bf16()}")
    results = [measure(key, dataset, caps.get(key), args.readings) for key in args.presets]

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
