"""The all-convolutional CIFAR-10 tutorial's network, in plain Keras, written the way the tutorial writes it.

usage: CIFAR10_PATH=../shared/data/cifar-10-python.tar.gz python benchmarks/tutorials/all_conv.py
           [--epochs 10] [--subset N] [--seed 0]

The plain twin of the app's ``all_conv`` preset (cifar_demo/recipes.py): no
dense layer at all. Conv48(same)-Conv48(valid)-Pool-Dropout 0.25,
Conv48(same)-Conv48(valid), a 1x1 Conv10, global average pooling, softmax
(3x3 kernels, ReLU); Adam, batch 100, 10 epochs, the last 10% of the training
images held out by ``validation_split=0.1``. The tutorial reports 73.05% test
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
    args = options(__doc__, epochs=10)
    seed_weights(args.seed)

    (x_train, y_train), (x_test, y_test) = load_data()
    x_train, y_train = x_train[:args.subset], y_train[:args.subset]
    x_train = x_train.astype("float32") / 255
    x_test = x_test.astype("float32") / 255

    model = keras.Sequential([
        keras.Input(shape=(32, 32, 3)),
        layers.Conv2D(48, (3, 3), padding="same", activation="relu"),
        layers.Conv2D(48, (3, 3), activation="relu"),
        layers.MaxPooling2D((2, 2)),
        layers.Dropout(0.25),
        layers.Conv2D(48, (3, 3), padding="same", activation="relu"),
        layers.Conv2D(48, (3, 3), activation="relu"),
        layers.Conv2D(10, (1, 1)),
        layers.GlobalAveragePooling2D(),
        layers.Activation("softmax"),
    ])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])

    started = time.perf_counter()
    model.fit(x_train, y_train, epochs=args.epochs, batch_size=100, validation_split=0.1, verbose=2)
    seconds = time.perf_counter() - started
    test_loss, test_acc = model.evaluate(x_test, y_test, verbose=2)
    report("all_conv", test_acc, seconds, args, len(x_train))


if __name__ == "__main__":
    main()
