"""How long loading CIFAR-10 takes: the first decode, then the cached load.

usage: CIFAR10_PATH=../shared/data/cifar-10-python.tar.gz python benchmarks/bench_load.py
Each measurement runs in a fresh process (the cache is on disk, not in memory),
against a cache folder of its own that starts empty.
"""
import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SNIPPET = "import time; t = time.perf_counter(); from cifar_demo import data; d = data.load(); " \
          "n = int(d.x_train[-1].sum()); print(time.perf_counter() - t)"


def timed_load(cache: str) -> float:
    out = subprocess.run([sys.executable, "-c", SNIPPET], cwd=ROOT, capture_output=True, text=True, check=True,
                         env={**os.environ, "CIFAR_DEMO_CACHE": cache})
    return float(out.stdout.strip().splitlines()[-1])


def main() -> None:
    with tempfile.TemporaryDirectory() as cache:
        first = timed_load(cache)
        cached = sorted(timed_load(cache) for _ in range(5))
    print(f"first load (decode + write cache): {first:.2f} s")
    print(f"cached load, median of 5 fresh processes: {cached[2]:.3f} s (min {cached[0]:.3f}, max {cached[-1]:.3f})")


if __name__ == "__main__":
    main()
