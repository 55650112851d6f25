"""The Keras tutorial's CIFAR-10 network, in plain Keras, written the way the tutorial writes it.

usage: CIFAR10_PATH=../shared/data/cifar-10-python.tar.gz python benchmarks/tutorials/keras_tutorial.py
           [--epochs 25] [--subset N] [--seed 0]

The plain twin of the app's ``keras_tutorial`` preset (cifar_demo/recipes.py):
Conv32-Pool-Conv64-Pool-Conv128-Pool (3x3, same padding, ReLU), Dense128,
Dropout 0.5, softmax; Adam, batch 64, 25 epochs, the last 20% of the training
images held out by ``validation_split=0.2``. The tutorial reports 75% test
accuracy. It imports nothing of cifar_demo.

The one change from the tutorial: the images come from the archive named by
CIFAR10_PATH, read by ``load_data`` below into what
``keras.datasets.cifar10.load_data()`` returns (which would download). Added
for the benchmark: ``--epochs``, ``--subset`` (train on the first N training
images) and ``--seed``, epoch lines instead of progress bars (``verbose=2``),
and a last line of JSON: test accuracy, seconds in ``fit``, epochs. Run beside
its preset by benchmarks/bench_tutorial_twins.py.
"""
import argparse
import json
import os
import pickle
import tarfile
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras
import numpy as np
from keras import layers

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


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--epochs", type=int, default=25)
    p.add_argument("--subset", type=int, help="train on the first N training images (default: all 50,000)")
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args()
    keras.utils.set_random_seed(args.seed)

    (x_train, y_train), (x_test, y_test) = load_data()
    x_train, y_train = x_train[:args.subset], y_train[:args.subset]
    x_train = x_train.astype("float32") / 255
    x_test = x_test.astype("float32") / 255

    model = keras.Sequential([
        keras.Input(shape=(32, 32, 3)),
        layers.Conv2D(32, (3, 3), padding="same", activation="relu"),
        layers.MaxPooling2D((2, 2)),
        layers.Conv2D(64, (3, 3), padding="same", activation="relu"),
        layers.MaxPooling2D((2, 2)),
        layers.Conv2D(128, (3, 3), padding="same", activation="relu"),
        layers.MaxPooling2D((2, 2)),
        layers.Flatten(),
        layers.Dense(128, activation="relu"),
        layers.Dropout(0.5),
        layers.Dense(10, activation="softmax"),
    ])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])

    started = time.perf_counter()
    model.fit(x_train, y_train, epochs=args.epochs, batch_size=64, validation_split=0.2, verbose=2)
    seconds = time.perf_counter() - started
    test_loss, test_acc = model.evaluate(x_test, y_test, verbose=2)
    print(json.dumps({"tutorial": "keras_tutorial", "test_accuracy": test_acc, "train_seconds": round(seconds, 1),
                      "epochs": args.epochs, "images": len(x_train), "seed": args.seed}))


if __name__ == "__main__":
    main()
