"""Data-parallel training with tf.distribute, on a CPU split into logical devices and on a local cluster."""
import json
import socket
import subprocess
import sys

import pytest
from test_cli import ROOT, cli

from cifar_demo import distribute, runs

# no validation hold-out: Keras cannot split a last, odd validation batch among replicas (see the README)
TINY = ("--preset", "two_block", "--epochs", "1", "--subset", "512", "--test-subset", "200", "--batch-size", "64",
        "--validation-split", "0")


def test_mirrored_on_two_logical_cpus_trains_a_complete_run(tmp_path):
    env = {"CIFAR_DEMO_RUNS": str(tmp_path), "TF_CONFIG": ""}
    done = cli("train", *TINY, "--cpu-devices", "2", "--strategy", "mirrored", env=env)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "mirrored strategy, 2 replicas" in done.stderr
    assert "CPU:0" in done.stderr and "CPU:1" in done.stderr
    (run,) = runs.list_runs(tmp_path)
    assert run.status == runs.FINISHED and len(run.history()) == 1
    assert run.load_model().count_params() > 0 and run.evaluation() is not None


def test_auto_on_one_cpu_is_the_default_strategy(tmp_path):
    done = cli("train", *TINY, "--subset", "128", env={"CIFAR_DEMO_RUNS": str(tmp_path), "TF_CONFIG": ""})
    assert done.returncode == 0, done.stderr[-2000:]
    assert "on one device" in done.stderr


def _free_ports(n):
    sockets = [socket.socket() for _ in range(n)]
    for s in sockets:
        s.bind(("localhost", 0))
    ports = [s.getsockname()[1] for s in sockets]
    for s in sockets:
        s.close()
    return ports


def test_two_workers_from_tf_config_train_one_run_kept_by_the_chief(tmp_path):
    workers = [f"localhost:{p}" for p in _free_ports(2)]
    procs = []
    for index in range(2):
        folder = tmp_path / f"worker{index}"
        env = {"CIFAR_DEMO_RUNS": str(folder), "TF_CPP_MIN_LOG_LEVEL": "2",
               "TF_CONFIG": json.dumps({"cluster": {"worker": workers}, "task": {"type": "worker", "index": index}})}
        procs.append(subprocess.Popen([sys.executable, "-m", "cifar_demo", "train", *TINY], cwd=ROOT, text=True,
                                      env={**__import__("os").environ, **env},
                                      stdout=subprocess.PIPE, stderr=subprocess.PIPE))
    outs = [p.communicate(timeout=600) for p in procs]
    for p, (_, err) in zip(procs, outs):
        assert p.returncode == 0, err[-2000:]
    assert "multi-worker strategy, 2 replicas" in outs[0][1] and "the chief" in outs[0][1]
    (run,) = runs.list_runs(tmp_path / "worker0")
    assert run.status == runs.FINISHED and len(run.history()) == 1
    assert not (tmp_path / "worker1").exists() or not runs.list_runs(tmp_path / "worker1")
    # trained in step, each tests its own copy of the same weights: "..., 1 epochs, test accuracy 13.0%"
    finals = [out.strip().splitlines()[-1].split(" epochs, ")[-1] for out, _ in outs]
    assert finals[0] == finals[1] and "test accuracy" in finals[0]


@pytest.mark.parametrize("value, message", [
    ("not json", "TF_CONFIG is not a cluster description"),
    ('{"cluster": {"worker": ["a:1", "b:2"]}, "task": {"type": "ps", "index": 0}}', "task type 'ps'"),
])
def test_a_bad_tf_config_is_a_clean_error(value, message, tmp_path):
    done = cli("train", *TINY, env={"CIFAR_DEMO_RUNS": str(tmp_path), "TF_CONFIG": value})
    assert done.returncode == 2 and message in done.stderr and "Traceback" not in done.stderr


def test_a_one_worker_tf_config_is_no_cluster(monkeypatch):
    monkeypatch.setenv("TF_CONFIG", json.dumps({"cluster": {"worker": ["localhost:1"]},
                                                "task": {"type": "worker", "index": 0}}))
    assert distribute.cluster() is None
    with pytest.raises(distribute.StrategyError, match="two or more workers"):
        distribute.strategy("multi_worker")
