"""How many trainings to run at once: images per second of one training alone against two side by side.

usage: CIFAR10_PATH=../shared/data/cifar-10-python.tar.gz python benchmarks/bench_trainers.py
           [--preset fast] [--seconds 40] [--rounds 2]

Each training is the CLI's own (a process of its own, as a queue worker runs
it). One round trains one alone, then two at once, each measured from its
live.json (its step count and the time of its last batch) over ``--seconds``
after 25 s of start-up. The total of two against one says whether a second
trainer on this machine adds work done or only splits it (the queue's
CIFAR_DEMO_TRAINERS, default 1).
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def start(folder: str, preset: str, seed: int) -> subprocess.Popen:
    env = {**os.environ, "CIFAR_DEMO_RUNS": folder}
    return subprocess.Popen([sys.executable, "-m", "cifar_demo", "train", "--preset", preset, "--epochs", "200",
                             "--seed", str(seed)], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)


def reading(run: Path) -> tuple[int, float]:
    live = json.loads((run / "live.json").read_text())
    return live["batches"][-1]["step"] if live["batches"] else 0, live["last_batch_at"] or 0.0


def measure(count: int, preset: str, seconds: float) -> list[float]:
    with tempfile.TemporaryDirectory(prefix="bench-trainers-") as folder:
        procs = [start(folder, preset, seed) for seed in range(count)]
        try:
            time.sleep(25)
            found = sorted(Path(folder).glob("*/live.json"))
            runs = [p.parent for p in found]
            batch = json.loads((runs[0] / "config.json").read_text())["batch_size"]
            first = [reading(r) for r in runs]
            time.sleep(seconds)
            last = [reading(r) for r in runs]
        finally:
            for run in Path(folder).glob("*/config.json"):
                subprocess.run([sys.executable, "-m", "cifar_demo", "stop", run.parent.name], cwd=ROOT,
                               env={**os.environ, "CIFAR_DEMO_RUNS": folder}, capture_output=True)
            for proc in procs:
                proc.wait(300)
        return [(s1 - s0) * batch / (t1 - t0) for (s0, t0), (s1, t1) in zip(first, last)]


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--preset", default="fast")
    p.add_argument("--seconds", type=float, default=40)
    p.add_argument("--rounds", type=int, default=2)
    args = p.parse_args()
    for n in range(1, args.rounds + 1):
        alone = measure(1, args.preset, args.seconds)
        both = measure(2, args.preset, args.seconds)
        print(f"round {n}: one alone {alone[0]:.0f} images/s; two at once {both[0]:.0f} + {both[1]:.0f} = "
              f"{sum(both):.0f} images/s ({sum(both) / alone[0]:.2f}x the work done, each "
              f"{min(both) / alone[0]:.2f}-{max(both) / alone[0]:.2f}x as fast)", flush=True)


if __name__ == "__main__":
    main()
