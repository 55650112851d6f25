"""Prediction speed: one uploaded photo end to end (warm), old against new decoding; throughput over the test set.

usage: CIFAR10_PATH=../shared/data/cifar-10-python.tar.gz python benchmarks/bench_predict.py [MODEL]
       [--repeats N] [--accuracy N]
MODEL is a run id, a run folder or a .keras file (as for `python -m cifar_demo predict`); default: the shipped model.

"old" decodes the whole JPEG, as the app did before issue 20 (``to_model_input(load_image(...))``);
"new" is ``prepare``, which decodes a large JPEG at reduced size. Both are timed in the same run,
alternating, so that a busy spell of the machine slows both alike. Then --accuracy N test images,
each upscaled to a 12-megapixel JPEG, go through both paths: the model's top-1 on each, how often
the two predictions agree, and how far apart the model inputs are.
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
from cifar_demo.transfer import open_model

PHOTO = (4000, 3000)  # a 12-megapixel phone photo, landscape


def jpeg(image: Image.Image, quality: int = 90) -> bytes:
    out = io.BytesIO()
    image.save(out, "JPEG", quality=quality)
    return out.getvalue()


def noise_photo() -> bytes:
    """A 12-megapixel JPEG of noise: the worst case for decoding (about 11 MB)."""
    rng = np.random.default_rng(0)
    return jpeg(Image.fromarray(rng.integers(0, 256, (PHOTO[1], PHOTO[0], 3), dtype=np.uint8)))


def _field(rng, alpha: float) -> np.ndarray:
    """Gaussian noise whose amplitude falls as 1/f**alpha: float32 (3000, 4000), mean 0, std 1."""
    fy = np.fft.fftfreq(PHOTO[1])[:, None].astype(np.float32)
    fx = np.fft.rfftfreq(PHOTO[0])[None, :].astype(np.float32)
    f = np.hypot(fx, fy)
    f[0, 0] = 1
    spectrum = (rng.standard_normal(f.shape, dtype=np.float32)
                + 1j * rng.standard_normal(f.shape, dtype=np.float32)) / f ** alpha
    spectrum[0, 0] = 0
    x = np.fft.irfft2(spectrum, s=(PHOTO[1], PHOTO[0])).astype(np.float32)
    return (x - x.mean()) / x.std()


def photo_like() -> bytes:
    """A 12-megapixel JPEG with a photo's statistics (about 3.5 MB, as phones write them).

    Natural images have amplitude spectra close to 1/f and most of their detail
    in brightness; this is such noise in luminance, with smoother, weaker colour.
    """
    rng = np.random.default_rng(0)
    y = _field(rng, 1.3) * 55
    cb, cr = _field(rng, 1.6) * 20, _field(rng, 1.6) * 20
    rgb = np.stack([y + 1.402 * cr, y - 0.344 * cb - 0.714 * cr, y + 1.772 * cb], axis=-1) + 128
    return jpeg(Image.fromarray(np.clip(rgb, 0, 255).astype(np.uint8)))


def upscaled(image: np.ndarray) -> bytes:
    """A 32x32 image (uint8 (32, 32, 3)) upscaled to PHOTO with bicubic, as a JPEG of quality 90: smooth, so small."""
    return jpeg(Image.fromarray(image).resize(PHOTO, Image.Resampling.BICUBIC))


def old_input(raw: bytes) -> np.ndarray:
    """The model input as before issue 20: the whole JPEG decoded, then fitted (uint8 (32, 32, 3))."""
    return inference.to_model_input(inference.load_image(raw, "photo.jpg"))


def new_input(raw: bytes) -> np.ndarray:
    """The model input as the app makes it now (uint8 (32, 32, 3))."""
    return inference.prepare(raw, "photo.jpg")[1]


PATHS = {"old": old_input, "new": new_input}


def time_upload(model, raw: bytes, repeats: int) -> dict[str, np.ndarray]:
    """Milliseconds per upload, decode + fit + top-3, for each path: {"old": (repeats,), "new": (repeats,)}."""
    for make in PATHS.values():
        inference.top_k(model, make(raw), 3)  # warm up: the first call builds the graph
    times = {name: [] for name in PATHS}
    for _ in range(repeats):
        for name, make in PATHS.items():  # alternate, so drift in the machine's speed hits both
            start = time.perf_counter()
            inference.top_k(model, make(raw), 3)
            times[name].append(time.perf_counter() - start)
    return {name: np.array(t) * 1000 for name, t in times.items()}


def time_decode_only(raw: bytes, repeats: int) -> float:
    """Median milliseconds of the new path's JPEG decoding alone (open, draft, load): its floor."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        image = Image.open(io.BytesIO(raw))
        image.draft(None, (inference.DECODE_SIDE, inference.DECODE_SIDE))
        image.load()
        times.append(time.perf_counter() - start)
    return float(np.median(times)) * 1000


