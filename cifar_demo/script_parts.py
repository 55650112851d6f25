"""The fixed pieces of the standalone Keras script that ``codegen`` writes: data loading, augmentation,
schedules, whitening, identity start, lookahead, test-time averaging and the training's main().

Each piece is plain Python source, exactly as it appears in the script; ``codegen`` picks the
pieces a run needs and fills in the ``{name}`` fields of MAIN. The script imports nothing of
cifar_demo, so what is here repeats, in the tutorials' style, what the engine modules do.
"""
from __future__ import annotations

IMPORTS = '''import argparse
import io
import os
import pickle
import tarfile
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf
from keras import layers
'''

DATA = '''CLASS_NAMES = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]
BATCHES = [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]


class ArraysOnly(pickle.Unpickler):
    """The CIFAR-10 batches are pickles, which can run code as they load: admit only NumPy's arrays."""
    ALLOWED = {("numpy", "ndarray"), ("numpy", "dtype")} | {
        (module, name) for module in ("numpy.core.multiarray", "numpy._core.multiarray")
        for name in ("_reconstruct", "scalar")}

    def find_class(self, module, name):
        if (module, name) not in self.ALLOWED:
            raise pickle.UnpicklingError(f"refused {module}.{name}: a CIFAR-10 batch holds only arrays")
        return super().find_class(module, name)


def read_batch(payload):
    """One batch's images, uint8 (N, 32, 32, 3), and labels, int (N,)."""
    batch = ArraysOnly(io.BytesIO(payload), encoding="bytes").load()
    images = np.asarray(batch[b"data"], np.uint8).reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)
    return images, np.asarray(batch[b"labels"], np.int64)


def load_cifar10():
    """(x_train, y_train), (x_test, y_test): from the archive or folder named by CIFAR10_PATH, else Keras's download."""
    path = os.environ.get("CIFAR10_PATH")
    if not path:
        (x_train, y_train), (x_test, y_test) = keras.datasets.cifar10.load_data()
        return (x_train, y_train.ravel()), (x_test, y_test.ravel())
    path = Path(path)
    if path.is_dir():
        folder = path / "cifar-10-batches-py" if (path / "cifar-10-batches-py").is_dir() else path
        payloads = {name: (folder / name).read_bytes() for name in BATCHES}
    else:
        with tarfile.open(path) as tar:
            payloads = {name: tar.extractfile(f"cifar-10-batches-py/{name}").read() for name in BATCHES}
    train = [read_batch(payloads[name]) for name in BATCHES[:-1]]
    x_train, y_train = np.concatenate([x for x, _ in train]), np.concatenate([y for _, y in train])
    return (x_train, y_train), read_batch(payloads["test_batch"])
'''

FLIP = '''

def flip(generator, images):
    """Mirror each image left-right with probability 1/2."""
    mirror = generator.uniform([tf.shape(images)[0]]) < 0.5
    return tf.where(mirror[:, None, None, None], tf.reverse(images, axis=[2]), images)
'''

SHIFT = '''

def shift(generator, images, pixels):
    """Move each image up to ``pixels`` each way, cut from a copy padded by reflection (no black border)."""
    b, h, w = tf.shape(images)[0], images.shape[1], images.shape[2]
    padded = tf.pad(images, [[0, 0], [pixels, pixels], [pixels, pixels], [0, 0]], mode="REFLECT")
    dy = generator.uniform([b], 0, 2 * pixels + 1, dtype=tf.int32)
    dx = generator.uniform([b], 0, 2 * pixels + 1, dtype=tf.int32)
    images = tf.gather(padded, dy[:, None] + tf.range(h)[None, :], axis=1, batch_dims=1)
    return tf.gather(images, dx[:, None] + tf.range(w)[None, :], axis=2, batch_dims=1)
'''

CUTOUT = '''

def cutout(generator, images, side):
    """Paint a grey square ``side`` pixels wide somewhere in each image: the net must also learn from parts."""
    b, h, w = tf.shape(images)[0], images.shape[1], images.shape[2]
    top = generator.uniform([b], 0, h - side + 1, dtype=tf.int32)[:, None]
    left = generator.uniform([b], 0, w - side + 1, dtype=tf.int32)[:, None]
    rows, cols = tf.range(h)[None, :], tf.range(w)[None, :]
    square = (((rows >= top) & (rows < top + side))[:, :, None, None]
              & ((cols >= left) & (cols < left + side))[:, None, :, None])
    return tf.where(square, tf.cast(128, images.dtype), images)
'''

DATASET = '''

def make_dataset(images, labels, training):
    """Batches of (pixels / 255, one-hot labels); training batches are shuffled and augmented."""
    ds = tf.data.Dataset.from_tensor_slices((images, labels))
    if training:
        ds = ds.shuffle(len(images), seed=SEED)
    ds = ds.batch(BATCH_SIZE, drop_remainder=training and len(images) >= BATCH_SIZE)
    generator = tf.random.Generator.from_seed(SEED)

    def prepare(x, y):
        if training:
            x = augment(generator, x)
        return tf.cast(x, tf.float32) / 255.0, tf.one_hot(y, 10)

    return ds.map(prepare, num_parallel_calls=tf.data.AUTOTUNE).prefetch(tf.data.AUTOTUNE)
'''

