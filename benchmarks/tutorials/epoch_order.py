"""Does ``model.fit`` on NumPy arrays show the images in a new order each epoch? With and without a seed.

usage: python benchmarks/tutorials/epoch_order.py

Fits a model that learns nothing for 3 epochs on 1,000 numbered "images" (batch 10) and prints the
first five numbers of each epoch, once as the tutorials run (no seed) and once after
``keras.utils.set_random_seed(0)``, each in a process of its own. On Keras 3.15 with TensorFlow 2.21
the seeded run shows the same five numbers every epoch: the permutation is a random op inside the
tf.data pipeline that Keras builds for NumPy arrays, made again with TensorFlow's global seed for
each epoch's iterator (tensorflow#35682 describes the mechanism). This is why the tutorial scripts
seed Python and NumPy only (``harness.seed_weights``). Needs no data set.
"""
import os
import subprocess
import sys
from importlib.metadata import version

CHILD = r'''
import os, sys
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
import numpy as np
import keras

if sys.argv[1] == "seeded":
    keras.utils.set_random_seed(0)
x = np.arange(1000, dtype="float32")[:, None]
firsts = []


class Recorder(keras.Model):
    """Keeps the first five numbers of each batch it is given; trains nothing."""

    def __init__(self):
        super().__init__()
        self.dense = keras.layers.Dense(1)

    def call(self, inputs):
        return self.dense(inputs)

    def train_step(self, data):
        firsts.append(np.asarray(data[0][:5, 0]).astype(int).tolist())
        return {"seen": 0.0}


model = Recorder()
model.compile(run_eagerly=True)
model(x[:1])
model.fit(x, x, batch_size=10, epochs=3, verbose=0)
for epoch in range(3):
    print(f"{sys.argv[1]:>8}, epoch {epoch + 1}: first images {firsts[epoch * 100]}")
'''


def main() -> None:
    print(f"Keras {version('keras')}, TensorFlow {version('tensorflow')}")
    for mode in ("unseeded", "seeded"):
        out = subprocess.run([sys.executable, "-c", CHILD, mode], capture_output=True, text=True,
                             env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
        if out.returncode:
            sys.exit(out.stderr)
        print(out.stdout, end="")


if __name__ == "__main__":
    main()
