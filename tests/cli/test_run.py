"""`cnnlab run`: a command queued as a script job, refused at the door when it cannot start.

Refusals are one `Error:` line, exit code 2 and no row; the accepted command goes to the
program as typed, options of `run` before it and the command's own options after it.
"""

from __future__ import annotations

import json
import stat
import sys
from pathlib import Path
from typing import Any

import pytest
from support.cli_errors import one_error_line
from support.waiting import wait_for

from cnnlab.store import count_experiments, get_experiment, open_store


@pytest.fixture
def work(tmp_path: Path) -> Path:
    folder = tmp_path / "work"
    folder.mkdir()
    (folder / "train.py").write_text("import sys\nprint('args', sys.argv[1:], flush=True)\n")
    return folder


def no_rows(db_path: Path) -> bool:
    if not db_path.exists():
        return True
    with open_store(db_path) as store:
        return count_experiments(store) == 0


@pytest.mark.parametrize(
    ("args", "fragments"),
    [
        (["--", sys.executable, "missing.py"], ["The script missing.py does not exist"]),
        (["--", "no-such-program-xyz", "a"], ["No program 'no-such-program-xyz' on PATH"]),
        (["--", "./train.py"], ["./train.py is not executable; `chmod +x ./train.py`"]),
        (["--", "train.py"], ["No program 'train.py' on PATH; write ./train.py"]),
        (["--cwd", "/no/such/folder", "--", sys.executable, "x.py"], ["/no/such/folder"]),
        (["--gpus", "1", "--", sys.executable, "train.py"], ["--gpus 1", "has none"]),
        (["--gpus", "-1", "--", sys.executable, "train.py"], ["must be at least 0, got -1"]),
        (["--"], ["No command to run"]),
        ([], ["No command to run"]),
        (["--", ""], ["empty"]),
        (["--partition", "gpu", "--backend", "local", "--", sys.executable, "train.py"], ["slurm"]),
    ],
)
def test_a_command_that_cannot_start_is_refused_before_any_row(
    run_cnnlab: Any, db_path: Path, work: Path, args: list[str], fragments: list[str]
) -> None:
    result = run_cnnlab("run", "--db", str(db_path), *args, cwd=work)
    assert result.returncode == 2, (result.stdout, result.stderr)
    one_error_line(result.stderr, *fragments)
    assert no_rows(db_path)


def test_a_command_is_queued_with_its_options_and_runs_as_typed(
    run_cnnlab: Any, db_path: Path, work: Path
) -> None:
    (db_path.parent / "cnnlab.toml").write_text("[engine]\nidle_timeout_s = 30.0\n")
    command = [sys.executable, "train.py", "--name", "x y", "--", "--gpus", "$HOME"]
    result = run_cnnlab(
        "run", "--db", str(db_path), "--name", "mine", "--json", "--", *command, cwd=work
    )
    assert result.returncode == 0, result.stderr
    experiment_id = json.loads(result.stdout)["id"]
    with open_store(db_path) as store:
        wait_for(lambda: get_experiment(store, experiment_id).status == "done", 120, "the job")
        experiment = get_experiment(store, experiment_id)
        log = (store.run_dir(experiment_id) / "log.txt").read_text()
    assert experiment.name == "mine" and experiment.kind == "script"
    assert experiment.spec["argv"] == command and experiment.spec["cwd"] == str(work)
    assert experiment.spec["gpus"] == 0
    assert "args ['--name', 'x y', '--', '--gpus', '$HOME']" in log
    shown = run_cnnlab("show", str(experiment_id), "--db", str(db_path))
    assert shown.returncode == 0, shown.stderr
    assert "command" in shown.stdout and "train.py --name 'x y' -- --gpus '$HOME'" in shown.stdout


def test_without_dashes_the_first_argument_starts_the_command(
    run_cnnlab: Any, db_path: Path, work: Path
) -> None:
    (db_path.parent / "cnnlab.toml").write_text("[engine]\nidle_timeout_s = 30.0\n")
    result = run_cnnlab(
        "run", "--db", str(db_path), "--follow", sys.executable, "train.py", "--wait", cwd=work
    )
    assert result.returncode == 0, result.stderr
    assert "args ['--wait']" in result.stdout  # --follow printed the script's output
    assert "ended done" in result.stderr


def test_an_executable_script_runs_by_its_path_and_its_failure_exits_1(
    run_cnnlab: Any, db_path: Path, work: Path
) -> None:
    (db_path.parent / "cnnlab.toml").write_text("[engine]\nidle_timeout_s = 30.0\n")
    path = work / "fail.sh"
    path.write_text('#!/bin/sh\necho "failing on $1" >&2\nexit 4\n')
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    result = run_cnnlab("run", "--db", str(db_path), "--wait", "--json", "--", "./fail.sh", "a;b")
    # cwd defaults to the caller's, here the test's own: run it from the work folder instead.
    assert result.returncode == 2 and "./fail.sh does not exist" in result.stderr
    result = run_cnnlab(
        "run", "--db", str(db_path), "--wait", "--json", "--", "./fail.sh", "a;b", cwd=work
    )
    assert result.returncode == 1, result.stderr
    assert json.loads(result.stdout)["status"] == "failed"
    with open_store(db_path) as store:
        experiment = get_experiment(store, json.loads(result.stdout)["id"])
    assert (experiment.error or "").startswith(
        'The script exited with status 4 (its last line: "failing on a;b")'
    )
    assert experiment.spec["program"] == str(path)
