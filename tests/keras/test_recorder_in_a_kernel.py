"""A Recorder in a real Jupyter kernel (ipykernel, driven by jupyter_client as a notebook server
drives it): "interrupt kernel" ends the fit after its batch and the run `stopped`, the kernel
living on to run the next cell; a kernel that dies leaves its run `lost`, epochs kept."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import jupyter_client
import pytest

from cnnlab.engine import look_after_jobs
from cnnlab.store import get_experiment, list_epochs, open_store

WAIT_S = 120.0  # the kernel imports TensorFlow first

CELL = """
import numpy as np, keras
from cnnlab.keras import Recorder
x = np.random.default_rng(0).random((256, 16, 16, 3), dtype="float32")
y = np.arange(256) % 3
model = keras.Sequential([keras.Input((16, 16, 3)), keras.layers.Conv2D(4, 3, activation="relu"),
                          keras.layers.GlobalAveragePooling2D(),
                          keras.layers.Dense(3, activation="softmax")])
model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
model.fit(x, y, epochs=1000, batch_size=8, verbose=0, callbacks=[Recorder(name=NAME, db=DB)])
print("fit returned")
"""


@pytest.fixture
def kernel() -> Iterator[Any]:
    # ipykernel's own kernel spec: this interpreter, `-m ipykernel_launcher`
    manager = jupyter_client.KernelManager(kernel_name="python3")
    manager.start_kernel(env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
    client = manager.client()
    client.start_channels()
    client.wait_for_ready(timeout=WAIT_S)
    try:
        yield manager, client
    finally:
        client.stop_channels()
        if manager.is_alive():
            manager.shutdown_kernel(now=True)
        manager.cleanup_resources()
        # Close every ZeroMQ socket now: a context left to the garbage collector blocks in
        # zmq's term() inside a later test's gc (it hung the suite at the next Keras session).
        for context in {id(c): c for c in (client.context, manager.context)}.values():
            context.destroy(linger=0)


def until(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def cell_output(client: Any, msg_id: str) -> str:
    """What the cell printed, once the kernel says it is idle again."""
    text = ""
    while True:
        message = client.get_iopub_msg(timeout=WAIT_S)
        if message["parent_header"].get("msg_id") != msg_id:
            continue
        if message["msg_type"] == "stream":
            text += message["content"]["text"]
        if message["msg_type"] == "error":
            text += f"{message['content']['ename']}: {message['content']['evalue']}\n"
        if message["msg_type"] == "status" and message["content"]["execution_state"] == "idle":
            return text


def epochs_of(db: Path, experiment_id: int) -> int:
    if not db.exists():
        return 0
    with open_store(db) as store:
        try:
            return len(list_epochs(store, experiment_id))
        except Exception:  # the row is not written yet
            return 0


def test_interrupting_the_kernel_stops_the_fit_and_a_dead_kernel_is_lost(
    kernel: Any, tmp_path: Path
) -> None:
    manager, client = kernel
    db = tmp_path / "experiments.db"
    first = client.execute(CELL.replace("NAME", "'cell 1'").replace("DB", repr(str(db))))
    until(lambda: epochs_of(db, 1) >= 2, "two epochs of the first fit")
    manager.interrupt_kernel()  # what Jupyter's "interrupt" button does: SIGINT to the kernel
    printed = cell_output(client, first)
    assert "cnnlab: stopping after this batch" in printed
    assert "fit returned" in printed  # the fit ended normally; the kernel goes on
    with open_store(db) as store:
        stopped = get_experiment(store, 1)
        assert stopped.status == "stopped"
        assert any(a for a in store.read("SELECT id FROM artifacts WHERE experiment_id = 1"))

    client.execute(CELL.replace("NAME", "'cell 2'").replace("DB", repr(str(db))))
    until(lambda: epochs_of(db, 2) >= 2, "two epochs of the second fit")
    with open_store(db) as store:
        pid = get_experiment(store, 2).pid
    assert pid is not None
    os.kill(pid, signal.SIGKILL)  # the kernel dies (out of memory, a crash)
    until(lambda: not manager.is_alive(), "the kernel to be gone")
    with open_store(db) as store:
        recorded = len(list_epochs(store, 2))
        look_after_jobs(store)  # what ls, the TUI and the scheduler do when they look
        lost = get_experiment(store, 2)
        assert lost.status == "lost"
        assert f"the {recorded} epoch(s) recorded are kept" in (lost.error or "")
        assert len(list_epochs(store, 2)) == recorded >= 2
