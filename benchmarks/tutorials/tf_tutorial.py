"""The TensorFlow tutorial's CIFAR-10 network (tensorflow.org/tutorials/images/cnn), in plain Keras, as it writes it.

usage: CIFAR10_PATH=../shared/data/cifar-10-python.tar.gz python benchmarks/tutorials/tf_tutorial.py
           [--epochs 10] [--subset N] [--seed 0]

The plain twin of the app's ``tf_tutorial`` preset (cifar_demo/recipes.py),
line for line the tutorial's code: Conv32-Pool-Conv64-Pool-Conv64 (3x3, valid
padding, ReLU), Dense64, then Dense(10) logits with
``SparseCategoricalCrossentropy(from_logits=True)``; ``optimizer='adam'``,
Keras's default batch of 32, 10 epochs, trained on all 50,000 training images
with the test set passed as ``validation_data``. The tutorial's text says
"a test accuracy of over 70%" (the preset's description: about 72%). It
imports nothing of cifar_demo.

The one change from the tutorial: the images come from the archive named by
CIFAR10_PATH, read by ``harness.load_data`` into what
``datasets.cifar10.load_data()`` returns (which would download). Added for the
benchmark: ``--epochs``, ``--subset`` (train on the first N training images)
and ``--seed`` (seeds the starting weights, not the order: see
``harness.seed_weights``), epoch lines instead of progress bars
(``verbose=2``), and a last line of JSON: test accuracy, seconds in ``fit``,
epochs. Run beside its preset by benchmarks/bench_tutorial_twins.py.
"""
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import tensorflow as tf
from harness import load_data, options, report, seed_weights
from tensorflow.keras import layers, models


def main() -> None:
    args = options(__doc__, epochs=10)
    seed_weights(args.seed)

    (train_images, train_labels), (test_images, test_labels) = load_data()
    train_images, train_labels = train_images[:args.subset], train_labels[:args.subset]

    # Normalize pixel values to be between 0 and 1
    train_images, test_images = train_images / 255.0, test_images / 255.0

    model = models.Sequential()
    model.add(layers.Conv2D(32, (3, 3), activation='relu', input_shape=(32, 32, 3)))
    model.add(layers.MaxPooling2D((2, 2)))
    model.add(layers.Conv2D(64, (3, 3), activation='relu'))
    model.add(layers.MaxPooling2D((2, 2)))
    model.add(layers.Conv2D(64, (3, 3), activation='relu'))
    model.add(layers.Flatten())
    model.add(layers.Dense(64, activation='relu'))
    model.add(layers.Dense(10))

    model.compile(optimizer='adam',
                  loss=tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=['accuracy'])

    started = time.perf_counter()
    model.fit(train_images, train_labels, epochs=args.epochs,
              validation_data=(test_images, test_labels), verbose=2)
    seconds = time.perf_counter() - started
    test_loss, test_acc = model.evaluate(test_images, test_labels, verbose=2)
    report("tf_tutorial", test_acc, seconds, args, len(train_images))


if __name__ == "__main__":
    main()
