"""Fixtures for the device tests: a private adb server, loopback phones, and a tiny TFLite model.

The adb server is Debian's `adb` (the test command installs it); the tests that need it are
skipped, saying so, only when it is not installed. The phones are `tests/support/adb_device.py`
processes connected with `adb connect`, and disconnected before they stop.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from support import adb_fixture as adb_support  # tests/support, on the path via pytest's pythonpath

from cnnlab.devices import AdbServerAddress, prepare_phone


@pytest.fixture(scope="session")
def adb_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    if shutil.which("adb") is None:
        pytest.skip(
            "Debian's adb is not installed (scripts/test.sh installs it: apt-get install adb); "
            "the tests through a real adb server cannot run"
        )
    with adb_support.adb_server(tmp_path_factory.mktemp("adb-home")) as server:
        yield server


@pytest.fixture
def address(adb_server: Any) -> AdbServerAddress:
    return AdbServerAddress("127.0.0.1", adb_server.port)


@pytest.fixture
def start_phone(adb_server: Any, tmp_path: Path) -> Iterator[Any]:
    """Start loopback phones (mode: device, unauthorized, offline); all stopped afterwards."""
    phones: list[Any] = []

    def start(mode: str = "device") -> Any:
        phone = adb_support.start_phone(adb_server, tmp_path / f"phone-{len(phones)}", mode)
        phones.append(phone)
        return phone

    yield start
    for phone in phones:
        phone.stop()


@pytest.fixture
def phone(start_phone: Any) -> Any:
    return start_phone()


def write_elf(path: Path, machine: int, bits: int = 64) -> Path:
    path.write_bytes(adb_support.elf_header(machine, bits=bits) + b"\0" * 64)
    return path


@pytest.fixture
def make_elf() -> Any:
    """`make_elf(path, e_machine, bits=64)`: a file with a minimal ELF header, for ABI checks."""
    return write_elf


@pytest.fixture
def aarch64_binary(tmp_path: Path) -> Path:
    """An aarch64 ELF file standing for TFLite's android_aarch64 benchmark_model."""
    folder = tmp_path / "downloads dir"
    folder.mkdir()
    return write_elf(folder / "benchmark_model", 183)  # e_machine aarch64


@pytest.fixture
def prepared_phone(phone: Any, address: AdbServerAddress, aarch64_binary: Path) -> Any:
    prepare_phone(address, phone.serial, aarch64_binary)
    return phone


@pytest.fixture(scope="session")
def tflite_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny CNN converted to TFLite with TensorFlow's converter (built once per session)."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import keras
    import tensorflow as tf

    keras.utils.set_random_seed(0)
    model = keras.Sequential(
        [
            keras.Input((32, 32, 3)),
            # Named as Keras names them in a fresh process: an earlier test of the session that
            # built layers (the Keras-log fixtures) moves Keras' own counters on (conv2d_1, ...).
            keras.layers.Conv2D(8, 3, activation="relu", name="conv2d"),
            keras.layers.MaxPooling2D(name="max_pooling2d"),
            keras.layers.DepthwiseConv2D(3, activation="relu", name="depthwise_conv2d"),
            keras.layers.GlobalAveragePooling2D(name="global_average_pooling2d"),
            keras.layers.Dense(10, activation="softmax", name="dense"),
        ]
    )
    converted = tf.lite.TFLiteConverter.from_keras_model(model).convert()
    path = tmp_path_factory.mktemp("models") / "tiny.tflite"
    path.write_bytes(converted)
    return path
