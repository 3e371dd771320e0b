"""The training form offers the lab's own architectures (cnnlab.toml's [models]) beside the
zoo's, and submitting one builds it once (in a child process) and queues a run that keeps a
copy of its file, as `cnnlab train --model my_net` does."""

from __future__ import annotations

import hashlib
from pathlib import Path

from support.images import write_images
from textual.widgets import Input, Select

from cnnlab.store import Store, get_experiment
from cnnlab.tui.screens.job_form import JobForm

from .conftest import MakeApp
from .helpers import home, until

NETS = """
import keras


def build_my_net(input_shape=(16, 16, 3), num_classes=3):
    inputs = keras.Input(input_shape)
    x = keras.layers.Conv2D(4, 3, activation="relu", name="conv_a")(inputs)
    x = keras.layers.GlobalAveragePooling2D()(x)
    return keras.Model(inputs, keras.layers.Dense(num_classes, activation="softmax")(x))
"""


async def test_a_lab_model_is_picked_and_queued(
    make_app: MakeApp, lab_store: Store, tmp_path: Path
) -> None:
    nets = tmp_path / "lab" / "nets.py"
    nets.parent.mkdir()
    nets.write_text(NETS)
    (lab_store.path.parent / "cnnlab.toml").write_text(
        f'[models]\nmy_net = "{nets}:build_my_net"\n'
    )
    data = write_images(tmp_path / "fruits", ("apple", "pear", "plum"))
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        screen = home(pilot)
        await pilot.press("n")
        await until(pilot, lambda: isinstance(app.screen, JobForm))
        form = app.screen
        assert isinstance(form, JobForm)
        picker = form.query_one("#model", Select)
        assert [str(label) for label, _ in picker._options][-1] == "my_net"
        picker.value = "my_net"
        form.query_one("#data", Input).value = str(data)
        form.query_one("#epochs", Input).value = "1"
        await until(pilot, lambda: form.dataset is not None and form.dataset.ok)
        assert "your own: " in str(form.query_one("#model-info").render())
        assert "--model my_net" in str(form.query_one("#command").render())
        await pilot.press("ctrl+s")
        await until(pilot, lambda: app.screen is screen, tries=6000)  # a child process builds it
        await until(pilot, lambda: "e9" in screen.table.rows_by_key)
    queued = get_experiment(lab_store, 9)
    assert (queued.status, queued.model) == ("queued", "my_net")
    digest = hashlib.sha256(nets.read_bytes()).hexdigest()
    assert queued.spec["model_source"]["sha256"] == digest
    assert queued.spec["input"] == 16
    copy = lab_store.run_dir(9) / "model_source" / "nets.py"
    assert hashlib.sha256(copy.read_bytes()).hexdigest() == digest


def test_a_clone_of_a_file_model_run_names_the_file_absolutely(tmp_path: Path) -> None:
    from cnnlab.tui.job_fields import model_choices, values_from_spec

    source = {"kind": "function", "path": str(tmp_path / "nets.py"), "function": "f", "sha256": "0"}
    values = values_from_spec({"model": "nets.py:f", "model_source": source, "epochs": 3})
    assert values["model"] == f"{tmp_path}/nets.py:f"
    assert values["epochs"] == "3"
    assert model_choices({}, values["model"])[-1] == values["model"]  # offered by the picker
    lab = values_from_spec({"model": "my_net", "model_source": source})
    assert lab["model"] == "my_net"  # a lab name stays the name
