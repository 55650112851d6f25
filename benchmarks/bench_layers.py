"""Where a training step's time goes: forward + backward milliseconds per layer kind and shape.

usage: python benchmarks/bench_layers.py [--batch 256] [--repeats 20]

Each row times one layer alone on random maps of the shape it sees in the fast
preset (a batch of 256), forward and backward (the gradient with respect to
its input and its weights), after two warm-up calls. Compares Keras's
BatchNormalization with the project's FusedBatchNorm, and ReLU with GELU.
"""
import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras
import tensorflow as tf
from keras import layers

from cifar_demo.layers import FusedBatchNorm


def millis(make_layer, shape: tuple, batch: int, repeats: int, input_grad: bool = True) -> float:
    x = tf.random.normal((batch, *shape))
    layer = make_layer()
    layer(x)

    @tf.function
    def step(x):
        with tf.GradientTape() as tape:
            tape.watch(x)
            loss = tf.reduce_sum(layer(x, training=True))
        return tape.gradient(loss, ([x] if input_grad else []) + layer.trainable_weights)

    for _ in range(2):
        step(x)
    started = time.perf_counter()
    for _ in range(repeats):
        out = step(x)
    out[0].numpy()
    return (time.perf_counter() - started) / repeats * 1000


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--batch", type=int, default=256)
    p.add_argument("--repeats", type=int, default=20)
    args = p.parse_args()
    rows = [
        ("conv 3x3, 31x31, 24->32 (block 1)",
         lambda: layers.Conv2D(32, 3, padding="same", use_bias=False), (31, 31, 24)),
        ("  same, no input gradient (first trained layer)",
         lambda: layers.Conv2D(32, 3, padding="same", use_bias=False), (31, 31, 24), False),
        ("conv 3x3, 15x15, 32->96 (block 2)",
         lambda: layers.Conv2D(96, 3, padding="same", use_bias=False), (15, 15, 32)),
        ("conv 3x3, 7x7, 96->192 (block 3)", lambda: layers.Conv2D(192, 3, padding="same", use_bias=False), (7, 7, 96)),
        ("batch norm, Keras, 15x15x32", lambda: layers.BatchNormalization(), (15, 15, 32)),
        ("batch norm, fused, 15x15x32", lambda: FusedBatchNorm(), (15, 15, 32)),
        ("batch norm, Keras, 7x7x96", lambda: layers.BatchNormalization(), (7, 7, 96)),
        ("batch norm, fused, 7x7x96", lambda: FusedBatchNorm(), (7, 7, 96)),
        ("GELU, 31x31x24", lambda: layers.Activation("gelu"), (31, 31, 24)),
        ("ReLU, 31x31x24", lambda: layers.Activation("relu"), (31, 31, 24)),
        ("GELU, 15x15x32", lambda: layers.Activation("gelu"), (15, 15, 32)),
        ("ReLU, 15x15x32", lambda: layers.Activation("relu"), (15, 15, 32)),
        ("max pool 2, 31x31x32", lambda: layers.MaxPooling2D(2), (31, 31, 32)),
    ]
    print(f"ms per batch of {args.batch}, forward + backward, {os.cpu_count()} cores")
    for name, make, shape, *grad in rows:
        print(f"{name:<52}{millis(make, shape, args.batch, args.repeats, *grad):8.1f}", flush=True)
        keras.backend.clear_session()


if __name__ == "__main__":
    main()