def upscaled_inputs(images: np.ndarray) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Each 32x32 image upscaled to PHOTO (bicubic), saved as JPEG quality 90, made a model input both ways.

    images: uint8 (N, 32, 32, 3). Returns ({path: uint8 (N, 32, 32, 3)}, {path: ms per image, (N,)}).
    """
    inputs, times = {name: [] for name in PATHS}, {name: [] for name in PATHS}
    for image in images:
        raw = upscaled(image)
        for name, make in PATHS.items():
            start = time.perf_counter()
            inputs[name].append(make(raw))
            times[name].append(time.perf_counter() - start)
    return ({name: np.stack(x) for name, x in inputs.items()},
            {name: np.array(t) * 1000 for name, t in times.items()})


def report_upload(kind: str, raw: bytes, times: dict[str, np.ndarray], decode_ms: float) -> None:
    p50 = {name: np.percentile(t, 50) for name, t in times.items()}
    p95 = {name: np.percentile(t, 95) for name, t in times.items()}
    print(f"one 12 MP JPEG upload, {kind} ({len(raw) / 1e6:.1f} MB), decode + fit + top-3, warm, "
          f"{len(times['new'])} runs each: old p50 {p50['old']:.0f} ms (p95 {p95['old']:.0f}), "
          f"new p50 {p50['new']:.1f} ms (p95 {p95['new']:.1f}), {p50['old'] / p50['new']:.1f}x faster; "
          f"of which the reduced JPEG decode alone {decode_ms:.1f} ms")


def report_accuracy(model, x: np.ndarray, y: np.ndarray) -> None:
    """Both paths on test images x (uint8 (N, 32, 32, 3)) upscaled to photos; y: labels (N,)."""
    inputs, times = upscaled_inputs(x)
    predicted = {name: inference.predict_proba(model, xs).argmax(axis=1) for name, xs in inputs.items()}
    native = (inference.predict_proba(model, x).argmax(axis=1) == y).mean()
    top1 = {name: (p == y).mean() for name, p in predicted.items()}
    same = (predicted["new"] == predicted["old"]).mean()
    diff = np.abs(inputs["new"].astype(int) - inputs["old"]).mean(axis=(1, 2, 3))
    print(f"the first {len(x):,} test images, each upscaled to {PHOTO[0]}x{PHOTO[1]} (bicubic), JPEG quality 90:")
    print(f"  decode + fit per image: old p50 {np.percentile(times['old'], 50):.0f} ms, "
          f"new p50 {np.percentile(times['new'], 50):.1f} ms")
    print(f"  top-1: old {top1['old']:.2%}, new {top1['new']:.2%}, "
          f"change {100 * (top1['new'] - top1['old']):+.2f} points (the 32x32 originals: {native:.2%})")
    print(f"  same prediction both ways: {same:.2%}; model inputs differ by {diff.mean():.2f} grey levels "
          f"per pixel on average (worst image {diff.max():.2f})")


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("model", nargs="?")
    p.add_argument("--repeats", type=int, default=50)
    p.add_argument("--accuracy", type=int, default=1000, metavar="N",
                   help="test images to upscale and compare both paths on (0: skip)")
    args = p.parse_args()
    label, model, _ = open_model(args.model)
    dataset = data.load()
    x, y = dataset.x_test, dataset.y_test
    print(f"model: {label}")
    uploads = (("photo-like", photo_like()), ("the first test image upscaled", upscaled(x[0])),
               ("noise, the worst case", noise_photo()))
    for kind, raw in uploads:
        report_upload(kind, raw, time_upload(model, raw, args.repeats), time_decode_only(raw, args.repeats))

    if args.accuracy:
        report_accuracy(model, x[:args.accuracy], y[:args.accuracy])

    inference.predict_proba(model, x[:512])
    start = time.perf_counter()
    inference.predict_proba(model, x)
    seconds = time.perf_counter() - start
    print(f"test set: {len(x):,} images in {seconds:.2f} s = {len(x) / seconds:,.0f} images/s")


if __name__ == "__main__":
    main()
