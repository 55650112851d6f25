"""The Keras tutorial's CIFAR-10 network, in plain Keras, written the way the tutorial writes it.

usage: CIFAR10_PATH=../shared/data/cifar-10-python.tar.gz python benchmarks/tutorials/keras_tutorial.py
           [--epochs 25] [--subset N] [--seed 0]

The plain twin of the app's ``keras_tutorial`` preset (cifar_demo/recipes.py):
Conv32-Pool-Conv64-Pool-Conv128-Pool (3x3, same padding, ReLU), Dense128,
Dropout 0.5, softmax; Adam, batch 64, 25 epochs, the last 20% of the training
images held out by ``validation_split=0.2``. The tutorial reports 75% test
accuracy. It imports nothing of cifar_demo.

The one change from the tutorial: the images come from the archive named by
CIFAR10_PATH, read by ``harness.load_data`` into what
``keras.datasets.cifar10.load_data()`` returns (which would download). Added
for the benchmark: ``--epochs``, ``--subset`` (train on the first N training
images) and ``--seed`` (seeds the starting weights, not the order: see
``harness.seed_weights``), epoch lines instead of progress bars
(``verbose=2``), and a last line of JSON: test accuracy, seconds in ``fit``,
epochs. Run beside its preset by benchmarks/bench_tutorial_twins.py.
"""
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras
from harness import load_data, options, report, seed_weights
from keras import layers


def main() -> None:
    args = options(__doc__, epochs=25)
    seed_weights(args.seed)

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
    report("keras_tutorial", test_acc, seconds, args, len(x_train))


if __name__ == "__main__":
    main()
