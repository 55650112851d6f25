"""What the held-out curve costs a preset: one epoch's held-out check against one epoch's training.

usage: CIFAR10_PATH=../shared/data/cifar-10-python.tar.gz python benchmarks/bench_held_out.py
           [--preset fast] [--steps 40] [--repeats 3]

A preset that trains on all its images (fast, long) checks the first 2,000 test
images after every epoch (trainer.HELD_OUT_TEST_IMAGES). This times that check
(Keras evaluate on the run's own pipeline, after a first call that builds it)
and the training steps of the same model (their images per second after 5
warm-up steps), and gives the check's share of an epoch of 50,000 images.
"""
import argparse
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from cifar_demo import data, settings, trainer, training


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--preset", default="fast")
    p.add_argument("--steps", type=int, default=40)
    p.add_argument("--repeats", type=int, default=3)
    args = p.parse_args()
    import keras
    cifar = data.load()
    config = settings.TrainConfig.for_preset(args.preset)
    parts = training.split(cifar, config)
    model = training.build_model(config, parts.x_train)
    n = trainer.HELD_OUT_TEST_IMAGES
    held_out = training.make_dataset(parts.x_test[:n], parts.y_test[:n], config, training=False)
    train = training.make_dataset(parts.x_train, parts.y_train, config, training=True).take(5 + args.steps)
    ends = []
    clock = keras.callbacks.LambdaCallback(on_train_batch_end=lambda batch, logs: ends.append(time.perf_counter()))
    model.fit(train, epochs=1, verbose=0, callbacks=[clock])
    per_image = (ends[-1] - ends[4]) / (args.steps * config.batch_size)
    model.evaluate(held_out, verbose=0)  # builds the test step
    checks = []
    for _ in range(args.repeats):
        start = time.perf_counter()
        model.evaluate(held_out, verbose=0)
        checks.append(time.perf_counter() - start)
    epoch = per_image * len(parts.y_train)
    check = sorted(checks)[len(checks) // 2]
    print(f"{args.preset}: training {1 / per_image:,.0f} images/s, an epoch of {len(parts.y_train):,} images "
          f"{epoch:.1f} s; the held-out check of {n:,} test images {check:.2f} s (median of {args.repeats}): "
          f"{100 * check / epoch:.1f}% of an epoch", flush=True)


if __name__ == "__main__":
    main()
