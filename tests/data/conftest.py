"""Fixtures for the dataset tests: tiny generated image folders and CIFAR100-format archives."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


@pytest.fixture(scope="session")
def synth_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A Fruits360-layout folder: 4 classes, 12 training and 3 test images each, 24x24."""
    from cnnlab.data import write_synthetic_dataset

    root = tmp_path_factory.mktemp("synth") / "fruits"
    write_synthetic_dataset(root, classes=4, per_class=12, size=24, seed=7)
    return root


@pytest.fixture
def fruits(synth_template: Path, tmp_path: Path) -> Path:
    """A private copy of the synthetic folder, free to be damaged by the test."""
    return Path(shutil.copytree(synth_template, tmp_path / "fruits"))


@pytest.fixture(scope="session")
def cifar_archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny CIFAR100-format cifar-100-python.tar.gz: 2 training and 1 test image per class."""
    from cnnlab.data import write_cifar100_archive

    return write_cifar100_archive(
        tmp_path_factory.mktemp("cifar") / "cifar-100-python.tar.gz", seed=3
    )
