"""Prediction speed: one uploaded photo end to end (warm), and throughput over the test set.

usage: CIFAR10_PATH=../shared/data/cifar-10-python.tar.gz python benchmarks/bench_predict.py MODEL [--repeats N]
MODEL is a run id, a run folder or a .keras file (as for `python -m cifar_demo predict`).
"""
import argparse
import io
import os
import sys
import time

import numpy as np
from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from cifar_demo import data, inference
from cifar_demo.cli import resolve_model


def photo_bytes() -> bytes:
    """A 12-megapixel JPEG, the size a phone uploads."""
    rng = np.random.default_rng(0)
    pixels = rng.integers(0, 256, (3000, 4000, 3), dtype=np.uint8)
    out = io.BytesIO()
    Image.fromarray(pixels).save(out, "JPEG", quality=90)
    return out.getvalue()


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("model")
    p.add_argument("--repeats", type=int, default=50)
    args = p.parse_args()
    label, model, _ = resolve_model(args.model)
    raw = photo_bytes()
    inference.top_k(model, inference.prepare(raw)[1])  # warm up: the first call builds the graph
    times = []
    for _ in range(args.repeats):
        t = time.perf_counter()
        inference.top_k(model, inference.prepare(raw, "photo.jpg")[1], 3)
        times.append(time.perf_counter() - t)
    times = np.array(times) * 1000
    x = data.load().x_test
    inference.predict_proba(model, x[:512])
    t = time.perf_counter()
    inference.predict_proba(model, x)
    seconds = time.perf_counter() - t
    print(f"model: {label}")
    print(f"one 12 MP JPEG upload, decode + resize + predict, warm, {args.repeats} runs: "
          f"p50 {np.percentile(times, 50):.0f} ms, p95 {np.percentile(times, 95):.0f} ms")
    print(f"test set: {len(x):,} images in {seconds:.2f} s = {len(x) / seconds:,.0f} images/s")


if __name__ == "__main__":
    main()
