"""Transfer learning and pipelines with real TensorFlow on generated images: frozen weights stay
bit-identical, the head is replaced, a three-stage chain runs with the right lineage, a failed
parent cancels its dependents, and bad requests are refused before anything is queued."""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from support.waiting import wait_for as support_wait_for

from cnnlab.store import FINAL_STATUSES, get_detail, get_experiment, list_events, open_store

EXAMPLES = Path(__file__).parents[4] / "examples"


def wait_for(condition: Callable[[], bool], timeout: float = 240.0, what: str = "it") -> None:
    support_wait_for(condition, timeout, what)


@pytest.fixture(scope="module")
def chain_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """examples/tiny_chain.toml next to the generated datasets it names."""
    from click.testing import CliRunner

    from cnnlab.cli import cli

    folder = tmp_path_factory.mktemp("chain")
    shutil.copy(EXAMPLES / "tiny_chain.toml", folder)
    for name, classes, per_class, seed in (("pretrain", 8, 30, 1), ("fruits", 12, 20, 2)):
        result = CliRunner().invoke(
            cli,
            [
                "data",
                "synth",
                str(folder / "data" / name),
                "--classes",
                str(classes),
                "--per-class",
                str(per_class),
                "--size",
                "32",
                "--seed",
                str(seed),
            ],
        )
        assert result.exit_code == 0, result.output
    return folder


def test_a_three_stage_chain_runs_with_its_lineage(run_cnnlab, chain_folder: Path) -> None:  # type: ignore[no-untyped-def]
    db = chain_folder / "experiments.db"
    result = run_cnnlab(
        "pipeline", "run", str(chain_folder / "tiny_chain.toml"), "--json", "--db", str(db)
    )
    assert result.returncode == 0, result.stderr
    ids = json.loads(result.stdout)["stages"]
    pretrain, fruits, final = ids["pretrain"][0], ids["fruits"][0], ids["apple-pear-noise"]
    assert len(final) == 2
    store = open_store(db)
    wait_for(
        lambda: all(get_experiment(store, i).status in FINAL_STATUSES for i in final), what="chain"
    )

    for experiment_id in (pretrain, fruits, *final):
        assert get_experiment(store, experiment_id).status == "done"
    assert get_experiment(store, fruits).parent_id == pretrain
    assert {get_experiment(store, i).parent_id for i in final} == {fruits}
    assert {get_experiment(store, i).group_id for i in final} == {final[0]}
    assert [get_experiment(store, i).spec["seed"] for i in final] == [1, 2]
    # each stage started only after its parent was done
    assert get_experiment(store, fruits).started_at >= get_experiment(store, pretrain).finished_at  # type: ignore[operator]

    transfer = next(e for e in list_events(store, final[0]) if e.kind == "transfer")
    assert transfer.data["source"] == fruits
    assert transfer.data["freeze"] == "first:4"
    assert transfer.data["frozen_params"] > 0
    assert transfer.data["trainable_params"] > 0
    assert "conv4" in transfer.data["frozen_layers"]
    assert "predictions" in transfer.data["trainable_layers"]

    status = run_cnnlab("pipeline", "status", str(pretrain), "--db", str(db))
    assert status.returncode == 0
    assert [line.split()[0] for line in status.stdout.splitlines()] == [
        str(pretrain),
        str(fruits),
        *map(str, final),
    ]

    _check_frozen_weights(store, fruits, final[0])

    report = run_cnnlab("report", str(final[0]), "--format", "json", "--db", str(db))
    data = json.loads(report.stdout)["groups"][0]
    assert [run["id"] for run in data["runs"]] == final


def _check_frozen_weights(store, parent: int, child: int) -> None:  # type: ignore[no-untyped-def]
    """After the final stage, conv1..conv4 equal the parent's bit for bit; the rest moved."""
    import keras

    def model(experiment_id: int):  # type: ignore[no-untyped-def]
        artifact = next(a for a in get_detail(store, experiment_id).artifacts if a.kind == "keras")
        return keras.models.load_model(store.path.parent / artifact.path, compile=False)

    before, after = model(parent), model(child)
    frozen = set(
        next(e for e in list_events(store, child) if e.kind == "transfer").data["frozen_layers"]
    )
    assert {"conv1", "conv2", "conv3", "conv4"} <= frozen
    for layer in after.layers:
        if not layer.weights or layer.name not in {lay.name for lay in before.layers}:
            continue
        old = before.get_layer(layer.name).get_weights()
        new = layer.get_weights()
        if layer.name in frozen:
            for a, b in zip(old, new, strict=True):
                np.testing.assert_array_equal(a, b)
        elif layer.trainable and layer.name.startswith("fc"):
            assert any(not np.array_equal(a, b) for a, b in zip(old, new, strict=True))
    assert after.output_shape[-1] == 3  # apple, pear, noise
    assert before.output_shape[-1] == 12


