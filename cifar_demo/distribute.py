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
        extra = f"; this worker is {'the chief' if self.chief else 'not the chief'}" if self.kind == "multi_worker" else ""
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
