"""Every number is checked when a job is submitted, through the real CLI and a real database.

A bad value is one `Error:` line, exit code 2 and no row; the same rules hold for specs built
by the TUI and pipelines, because they live in the specs. Nothing here imports TensorFlow.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest
from support.cli_errors import one_error_line

from cnnlab.engine import CONFIRM_REPEATS, MAX_REPEATS, SpecError, TrainSpec, TransferSpec
from cnnlab.engine.kinds.bench.spec import BenchSpec
from cnnlab.engine.kinds.convert.spec import ConvertSpec
from cnnlab.engine.pipeline import PipelineError, load_pipeline
from cnnlab.errors import CnnlabError
from cnnlab.store import Store, add_artifact, create_experiment, open_store


def rows(db_path: Path) -> int:
    with open_store(db_path) as store:
        return int(store.read("SELECT count(*) FROM experiments")[0][0])


def refused(result: Any, message: str) -> str:
    """Exit code 2 and `message` in the one `Error:` line the command wrote."""
    assert result.exit_code == 2, result.output
    return one_error_line(result.stderr, message)


TRAIN_CASES = [
    (["--lr", "inf"], "The learning rate must be a finite number, got inf."),
    (["--lr", "nan"], "The learning rate must be a finite number, got nan."),
    (["--lr", "-inf"], "The learning rate must be a finite number, got -inf."),
    (["--lr", "11"], "The learning rate must be at most 10, got 11.0"),
    (["--width", "inf"], "The width multiplier must be a finite number, got inf."),
    (["--width", "nan"], "The width multiplier must be a finite number, got nan."),
    (["--width", "4.5"], "The width multiplier must be at most 4, got 4.5."),
    (["--seed", "-1"], "The seed must be at least 0, got -1."),
    (["--seed", str(2**32)], "The seed must be at most 4,294,967,295, got 4294967296."),
    (["--input", "100000"], "from 8 to 1,024, got 100000."),
    (["--input", "4"], "Input 4x4 is too small for alexnet"),
    (["--input", "16"], "Input 16x16 is too small for alexnet: the minimum is 28x28."),
    (["--epochs", "100001"], "The epochs must be at most 100,000, got 100001."),
    (["--batch", "65537"], "The batch must be at most 65,536, got 65537."),
    (["--patience", "100001"], "Patience must be at most 100,000 epochs, got 100001."),
    (["--val-split", "nan"], "got nan"),
    (["--repeat", "100000"], f"--repeat must be at most {MAX_REPEATS:,}, got 100,000"),
    (["--repeat", "0"], "--repeat must be a positive whole number, got 0."),
    # The last repeat's seed is checked before the first run is queued.
    (["--seed", str(2**32 - 1), "--repeat", "2"], "--repeat 2 uses seeds 4294967295 to 4294967296"),
    # A value click cannot read as the option's type is click's own usage error, still exit 2.
    (["--repeat", "1e5"], "'1e5' is not a valid integer"),
    (["--seed", "1.5"], "'1.5' is not a valid integer"),
]


@pytest.mark.parametrize(("args", "message"), TRAIN_CASES)
def test_bad_training_values_are_refused_and_queue_nothing(  # type: ignore[no-untyped-def]
    invoke, db_path: Path, tiny_images: Path, args: list[str], message: str
) -> None:
    before = rows(db_path)
    result = invoke("train", "-m", "alexnet", "-d", str(tiny_images), *args, "--db", str(db_path))
    refused(result, message)
    assert rows(db_path) == before == 0


def test_a_zoo_model_without_a_width_multiplier_refuses_one(  # type: ignore[no-untyped-def]
    invoke, db_path: Path, tiny_images: Path
) -> None:
    result = invoke(
        "train", "-m", "resnet50", "-d", str(tiny_images), "--width", "0.5", "--db", str(db_path)
    )
    refused(result, "resnet50 has no width multiplier; leave --width at 1.0 (got 0.5).")
    assert rows(db_path) == 0


def test_bad_transfer_values_are_refused_and_queue_nothing(  # type: ignore[no-untyped-def]
    invoke, db_path: Path, tiny_images: Path
) -> None:
    with open_store(db_path) as store:
        parent = create_experiment(
            store, "train", model="alexnet", spec={"model": "alexnet", "data": str(tiny_images)}
        )
    for args, message in (
        (["--lr", "inf"], "The learning rate must be a finite number, got inf."),
        (["--seed", "-1"], "The seed must be at least 0, got -1."),
        (["--width", "nan"], "The width multiplier must be a finite number, got nan."),
        (["--input", "100000"], "from 8 to 1,024, got 100000."),
    ):
        result = invoke("transfer", str(parent), "--wait-for-parent", *args, "--db", str(db_path))
        refused(result, message)
    assert rows(db_path) == 1  # the parent only


@pytest.fixture
def tflite_owner(db_path: Path) -> tuple[int, int]:
    """A finished experiment with one (stand-in) TFLite artifact: (experiment id, artifact id)."""
    with open_store(db_path) as store:
        owner = create_experiment(store, "train", model="tiny", status="done")
        model = store.run_dir(owner) / "tflite" / "1-float.tflite"
        model.parent.mkdir(parents=True)
        model.write_bytes(b"TFL3" + bytes(range(256)))
        return owner, add_artifact(store, owner, "tflite", model, meta={"mode": "float"})


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--runs", str(10**20)], "--runs must be at most 100,000, got 100000000000000000000."),
        (["--runs", "0"], "--runs must be at least 1, got 0."),
        (["--warmup", "-1"], "--warmup must be at least 0, got -1."),
        (["--warmup", "100001"], "--warmup must be at most 100,000, got 100001."),
        (["--threads", "0"], "--threads must be at least 1, got 0."),
        (["--threads", "257"], "--threads must be at most 256, got 257."),
        (["--runs", "1e20"], "'1e20' is not a valid integer"),  # click's own refusal
    ],
)
def test_bad_bench_values_are_refused_and_queue_nothing(  # type: ignore[no-untyped-def]
    invoke, db_path: Path, tflite_owner: tuple[int, int], args: list[str], message: str
) -> None:
    owner, _ = tflite_owner
    result = invoke("bench", str(owner), "--device", "host", *args, "--db", str(db_path))
    refused(result, message)
    assert rows(db_path) == 1


def test_bad_convert_values_are_refused_and_queue_nothing(  # type: ignore[no-untyped-def]
    invoke, db_path: Path
) -> None:
    with open_store(db_path) as store:
        source = create_experiment(store, "train", model="alexnet")  # queued: no model check
    result = invoke(
        "convert", str(source), "--mode", "int8", "--calibration", "10001", "--db", str(db_path)
    )
    refused(result, "Calibration takes at most 10,000 images, got 10001")
    assert rows(db_path) == 1


# The specs themselves: what the TUI's forms and pipeline files build goes through the same rules.


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"lr": math.inf}, "learning rate must be a finite number"),
        ({"lr": 10**400}, "learning rate must be a finite number"),
        ({"lr": "0.1"}, "learning rate must be a number, got '0.1'"),
        ({"lr": True}, "learning rate must be a number"),
        ({"width": -math.inf}, "width multiplier must be a finite number"),
        ({"val_split": math.nan}, "validation split must be a finite number, got nan"),
        ({"val_split": math.inf}, "validation split must be a finite number, got inf"),
        ({"seed": 1.0}, "The seed must be a whole number, got 1.0."),
        ({"seed": -1}, "The seed must be at least 0"),
        ({"input": 8.0}, "The input size must be a whole number of pixels"),
        ({"epochs": 10**9}, "The epochs must be at most 100,000"),
        (
            {"patience": 1.5},
            r"Patience must be 0 or more epochs \(-1: no early stopping\), got 1.5.",
        ),
        ({"model": "alexnett"}, "Unknown model 'alexnett'"),
    ],
)
def test_train_spec_refuses(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(SpecError, match=message):
        TrainSpec(**{"model": "alexnet", "data": "/data", **changes})


def test_limits_are_inclusive() -> None:
    spec = TrainSpec(model="alexnet", data="d", lr=10, width=4, seed=2**32 - 1, epochs=100_000)
    assert spec.lr == 10
    TrainSpec(model="alexnet", data="d", input=1024, batch=65_536, patience=0, val_split=0.5)
    BenchSpec(artifact_id=1, runs=100_000, warmup=0, threads=256)
    ConvertSpec(source_id=1, mode="int8", calibration=10_000)


def test_transfer_spec_refuses_and_keeps_parent_model_names() -> None:
    # A transfer loads its parent's model, so a name outside the zoo is fine there.
    TransferSpec(model="my_imported_net", data="d", source=3, input=8)
    for changes, message in (
        ({"lr": math.nan}, "learning rate must be a finite number"),
        ({"drop_last": 0}, "drop_last must be at least 1"),
        ({"drop_last": 1.5}, "drop_last must be a whole number"),
        ({"input": 2048}, "from 8 to 1,024, got 2048"),
    ):
        with pytest.raises(SpecError, match=message):
            TransferSpec(**{"model": "m", "data": "d", "source": 3, **changes})


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"runs": 1.5}, "--runs must be a whole number, got 1.5."),
        ({"runs": True}, "--runs must be a whole number"),
        ({"warmup": 10**6}, "--warmup must be at most 100,000"),
        ({"threads": 10**6}, "--threads must be at most 256"),
        ({"require_full_delegation": True}, "applies to a phone's gpu, nnapi or xnnpack"),
        (
            {"require_full_delegation": True, "device": "R58M41", "delegate": "cpu"},
            r"\(here: cpu on R58M41\)",
        ),
    ],
)
def test_bench_spec_refuses(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(SpecError, match=message):
        BenchSpec(**{"artifact_id": 1, **changes})


def test_convert_spec_bounds_the_batch() -> None:
    with pytest.raises(SpecError, match="batch size must be at most 65,536"):
        ConvertSpec(source_id=1, batch=10**6)


@pytest.mark.parametrize(
    ("stage", "message"),
    [
        ("lr = inf", "The learning rate must be a finite number, got inf."),
        ("lr = nan", "The learning rate must be a finite number, got nan."),
        ("seed = -1", "The seed must be at least 0"),
        ("width = 1e400", "The width multiplier must be a finite number, got inf."),
        (f"repeat = {MAX_REPEATS + 1}", f"has repeat {MAX_REPEATS + 1}; use 1 to 1,000."),
        (f"seed = {2**32 - 2}\nrepeat = 3", "The seed must be at most 4,294,967,295"),
        ('model = "nope"', "Unknown model 'nope'"),
    ],
)
def test_pipeline_stages_are_bounded_like_the_cli(tmp_path: Path, stage: str, message: str) -> None:
    file = tmp_path / "chain.toml"
    model = "" if stage.startswith("model") else 'model = "alexnet"\n'
    file.write_text(f'[[stage]]\nname = "a"\n{model}data = "x"\n{stage}\n')
    with pytest.raises(PipelineError, match="stage 'a'.*" + _escaped(message)):
        load_pipeline(file)


def test_a_pipeline_queues_at_most_max_repeats_runs_in_all(tmp_path: Path) -> None:
    file = tmp_path / "chain.toml"
    half = MAX_REPEATS // 2 + 1
    file.write_text(
        f'[[stage]]\nname = "a"\nmodel = "alexnet"\ndata = "x"\nrepeat = {half}\n'
        f'[[stage]]\nname = "b"\nparent = "a"\nrepeat = {half}\n'
    )
    with pytest.raises(PipelineError, match=f"queue {2 * half:,} runs in all"):
        load_pipeline(file)


def _escaped(text: str) -> str:
    import re

    return re.escape(text)


# --repeat above the confirmation threshold.


@pytest.fixture
def no_scheduler(monkeypatch: pytest.MonkeyPatch) -> None:
    """Queue without starting a scheduler: the runs must be counted, not trained."""
    monkeypatch.setattr("cnnlab.engine.control.ensure_scheduler", lambda store: False)


def test_many_repeats_without_a_terminal_need_yes(  # type: ignore[no-untyped-def]
    invoke, db_path: Path, tiny_images: Path, no_scheduler: None
) -> None:
    many = str(CONFIRM_REPEATS + 1)
    base = ["train", "-m", "alexnet", "-d", str(tiny_images), "--db", str(db_path)]
    result = invoke(*base, "--repeat", many, env={"CI": "true"})
    refused(result, f"--repeat {many} queues {many} runs, more than {CONFIRM_REPEATS}; pass --yes")
    assert rows(db_path) == 0
    assert invoke(*base, "--repeat", str(CONFIRM_REPEATS)).exit_code == 0  # no question asked
    assert rows(db_path) == CONFIRM_REPEATS
    assert invoke(*base, "--repeat", many, "-y").exit_code == 0
    assert rows(db_path) == 2 * CONFIRM_REPEATS + 1


def test_many_repeats_at_a_terminal_are_asked_about(  # type: ignore[no-untyped-def]
    invoke, db_path: Path, tiny_images: Path, no_scheduler: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("cnnlab.cli.jobs._can_ask", lambda: True)
    base = ["train", "-m", "alexnet", "-d", str(tiny_images), "--db", str(db_path)]
    many = CONFIRM_REPEATS + 5
    declined = invoke(*base, "--repeat", str(many), "--seed", "3", input="n\n")
    assert declined.exit_code == 1
    assert f"Queue {many} train runs of alexnet (seeds 3-{many + 2})?" in declined.stderr
    assert rows(db_path) == 0
    accepted = invoke(*base, "--repeat", str(many), input="y\n")
    assert accepted.exit_code == 0, accepted.output
    assert rows(db_path) == many


def test_a_real_terminal_is_asked_and_a_no_queues_nothing(  # type: ignore[no-untyped-def]
    db_path: Path, tiny_images: Path
) -> None:
    """`_can_ask` is true on a real terminal: a child process on a pseudo-terminal is asked."""
    import os
    import pty
    import subprocess
    import sys

    leader, follower = pty.openpty()
    try:
        child = subprocess.Popen(
            [sys.executable, "-m", "cnnlab", "train", "-m", "alexnet", "-d", str(tiny_images),
             "--repeat", str(CONFIRM_REPEATS + 1), "--db", str(db_path)],
            stdin=follower, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        )  # fmt: skip
        os.write(leader, b"n\n")
        _, err = child.communicate(timeout=60)
    finally:
        os.close(leader)
        os.close(follower)
    assert child.returncode == 1, err
    assert f"Queue {CONFIRM_REPEATS + 1} train runs of alexnet" in err.decode()
    assert rows(db_path) == 0


def test_check_repeat_is_the_one_rule(store: Store) -> None:
    from cnnlab.engine import check_repeat, submit_repeats

    assert check_repeat(MAX_REPEATS) == MAX_REPEATS
    spec = TrainSpec(model="alexnet", data="/data")
    with pytest.raises(CnnlabError, match="at most 1,000, got 1,001"):
        submit_repeats(store, spec, MAX_REPEATS + 1, start_scheduler=False)
    assert store.read("SELECT count(*) FROM experiments")[0][0] == 0


def test_a_batch_larger_than_the_training_images_is_refused_at_submit(  # type: ignore[no-untyped-def]
    invoke, db_path: Path, tiny_images: Path, tmp_path: Path
) -> None:
    """Counted as the job counts them (the Training split here: 33 images), before any row; it
    used to queue and then fail once the job had loaded the data."""
    message = f"Batch size 34 is larger than the 33 training images of {tiny_images}"
    result = invoke(
        "train", "-m", "alexnet", "-d", str(tiny_images), "--batch", "34", "--db", str(db_path)
    )
    refused(result, message)
    with open_store(db_path) as store:
        parent = create_experiment(
            store, "train", model="alexnet", spec={"model": "alexnet", "data": str(tiny_images)}
        )
    result = invoke(
        "transfer", str(parent), "--wait-for-parent", "--batch", "34", "--db", str(db_path)
    )
    refused(result, message)
    chain = tmp_path / "chain.toml"
    chain.write_text(
        f'[[stage]]\nname = "a"\nmodel = "alexnet"\ndata = "{tiny_images}"\nbatch = 33\n'
        f'[[stage]]\nname = "b"\nmodel = "alexnet"\ndata = "{tiny_images}"\nbatch = 34\n'
    )
    result = invoke("pipeline", "run", str(chain), "--db", str(db_path))
    refused(result, message)
    assert rows(db_path) == 1  # the parent only: stage a was not queued either
    assert (
        invoke(
            "train", "-m", "alexnet", "-d", str(tiny_images), "--batch", "33", "--db", str(db_path)
        ).exit_code
        == 0
    )
