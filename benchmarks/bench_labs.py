"""Seconds each lab of the Labs page takes to compute, on this machine, for a model: what a first look costs
(a second look at robustness and the map reads the run's folder and takes milliseconds).

usage: CIFAR10_PATH=../shared/data/cifar-10-python.tar.gz python benchmarks/bench_labs.py [default|tiny|RUN ...]
       [--baselines 1000,2000,5000,10000]

"default" is the shipped model; "tiny" trains the tests' small network first (two_block, 400 images, 1 epoch).
Each figure is one timing after one warm-up call where the first call builds something (a sub-model).
"""
import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from cifar_demo import baselines, calibration, codegen, data, embedding, handconv, inference, robustness, runs


def timed(fn, *, warm: bool = False):
    if warm:
        fn()
    started = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - started


def model_run(ref: str, base: Path) -> runs.Run:
    if ref == "default":
        return runs.default_run()
    if ref == "tiny":  # trained by the command line, as a user would
        subprocess.run([sys.executable, "-m", "cifar_demo", "train", "--preset", "two_block", "--epochs", "1",
                        "--subset", "400", "--test-subset", "300"], cwd=ROOT, check=True, capture_output=True,
                       env={**os.environ, "CIFAR_DEMO_RUNS": str(base / "tiny")})
        return runs.list_runs(base / "tiny")[0]
    return runs.open_run(ref)


def bench_model(ref: str, cifar, base: Path) -> None:
    run = model_run(ref, base)
    model = run.load_model()
    print(f"\n## {ref}: {run.id}, test accuracy {run.test_accuracy():.2%}")
    _, s = timed(lambda: codegen.script(codegen.for_run(run)) + str(codegen.parameter_count(run.config["spec"])))
    print(f"code: script and parameter count {s * 1000:.0f} ms")
    ev = run.evaluation()
    _, s = timed(lambda: calibration.reliability(ev.y_true, ev.proba))
    print(f"calibration: {len(ev):,} saved predictions {s * 1000:.1f} ms")
    inference.predict_proba(model, cifar.x_test[:8])  # warm the model
    for n in (200, 1000):
        _, s = timed(lambda n=n: robustness.accuracy_curves(model, cifar.x_test[:n], cifar.y_test[:n]))
        print(f"robustness: curves on {n:,} images x 29 versions {s:.1f} s")
    _, s = timed(lambda: robustness.fgsm(model, cifar.x_test[7]), warm=True)
    print(f"robustness: FGSM on one image, 32 step sizes {s:.2f} s")
    for n in (1000, 2000):
        feats, s1 = timed(lambda n=n: embedding.features(model, cifar.x_test[:n]), warm=n == 1000)
        _, s2 = timed(lambda feats=feats: embedding.layout(feats))
        print(f"map: {n:,} test images, features {s1:.1f} s + PCA and t-SNE {s2:.1f} s = {s1 + s2:.1f} s")
    pool = embedding.bank_indices(cifar.y_train, 500)
    bank, s = timed(lambda: embedding.unit_rows(embedding.features(model, cifar.x_train[pool])))
    print(f"map: neighbour pool of {len(pool):,} training images {s:.1f} s (once per model)")
    _, s = timed(lambda: embedding.nearest(bank, embedding.unit_rows(embedding.features(model, cifar.x_test[3:4]))))
    print(f"map: nearest 8 of one image {s * 1000:.0f} ms")
    _, s = timed(lambda: handconv.by_hand(model, cifar.x_test[3], 0, 5, 5), warm=True)
    print(f"convolution by hand: {s * 1000:.0f} ms")


def bench_baselines(sizes, cifar, base: Path) -> None:
    print("\n## baselines: fit on N training images, test on all 10,000")
    for n in sizes:
        for kind, name in baselines.KINDS.items():
            done = baselines.train(kind, cifar, subset=n, base=base)
            print(f"{name}, {n:,} images: fit {done.fit_seconds:.1f} s, test {done.test_seconds:.1f} s, "
                  f"test accuracy {done.run.test_accuracy():.2%}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("models", nargs="*", default=["default", "tiny"])
    parser.add_argument("--baselines", default="1000,2000,5000,10000")
    args = parser.parse_args()
    print(f"load average before: {os.getloadavg()[0]:.2f}")
    cifar = data.load()
    with tempfile.TemporaryDirectory() as folder:
        for ref in args.models:
            bench_model(ref, cifar, Path(folder))
        bench_baselines([int(n) for n in args.baselines.split(",") if n], cifar, Path(folder))
    print(f"\nload average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