WARMUP_LINEAR = '''

class WarmupLinear(keras.optimizers.schedules.LearningRateSchedule):
    """The learning rate climbs in a straight line from 0 to its peak, then falls in one back to 0."""

    def __init__(self, peak, warmup_steps, total_steps):
        self.peak, self.warmup_steps, self.total_steps = peak, warmup_steps, total_steps

    def __call__(self, step):
        step = keras.ops.cast(step, "float32")
        climb = self.peak * (step + 1) / max(self.warmup_steps, 1)
        fall = self.peak * keras.ops.maximum(
            0.0, 1 - (step - self.warmup_steps) / max(1, self.total_steps - self.warmup_steps))
        return keras.ops.where(step < self.warmup_steps, climb, fall)
'''

WHITEN = '''

def fit_whitening(layer, images, eps=WHITEN_EPS):
    """Set the frozen first convolution's filters from the images' 2x2 patches (airbench's patch whitening):
    the eigenvectors of the patches' covariance over sqrt(eigenvalue), each with its negation. Its outputs
    are then decorrelated, with unit variance, before any training."""
    k = layer.kernel_size[0]
    windows = np.lib.stride_tricks.sliding_window_view(images, (k, k), axis=(1, 2))
    patches = windows.transpose(0, 1, 2, 4, 5, 3).reshape(-1, k * k * 3).astype(np.float64)
    patches -= patches.mean(axis=0)
    eigval, eigvec = np.linalg.eigh(patches.T @ patches / len(patches))
    filters = eigvec.T[::-1] / np.sqrt(eigval[::-1, None] + eps)
    filters = np.concatenate([filters, -filters])
    layer.kernel.assign(filters.reshape(-1, k, k, 3).transpose(1, 2, 3, 0).astype("float32"))
    layer.bias.assign(np.zeros(layer.filters, "float32"))
'''

IDENTITY = '''

def start_as_identity(model):
    """Each block's convolutions start by passing their input channels through unchanged (a "dirac" start):
    the block begins as pooling, batch norm and activation alone, and trains sooner."""
    for layer in model.layers:
        if isinstance(layer, layers.Conv2D) and layer.name.startswith("block"):
            kernel = np.array(layer.kernel.numpy())
            k, c = kernel.shape[0], min(kernel.shape[2], kernel.shape[3])
            kernel[:, :, :, :c] = 0
            kernel[k // 2, k // 2, np.arange(c), np.arange(c)] = 1
            layer.kernel.assign(kernel)
'''

LOOKAHEAD = '''

class Lookahead(keras.callbacks.Callback):
    """Every 5 steps, pull the weights towards a slow average of them, harder near the end."""

    def __init__(self, total_steps, every=5, decay=0.95 ** 5):
        super().__init__()
        self.total_steps, self.every, self.decay = total_steps, every, decay

    def on_train_begin(self, logs=None):
        self.pairs = [(v, keras.Variable(np.array(v.numpy()), trainable=False))
                      for v in self.model.weights if "float" in str(v.dtype)]

    def on_train_batch_end(self, batch, logs=None):
        step = int(self.model.optimizer.iterations.numpy())
        if step % self.every and step < self.total_steps:
            return
        d = self.decay * min(1.0, step / self.total_steps) ** 3
        for weight, slow in self.pairs:
            slow.assign(d * slow.value + (1 - d) * weight.value)
            weight.assign(slow.value)
'''

PREDICT = '''

def shifted(images, d):
    """The images moved d pixels down and right (negative: up and left), the edge filled by reflection."""
    p = abs(d)
    padded = np.pad(images, ((0, 0), (p, p), (p, p), (0, 0)), mode="reflect")
    return padded[:, p - d:p - d + images.shape[1], p - d:p - d + images.shape[2]]


def predict(model, images):
    """Class probabilities, (N, 10), averaged over the test-time views: each counts as much as its weight."""
    views = [(images, 1.0)]
    if TEST_SHIFT:
        views += [(shifted(images, -1), 0.5), (shifted(images, 1), 0.5)]
    if TEST_FLIP:
        views += [(v[:, :, ::-1], w) for v, w in views]
    total = sum(w for _, w in views)
    return sum(model.predict(v.astype("float32") / 255.0, batch_size=500, verbose=0) * (w / total)
               for v, w in views)
'''

MAIN = '''

def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=EPOCHS, help=f"passes over the training images ({{EPOCHS}})")
    parser.add_argument("--subset", type=int, default=SUBSET, help="train on this many of the 50,000 images")
    parser.add_argument("--test-subset", type=int, default=TEST_SUBSET, help="test on the first N of 10,000")
    args = parser.parse_args()
    keras.utils.set_random_seed(SEED)
    (x_train, y_train), (x_test, y_test) = load_cifar10()
    order = np.random.default_rng(SEED).permutation(len(x_train))[:args.subset]
    n_val = int(round(len(order) * VALIDATION_SPLIT))
    train, val = np.sort(order[n_val:]), np.sort(order[:n_val])
    x_test, y_test = x_test[:args.test_subset], y_test[:args.test_subset]

    model = build_model()
{prepare}{steps}    schedule = {schedule}
    optimizer = {optimizer}
    model.compile(optimizer=optimizer,
                  loss=keras.losses.CategoricalCrossentropy(label_smoothing=LABEL_SMOOTHING),
                  metrics=["accuracy"])
    model.summary()
    model.fit(make_dataset(x_train[train], y_train[train], training=True), epochs=args.epochs,
              validation_data=make_dataset(x_train[val], y_train[val], training=False) if len(val) else None{callbacks})
    proba = predict(model, x_test)
    print(f"test accuracy: {{np.mean(proba.argmax(axis=1) == y_test):.2%}} on {{len(y_test):,}} test images")


if __name__ == "__main__":
    main()
'''
