"""Training speed in images per second for each preset, in float32 and in mixed bfloat16.

usage: CIFAR10_PATH=../shared/data/cifar-10-python.tar.gz python benchmarks/bench_throughput.py
           [--presets ...] [--precisions float32 mixed_bfloat16] [--steps 40]

Each preset trains on the real pipeline (shuffled, augmented batches of its own
size) through Keras fit, as the app does. The rate is taken over ``--steps``
optimizer steps after 5 warm-up steps (the first builds the graph). Where the
CPU has no bfloat16 instructions (AVX512-BF16 or AMX), mixed bfloat16 is
emulated and slower; the app's "auto" precision then picks float32.
"""
import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from cifar_demo import data, recipes, settings, training

WARMUP = 5


def images_per_second(key: str, precision: str, dataset, steps: int) -> float:
    import keras
    config = settings.TrainConfig.for_preset(key, precision=precision)
    parts = training.split(dataset, config)
    model = training.build_model(config, parts.x_train)
    ds = training.make_dataset(parts.x_train, parts.y_train, config, training=True).take(WARMUP + steps)
    ends = []
    clock = keras.callbacks.LambdaCallback(on_train_batch_end=lambda batch, logs: ends.append(time.perf_counter()))
    model.fit(ds, epochs=1, verbose=0, callbacks=[clock])
    keras.backend.clear_session()
    return config.batch_size * steps / (ends[-1] - ends[WARMUP - 1])


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--presets", nargs="+", default=list(recipes.PRESETS))
    p.add_argument("--precisions", nargs="+", default=["float32", "mixed_bfloat16"])
    p.add_argument("--steps", type=int, default=40)
    args = p.parse_args()
    dataset = data.load()
    print(f"CPU: {os.cpu_count()} cores; bfloat16 hardware: {settings.cpu_has_bf16()}; "
          f"auto precision: {settings.resolve_precision('auto')}")
    print(f"{'preset':<16}{'batch':>6}" + "".join(f"{p:>16}" for p in args.precisions) + "   (images/s)")
    for key in args.presets:
        rates = [images_per_second(key, precision, dataset, args.steps) for precision in args.precisions]
        batch = settings.TrainConfig.for_preset(key).batch_size
        extra = f"   bf16/fp32 {rates[1] / rates[0]:.2f}x" if len(rates) == 2 else ""
        print(f"{key:<16}{batch:>6}" + "".join(f"{r:>16.0f}" for r in rates) + extra, flush=True)


if __name__ == "__main__":
    main()