def test_a_failed_parent_cancels_its_dependents(  # type: ignore[no-untyped-def]
    run_cnnlab, chain_folder: Path, tmp_path: Path
) -> None:
    data = tmp_path / "doomed"
    shutil.copytree(chain_folder / "data" / "pretrain", data)
    pipeline = tmp_path / "doomed.toml"
    pipeline.write_text(
        f'[[stage]]\nname = "a"\nmodel = "alexnet"\ndata = "{data}"\ninput = 32\nepochs = 1\n'
        '[[stage]]\nname = "b"\nparent = "a"\nreplace_head = true\n'
        '[[stage]]\nname = "c"\nparent = "b"\nfreeze = "first:1"\n'
    )
    db = tmp_path / "experiments.db"
    result = run_cnnlab("pipeline", "run", str(pipeline), "--json", "--db", str(db))
    assert result.returncode == 0, result.stderr
    shutil.rmtree(data)  # the first stage will fail: its dataset is gone
    ids = json.loads(result.stdout)["stages"]
    store = open_store(db)
    wait_for(
        lambda: get_experiment(store, ids["c"][0]).status in FINAL_STATUSES, what="cancellation"
    )
    assert get_experiment(store, ids["a"][0]).status == "failed"
    b, c = get_experiment(store, ids["b"][0]), get_experiment(store, ids["c"][0])
    assert (b.status, c.status) == ("stopped", "stopped")
    assert b.error == f"Cancelled: experiment {ids['a'][0]}, which it waited for, ended failed."
    assert c.error is not None
    assert f"experiment {ids['b'][0]}" in c.error
    assert b.started_at is None
    assert c.started_at is None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            '[[stage]]\nname = "a"\nparent = "b"\n[[stage]]\nname = "b"\nparent = "a"\n',
            "the stages form a cycle: a -> b -> a",
        ),
        (
            '[[stage]]\nname = "a"\nmodel = "alexnet"\ndata = "x"\n'
            '[[stage]]\nname = "b"\nparent = "nope"\n',
            "names parent 'nope', which is not a stage",
        ),
        (
            '[[stage]]\nname = "a"\nmodel = "alexnet"\ndata = "x"\nepochz = 3\n',
            "unknown keys epochz",
        ),
        (
            '[[stage]]\nname = "a"\nmodel = "alexnet"\ndata = "x"\nepochs = 0\n',
            "epochs must be a positive whole number",
        ),
        (
            '[[stage]]\nname = "a"\nmodel = "alexnet"\ndata = "x"\n'
            '[[stage]]\nname = "b"\nparent = "a"\nfreeze = "top:2"\n',
            "Cannot read --freeze",
        ),
        ('[[stage]]\nname = "a"\nmodel = "alexnet"\ndata = "missing-folder"\n', "does not exist"),
    ],
)
def test_bad_pipelines_queue_nothing(run_cnnlab, tmp_path: Path, text: str, message: str) -> None:  # type: ignore[no-untyped-def]
    pipeline = tmp_path / "bad.toml"
    pipeline.write_text(text)
    db = tmp_path / "experiments.db"
    result = run_cnnlab("pipeline", "run", str(pipeline), "--db", str(db))
    assert result.returncode == 2
    assert message in result.stderr
    assert json.loads(run_cnnlab("ls", "--json", "--db", str(db)).stdout)["total"] == 0


@pytest.fixture(scope="module")
def trained(chain_folder: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, int]:
    """A finished alexnet run to transfer from."""
    import subprocess
    import sys

    db = tmp_path_factory.mktemp("parent") / "experiments.db"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "cnnlab",
            "train",
            "--model",
            "alexnet",
            "--input",
            "32",
            "--data",
            str(chain_folder / "data" / "pretrain"),
            "--epochs",
            "1",
            "--wait",
            "--db",
            str(db),
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    return db, 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--freeze", "layers:conv1,conv9"], "No layer named 'conv9'"),
        (["--freeze", "upto:predictions"], "freezes every layer"),
        (["--freeze", "first:9"], "more convolution blocks than the 4"),
        (["--freeze", "first:2"], "head has 8 outputs but the data has 12 classes"),
        (["--freeze", "sideways"], "Cannot read --freeze"),
    ],
)
def test_bad_transfers_are_refused_before_queueing(  # type: ignore[no-untyped-def]
    run_cnnlab, trained: tuple[Path, int], chain_folder: Path, args: list[str], message: str
) -> None:
    db, parent = trained
    result = run_cnnlab(
        "transfer",
        str(parent),
        *args,
        "--data",
        str(chain_folder / "data" / "fruits"),
        "--db",
        str(db),
    )
    assert result.returncode == 2
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert json.loads(run_cnnlab("ls", "--json", "--db", str(db)).stdout)["total"] == 1


def test_a_parent_not_done_is_refused_unless_asked_to_wait(  # type: ignore[no-untyped-def]
    run_cnnlab, chain_folder: Path, tmp_path: Path
) -> None:
    from cnnlab.engine import TrainSpec, stop_scheduler, submit
    from cnnlab.store import set_status

    db = tmp_path / "experiments.db"
    store = open_store(db)
    data = str(chain_folder / "data" / "pretrain")
    parent = submit(store, TrainSpec(model="alexnet", data=data, input=32), start_scheduler=False)
    # running elsewhere (another node, fresh heartbeat): no scheduler here will touch it
    set_status(store, parent, "running", host="gpu-node-7")
    refused = run_cnnlab("transfer", str(parent), "--freeze", "first:1", "--db", str(db))
    assert refused.returncode == 2
    assert "is running, so its model is not ready; pass --wait-for-parent" in refused.stderr
    waiting = run_cnnlab(
        "transfer",
        str(parent),
        "--freeze",
        "first:1",
        "--wait-for-parent",
        "--json",
        "--db",
        str(db),
    )
    assert waiting.returncode == 0, waiting.stderr
    child = get_experiment(store, json.loads(waiting.stdout)["id"])
    assert (child.wait_for, child.parent_id, child.status) == (parent, parent, "queued")
    try:
        time.sleep(1.0)
        assert get_experiment(store, child.id).status == "queued"  # it waits
        set_status(store, parent, "failed", error="CUDA out of memory")
        wait_for(lambda: get_experiment(store, child.id).status == "stopped", 30, "the child")
    finally:
        stop_scheduler(store)
    assert "ended failed" in (get_experiment(store, child.id).error or "")
