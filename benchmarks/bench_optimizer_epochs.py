"""Test accuracy after each epoch of a preset, with its own optimizer or another: what an optimizer buys per epoch.

usage: CIFAR10_PATH=../shared/data/cifar-10-python.tar.gz python benchmarks/bench_optimizer_epochs.py
           [--preset fast] [--optimizer muon] [--epochs 5] [--batch-size 256] [--json OUT]

Trains the preset through trainer.train (the app's path) with the settings
given, and after each epoch tests the model as it stands on all 10,000 test
images, one view (not counted as training time); at the end the run's own test
(with the preset's test-time averaging) is printed too. Accuracy per epoch is
what this compares: it hardly drifts between runs of one seed, while the
seconds drift with the machine (print them anyway, and compare side by side).
"""
import argparse
import json
import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from cifar_demo import data, runs, settings, trainer


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--preset", default="fast")
    p.add_argument("--optimizer", default=None, help="the preset's own when not given")
    p.add_argument("--epochs", type=int, default=None)
    p.add_argument("--batch-size", type=int, default=None)
    p.add_argument("--learning-rate", type=float, default=None)
    p.add_argument("--json", default=None)
    args = p.parse_args()
    import keras
    cifar = data.load()
    wanted = {"optimizer": args.optimizer, "epochs": args.epochs, "batch_size": args.batch_size,
              "learning_rate": args.learning_rate}
    config = settings.TrainConfig.for_preset(args.preset, **{k: v for k, v in wanted.items() if v is not None})
    rows, clock = [], {"train": 0.0}
    x_test = data.normalize(cifar.x_test)

    class Probe(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            self.started = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            clock["train"] += time.perf_counter() - self.started
            proba = self.model.predict(x_test, batch_size=1000, verbose=0)
            rows.append({"epoch": epoch + 1, "train_s": round(clock["train"], 1),
                         "test_one_view": float((proba.argmax(1) == cifar.y_test).mean())})
            print(json.dumps(rows[-1]), flush=True)

    run = runs.create(config.to_dict(), base=tempfile.mkdtemp())
    result = trainer.train(config, run, data=cifar, callbacks=[Probe()])
    summary = {"preset": args.preset, "optimizer": config.optimizer, "epochs": config.epochs,
               "batch_size": config.batch_size, **result, "train_seconds": run.status_record().get("train_seconds"),
               "per_epoch": rows}
    print(json.dumps({k: v for k, v in summary.items() if k != "per_epoch"}), flush=True)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(summary, f, indent=1)


if __name__ == "__main__":
    main()
