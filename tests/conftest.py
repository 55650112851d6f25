"""Shared fixtures: the real CIFAR-10 copy, a fresh runs folder per test."""
import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED_ARCHIVE = ROOT.parent / "shared" / "data" / "cifar-10-python.tar.gz"

# Tests read the data set the project's way, through CIFAR10_PATH; default to the shared copy.
if not os.environ.get("CIFAR10_PATH") and SHARED_ARCHIVE.exists():
    os.environ["CIFAR10_PATH"] = str(SHARED_ARCHIVE)
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


@pytest.fixture(autouse=True)
def runs_dir(tmp_path, monkeypatch):
    """Every test writes its runs into its own folder."""
    folder = tmp_path / "runs"
    monkeypatch.setenv("CIFAR_DEMO_RUNS", str(folder))
    return folder


@pytest.fixture(scope="session")
def cifar():
    from cifar_demo import data
    return data.load()
