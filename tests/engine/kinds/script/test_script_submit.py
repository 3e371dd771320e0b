"""What a script job records and refuses at submit: its Python script, its git state (a real
git checkout), the host's GPUs; and what it takes from the scheduler (a trainer slot, N GPUs)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from cnnlab.engine import ScriptSpec, SpecError, plan_script, spec_from_dict
from cnnlab.engine.kinds.script.command import CommandError, python_script
from cnnlab.engine.kinds.script.source import source_state
from cnnlab.engine.runtime.resources import Booking, Limits, needs_of
from cnnlab.store import Store, create_experiment, get_experiment


@pytest.mark.parametrize(
    ("argv", "script"),
    [
        (["python", "train.py", "--lr", "1"], "train.py"),
        (["/usr/bin/python3.12", "-u", "-W", "ignore", "-X", "dev", "a/b.py"], "a/b.py"),
        (["python3", "-Wignore", "x.py"], "x.py"),
        (["python", "-m", "pkg.train", "x.py"], None),
        (["python", "-mpkg", "x.py"], None),
        (["python", "-c", "print(1)", "x.py"], None),
        (["python", "-"], None),
        (["python"], None),
        (["bash", "run.sh"], None),
        (["pythonista", "x.py"], None),
    ],
)
def test_the_python_script_of_a_command(argv: list[str], script: str | None) -> None:
    assert python_script(argv) == script


def git(folder: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@t", *args],
        cwd=folder,
        check=True,
        capture_output=True,
    )


def test_the_git_state_names_the_commit_and_hashes_what_is_not_committed(tmp_path: Path) -> None:
    assert source_state(tmp_path) == source_state(tmp_path)
    assert source_state(tmp_path).commit is None  # not a checkout
    repo = tmp_path / "repo"
    (repo / "src").mkdir(parents=True)
    (repo / "src" / "train.py").write_text("print(1)\n")
    (repo / ".gitignore").write_text("data/\n")
    git(repo, "init", "-q")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "first")
    clean = source_state(repo / "src")
    assert clean.commit is not None and len(clean.commit) == 40 and clean.dirty is None
    (repo / "data").mkdir()
    (repo / "data" / "big.bin").write_bytes(b"x" * 100)
    assert source_state(repo) == clean  # ignored files are not code
    (repo / "src" / "train.py").write_text("print(2)\n")
    edited = source_state(repo)
    assert edited.commit == clean.commit and edited.dirty is not None
    assert source_state(repo) == edited  # the same changes, the same hash
    (repo / "src" / "notes.py").write_text("a = 1\n")
    untracked = source_state(repo)
    assert untracked.dirty not in (None, edited.dirty)
    (repo / "src" / "notes.py").write_text("a = 2\n")  # an untracked file's content counts
    assert source_state(repo).dirty not in (None, untracked.dirty)
    git(repo, "add", ".")  # staged changes are still uncommitted
    assert source_state(repo).dirty is not None


def test_a_submitted_script_records_its_checkout(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "train.py").write_text("print(1)\n")
    git(repo, "init", "-q")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "first")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    spec = plan_script([sys.executable, "../repo/train.py"], cwd=elsewhere, host_gpus=0)
    assert spec.git_commit == source_state(repo).commit and spec.git_dirty is None
    assert spec.name == "train.py" and spec.cwd == str(elsewhere)
    assert spec_from_dict(spec.to_dict()) == spec  # what the row holds rebuilds it


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"argv": "python x.py"}, "must be a list of arguments"),
        ({"argv": []}, "No command to run"),
        ({"argv": ["python", 3]}, "must be text"),
        ({"argv": ["python", "a\0b"]}, "NUL"),
        ({"cwd": "relative"}, "absolute path"),
        ({"gpus": True}, "whole number"),
        ({"gpus": 1.5}, "whole number"),
        ({"gpus": 65}, "at most 64"),
    ],
)
def test_a_spec_refuses_impossible_values(values: dict[str, object], message: str) -> None:
    with pytest.raises(SpecError, match=message):
        ScriptSpec(**{"argv": ["python"], "cwd": "/tmp", **values})  # type: ignore[arg-type]


def test_more_gpus_than_the_host_has_are_refused(tmp_path: Path) -> None:
    argv = [sys.executable, "-c", "pass"]
    with pytest.raises(SpecError, match=r"--gpus 3 asks for 3 GPUs, but this host has 2"):
        plan_script(argv, cwd=tmp_path, gpus=3, host_gpus=2)
    assert plan_script(argv, cwd=tmp_path, gpus=2, host_gpus=2).gpus == 2
    (tmp_path / "sub").mkdir()
    with pytest.raises(CommandError, match="is a folder"):
        plan_script(["./sub"], cwd=tmp_path, host_gpus=0)


def test_a_script_takes_a_trainer_slot_and_the_gpus_it_asked_for(store: Store) -> None:
    def script(gpus: int) -> int:
        spec = ScriptSpec(argv=("python",), cwd="/tmp", gpus=gpus).to_dict()
        return create_experiment(store, "script", spec=spec)

    two, none = get_experiment(store, script(2)), get_experiment(store, script(0))
    assert (needs_of(two).pool, needs_of(two).gpus) == ("trainer", 2)
    assert (needs_of(none).pool, needs_of(none).gpu) == ("trainer", False)
    booking = Booking(Limits(trainer_slots=3, conversion_slots=1, gpus=["A", "B", "C"]), [])
    booking.busy_gpus = {"1"}
    assert booking.wait_reason(two) is None and booking.free_gpus(2) == "0,2"
    booking.take(two, "0,2")
    assert booking.busy_gpus == {"0", "1", "2"}
    assert booking.wait_reason(get_experiment(store, script(1))) == "waiting for a GPU"
    assert booking.wait_reason(get_experiment(store, script(2))) == "waiting for 2 GPUs"
    assert booking.wait_reason(none) is None  # no GPU needed, a trainer slot is free
    full = Booking(Limits(trainer_slots=1, conversion_slots=1), [two])
    assert full.wait_reason(none) == "waiting for a trainer slot (1 training)"
