"""The training input pipeline, before and after issue 20: its cost per batch, its cost to a training step, its stalls.

usage: CIFAR10_PATH=../shared/data/cifar-10-python.tar.gz python benchmarks/bench_pipeline.py
           [--preset fast] [--rounds 2] [--batches 150] [--stall-runs 3] [--stall-epochs 2]

"before" is the pipeline as it was until issue 20, kept here as the reference
(``before_dataset``): a shuffle buffer of the images themselves, the shift
cut from a reflect-padded copy, the flip by tf.reverse and tf.where, tf.data
autotuning on. "now" is ``training.make_dataset``. Three measurements, each
taking the two in turns (``--rounds``), so that a slow spell of the machine
falls on both:

1. ms per batch of the pipeline alone (``--batches`` augmented batches);
2. ms per optimizer step of the preset through Keras fit, fed by the pipeline,
   and fed one cached batch over and over (the step without any pipeline);
3. stalls: ``--stall-runs`` trainings of ``--stall-epochs`` epochs each way,
   Keras fit as the trainer calls it (before: a new iterator each epoch; now:
   one endless iterator), and the longest wait between two of fit's events after
   the first step (a batch's end, an epoch's start or end, fit's return) against
   the median step.
"""
import argparse
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from bench_tutorial_twins import describe, machine

from cifar_demo import data, settings, training
from cifar_demo.data import NUM_CLASSES, normalize


def before_dataset(images, labels, config):
    """The training pipeline as it was before issue 20 (cifar_demo/training.py and augment.py at 5cbe69b)."""
    import tensorflow as tf

    def fold(seed, n):
        return tf.random.experimental.stateless_fold_in(seed, n)

    def augment(seed, x):
        seed = tf.cast(seed, tf.int64)
        if config.flip:
            mirror = tf.random.stateless_uniform([tf.shape(x)[0]], fold(seed, 100)) < 0.5
            x = tf.where(mirror[:, None, None, None], tf.reverse(x, axis=[2]), x)
        if config.shift:
            p, s = config.shift, fold(seed, 101)
            b, h, w = tf.shape(x)[0], x.shape[1], x.shape[2]
            padded = tf.pad(x, [[0, 0], [p, p], [p, p], [0, 0]], mode="REFLECT")
            dy = tf.random.stateless_uniform([b], fold(s, 0), 0, 2 * p + 1, dtype=tf.int32)
            dx = tf.random.stateless_uniform([b], fold(s, 1), 0, 2 * p + 1, dtype=tf.int32)
            x = tf.gather(padded, dy[:, None] + tf.range(h)[None, :], axis=1, batch_dims=1)
            x = tf.gather(x, dx[:, None] + tf.range(w)[None, :], axis=2, batch_dims=1)
        return x

    ds = tf.data.Dataset.from_tensor_slices((images, labels))
    ds = ds.shuffle(len(images), seed=config.seed, reshuffle_each_iteration=True)
    ds = ds.batch(config.batch_size, drop_remainder=True)
    seeds = tf.data.Dataset.random(seed=config.seed, rerandomize_each_iteration=True).batch(2)

    def prepare(batch, seed):
        x, y = batch
        return normalize(augment(seed, x)), tf.one_hot(y, NUM_CLASSES)

    return (tf.data.Dataset.zip(ds, seeds).map(prepare, num_parallel_calls=tf.data.AUTOTUNE)
            .prefetch(tf.data.AUTOTUNE))


def now_dataset(images, labels, config):
    return training.make_dataset(images, labels, config, training=True)


WAYS = {"before": before_dataset, "now": now_dataset}


def pipeline_ms(make, parts, config, batches: int) -> float:
    """Milliseconds per batch of the pipeline alone, after one warm-up batch."""
    it = iter(make(parts.x_train, parts.y_train, config).repeat())
    next(it)
    start = time.perf_counter()
    for _ in range(batches):
        next(it)
    return (time.perf_counter() - start) / batches * 1000


def step_ms(model, ds, steps: int) -> float:
    """Median milliseconds per optimizer step of Keras fit over ``steps`` batches of ``ds``, after 5 warm-up."""
    import keras
    ends = []
    clock = keras.callbacks.LambdaCallback(on_train_batch_end=lambda batch, logs: ends.append(time.perf_counter()))
    model.fit(ds.take(5 + steps), epochs=1, verbose=0, callbacks=[clock])
    return float(np.median(np.diff(ends[4:]))) * 1000


def longest_wait(way: str, parts, config, epochs: int) -> tuple[float, float]:
    """(the longest wait between two of fit's events, the median step), in seconds, for one training."""
    import keras
    model = training.build_model(config, parts.x_train)
    ds = WAYS[way](parts.x_train, parts.y_train, config)
    steps = int(ds.cardinality())
    events = []
    mark = lambda *args, **kwargs: events.append(time.perf_counter())  # noqa: E731
    clock = keras.callbacks.LambdaCallback(on_epoch_begin=mark, on_epoch_end=mark, on_train_batch_end=mark)
    if way == "before":  # as trainer.py called it: Keras makes a new iterator each epoch
        model.fit(ds, epochs=epochs, verbose=0, callbacks=[clock])
    else:
        model.fit(ds.repeat(), steps_per_epoch=steps, epochs=epochs, verbose=0, callbacks=[clock])
    events.append(time.perf_counter())
    keras.backend.clear_session()
    gaps = np.diff(events[2:])  # from the first batch's end: the first step also builds the graph
    return float(gaps.max()), float(np.median(gaps))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--preset", default="fast")
    p.add_argument("--rounds", type=int, default=2)
    p.add_argument("--batches", type=int, default=150)
    p.add_argument("--stall-runs", type=int, default=3)
    p.add_argument("--stall-epochs", type=int, default=2)
    args = p.parse_args()
    import tensorflow as tf
    config = settings.TrainConfig.for_preset(args.preset)
    parts = training.split(data.load(), config)
    print(f"CPU: {describe(machine())}; "
          f"preset {args.preset}, batch {config.batch_size}, "
          f"flip {config.flip}, shift {config.shift}", flush=True)

    print("\n1. the pipeline alone, ms per batch")
    for r in range(args.rounds):
        figures = {way: pipeline_ms(make, parts, config, args.batches) for way, make in WAYS.items()}
        print(f"  round {r + 1}: before {figures['before']:.2f}, now {figures['now']:.2f} "
              f"({figures['before'] / figures['now']:.1f}x)", flush=True)

    print("\n2. one optimizer step through Keras fit, ms (median)")
    model = training.build_model(config, parts.x_train)
    cached = now_dataset(parts.x_train, parts.y_train, config).take(1).cache().repeat()
    for r in range(args.rounds):
        fed = {way: step_ms(model, make(parts.x_train, parts.y_train, config), 60) for way, make in WAYS.items()}
        alone = step_ms(model, cached, 60)
        print(f"  round {r + 1}: fed by before {fed['before']:.1f}, by now {fed['now']:.1f} "
              f"({fed['before'] / fed['now']:.2f}x); one cached batch {alone:.1f}", flush=True)
    del model
    tf.keras.backend.clear_session()

    print(f"\n3. the longest wait in {args.stall_epochs}-epoch trainings, s (and the median step)")
    for r in range(args.stall_runs):
        for way in WAYS:
            worst, step = longest_wait(way, parts, config, args.stall_epochs)
            print(f"  run {r + 1}, {way}: longest wait {worst:.2f} s (median step {step * 1000:.0f} ms)", flush=True)


if __name__ == "__main__":
    main()
