"""What the four tutorial scripts share and no tutorial has: the CIFAR-10 archive read as
``keras.datasets.cifar10.load_data()`` would return it (which would download), the benchmark's options
(``--epochs``, ``--subset``, ``--seed``), the seeding of the weights, and the last line of JSON that
bench_tutorial_twins.py reads.

Like the scripts, it imports nothing of cifar_demo.
"""
import argparse
import json
import os
import pickle
import random
import tarfile

import numpy as np

# the only globals a batch of CIFAR-10 may name (numpy.core: the original's; numpy._core: NumPy 2's)
ARRAY_GLOBALS = {("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "_reconstruct"),
                 ("numpy", "ndarray"), ("numpy", "dtype")}


class ArraysOnly(pickle.Unpickler):
    def find_class(self, module, name):
        if (module, name) not in ARRAY_GLOBALS:
            raise pickle.UnpicklingError(f"refused {module}.{name}: a CIFAR-10 batch holds only arrays")
        return super().find_class(module, name)


def load_data():
    """keras.datasets.cifar10.load_data(), read from the archive at CIFAR10_PATH:
    ((x_train, y_train), (x_test, y_test)), x uint8 of shape (N, 32, 32, 3), y uint8 of shape (N, 1)."""
    batches = {}
    with tarfile.open(os.environ["CIFAR10_PATH"]) as tar:
        for member in tar:
            name = member.name.rpartition("/")[2]
            if name.startswith(("data_batch_", "test_batch")):
                batch = ArraysOnly(tar.extractfile(member), encoding="bytes").load()
                x = np.asarray(batch[b"data"], np.uint8).reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)
                batches[name] = x, np.asarray(batch[b"labels"], np.uint8).reshape(-1, 1)
    train = [batches[f"data_batch_{i}"] for i in range(1, 6)]
    return (np.concatenate([x for x, _ in train]), np.concatenate([y for _, y in train])), batches["test_batch"]


def seed_weights(seed: int) -> None:
    """Seed the network's starting weights and its dropout, and nothing else: Python's and NumPy's random.

    Keras 3 draws every layer's seed from Python's random. Not
    ``keras.utils.set_random_seed``, which also sets TensorFlow's global seed:
    Keras then shuffles NumPy training arrays in the same order every epoch
    (the permutation is a seeded random op inside tf.data, made again with the
    same seed for each epoch's iterator; tensorflow#35682 is the mechanism).
    The tutorials set no seed and get a new order each epoch; with the same
    order, two_block ended 63.7% instead of about 68% (BENCHMARKS.md).
    """
    random.seed(seed)
    np.random.seed(seed)


def options(doc: str, *, epochs: int) -> argparse.Namespace:
    """The script's options: --epochs (default: its tutorial's), --subset and --seed."""
    p = argparse.ArgumentParser(description=doc.splitlines()[0])
    p.add_argument("--epochs", type=int, default=epochs)
    p.add_argument("--subset", type=int, help="train on the first N training images (default: all 50,000)")
    p.add_argument("--seed", type=int, default=0)
    return p.parse_args()


def report(tutorial: str, test_accuracy: float, seconds: float, args: argparse.Namespace, images: int) -> None:
    """The last line a script prints: its test accuracy, seconds in fit, epochs, images and seed, as JSON."""
    print(json.dumps({"tutorial": tutorial, "test_accuracy": test_accuracy, "train_seconds": round(seconds, 1),
                      "epochs": args.epochs, "images": images, "seed": args.seed}))
