"""Training on more than one device with TensorFlow's tf.distribute.

``strategy("auto")`` picks what the machine offers: MultiWorkerMirroredStrategy
when TF_CONFIG describes a cluster of workers, MirroredStrategy over all local
GPUs when there are several, and TensorFlow's default (one device) otherwise.
The batch size of a run stays the global batch: each of N replicas gets 1/N of it.

Without GPUs, ``split_cpu(n)`` turns the CPU into n logical devices, so the
same data-parallel path runs (and is tested) on any machine. It must be called
before TensorFlow has set up its devices.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass

KINDS = ("auto", "default", "mirrored", "multi_worker")


class StrategyError(ValueError):
    """A strategy this machine or its TF_CONFIG cannot give."""


@dataclass(frozen=True)
class Placement:
    strategy: object       # a tf.distribute.Strategy
    kind: str              # default | mirrored | multi_worker
    replicas: int          # replicas in sync, over all workers
    devices: tuple         # this worker's devices
    chief: bool            # whether this worker writes the run (the others train alongside)

    def describe(self) -> str:
        if self.kind == "default":
            return f"one device ({self.devices[0]})"
        where = ", ".join(self.devices)
        chief = "the chief" if self.chief else "not the chief"
        extra = f"; this worker is {chief}" if self.kind == "multi_worker" else ""
        return f"{self.kind.replace('_', '-')} strategy, {self.replicas} replicas ({where}){extra}"


def split_cpu(n: int) -> None:
    """Present the CPU to TensorFlow as ``n`` logical devices (call before any TensorFlow work)."""
    import tensorflow as tf
    if n < 1:
        raise StrategyError("the CPU splits into at least 1 logical device")
    cpus = tf.config.list_physical_devices("CPU")
    try:
        tf.config.set_logical_device_configuration(cpus[0], [tf.config.LogicalDeviceConfiguration()] * n)
    except RuntimeError as exc:  # TensorFlow's devices are already set up in this process
        if len(tf.config.list_logical_devices("CPU")) != n:
            raise StrategyError(f"cannot split the CPU into {n} devices now: {exc}") from exc


def cluster() -> dict | None:
    """The TF_CONFIG cluster spec when it names more than one worker, else None."""
    raw = os.environ.get("TF_CONFIG")
    if raw is not None and not raw.strip():
        del os.environ["TF_CONFIG"]  # set but empty: unset, or TensorFlow's own parsing of it fails
    if not raw or not raw.strip():
        return None
    try:
        spec = json.loads(raw)
        workers = spec["cluster"]["worker"]
        task = spec["task"]
    except (ValueError, KeyError, TypeError) as exc:
        raise StrategyError(f"TF_CONFIG is not a cluster description TensorFlow can use: {exc}") from exc
    if task.get("type") != "worker":
        raise StrategyError(f"TF_CONFIG task type {task.get('type')!r} is not supported here: use 'worker'")
    return spec if len(workers) > 1 else None


def strategy(kind: str = "auto") -> Placement:
    """The strategy to train under; see the module docstring for what "auto" picks."""
    import tensorflow as tf
    if kind not in KINDS:
        raise StrategyError(f"strategy is one of {', '.join(KINDS)}")
    spec = cluster()  # always: it also clears an empty TF_CONFIG, which TensorFlow would fail to parse
    spec = spec if kind in ("auto", "multi_worker") else None
    if kind == "multi_worker" and spec is None:
        raise StrategyError("the multi-worker strategy needs TF_CONFIG naming two or more workers")
    if spec is not None:
        mend_keras_for_multi_worker()
        s = tf.distribute.MultiWorkerMirroredStrategy()
        devices = tuple(d.name for d in tf.config.list_logical_devices("GPU")) or ("CPU:0",)
        return Placement(s, "multi_worker", int(s.num_replicas_in_sync), devices, spec["task"].get("index", 0) == 0)
    gpus = [d.name for d in tf.config.list_logical_devices("GPU")]
    local = gpus if gpus else [d.name for d in tf.config.list_logical_devices("CPU")]
    if kind == "mirrored" or (kind == "auto" and len(gpus) > 1):
        s = tf.distribute.MirroredStrategy(local)
        return Placement(s, "mirrored", int(s.num_replicas_in_sync), tuple(local), True)
    device = gpus[0] if gpus else local[0]
    return Placement(tf.distribute.get_strategy(), "default", 1, (device,), True)


def mend_keras_for_multi_worker() -> None:
    """Let Keras 3's fit and evaluate run under MultiWorkerMirroredStrategy (tensorflow/tensorflow#72388).

    Keras 3 (up to 3.15 at least) fails there in two places, and only there:
    it averages the first batch over the workers to learn the input shapes,
    which a nested batch cannot be ("Attempt to convert a value (PerReplica...)"),
    and it averages each step's scalar loss and metrics over axis 0, which a
    scalar does not have ("Invalid reduction dimension 0"). Mended here: the
    shapes come from this worker's own part of the batch, and a scalar is
    averaged over the replicas alone. Everything else is Keras's own path.
    Idempotent; ``tests/test_distribute.py`` trains two workers through it.
    """
    import tensorflow as tf
    from keras.src.backend.tensorflow import trainer

    if getattr(trainer, "_cifar_demo_mended", False):
        return
    keras_reduce = trainer.reduce_per_replica

    def reduce_per_replica(values, strategy, reduction):
        if reduction in ("auto", "mean") and trainer._collective_all_reduce_multi_worker(strategy):
            def mean(v):
                return strategy.reduce("MEAN", v, axis=None if v.shape.rank == 0 else 0)
            return tf.nest.map_structure(mean, values)
        return keras_reduce(values, strategy, reduction)

    keras_build = trainer.TensorFlowTrainer._maybe_symbolic_build

    def maybe_symbolic_build(self, iterator=None, data_batch=None):
        strategy = self._distribute_strategy
        if iterator is None or strategy is None or not trainer._collective_all_reduce_multi_worker(strategy):
            return keras_build(self, iterator, data_batch)
        for _, _, batches in iterator:
            data_batch = tf.nest.map_structure(
                lambda v: strategy.experimental_local_results(v)[0]
                if isinstance(v, tf.distribute.DistributedValues) else v, next(batches))
            break
        with strategy.scope():
            self._symbolic_build(data_batch=data_batch)

    trainer.reduce_per_replica = reduce_per_replica
    trainer.TensorFlowTrainer._maybe_symbolic_build = maybe_symbolic_build
    trainer._cifar_demo_mended = True
