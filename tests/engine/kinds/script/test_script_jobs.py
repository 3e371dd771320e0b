"""Script jobs through the real scheduler and job process: real scripts, real signals.

Each script writes what it saw (its arguments, environment, process group) into a file the
test reads; `engine.stop_grace_s` is set to 2 s so a script that ignores SIGTERM is killed
soon. No TensorFlow in the scripts (the Recorder test has its own module).
"""

from __future__ import annotations

import json
import os
import signal
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest
from support.waiting import wait_for as support_wait_for

from cnnlab.engine import resume, scheduler_status, stop, submit_script
from cnnlab.store import Store, get_experiment, list_events

GRACE_S = 2.0
FINAL = ("done", "failed", "stopped", "lost")


def wait_for(condition: Callable[[], bool], timeout: float = 120.0, what: str = "it") -> None:
    support_wait_for(condition, timeout, what, every=0.1)


@pytest.fixture(autouse=True)
def config(db_path: Path) -> None:
    (db_path.parent / "cnnlab.toml").write_text(
        f"[engine]\nidle_timeout_s = 30.0\nstop_grace_s = {GRACE_S}\n"
    )


def script(folder: Path, body: str, name: str = "job.py") -> Path:
    """A Python script that records what it saw in seen-<pid>.json beside itself, then runs
    `body`."""
    path = folder / name
    path.write_text(
        "import json, os, signal, subprocess, sys, time\n"
        "seen = {'argv': sys.argv[1:], 'cwd': os.getcwd(), 'pid': os.getpid(),\n"
        "        'pgid': os.getpgid(0), 'sid': os.getsid(0), 'ppid': os.getppid(),\n"
        "        'env': {k: v for k, v in os.environ.items() if k.startswith('CNNLAB_')}}\n"
        "with open(os.path.join(os.path.dirname(os.path.abspath(__file__)),\n"
        "          'seen-%d.json' % os.getpid()), 'w') as f:\n"
        "    json.dump(seen, f)\n" + textwrap.dedent(body)
    )
    return path


def seen(folder: Path) -> list[dict[str, object]]:
    return [json.loads(p.read_text()) for p in sorted(folder.glob("seen-*.json"))]


def final(store: Store, experiment_id: int, timeout: float = 120.0) -> str:
    wait_for(lambda: get_experiment(store, experiment_id).status in FINAL, timeout, "the job")
    return get_experiment(store, experiment_id).status


def running_script(store: Store, folder: Path, experiment_id: int) -> dict[str, object]:
    wait_for(lambda: bool(seen(folder)), 120, "the script to start")
    assert get_experiment(store, experiment_id).status == "running"
    return seen(folder)[-1]


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X")


def test_a_script_that_exits_0_is_done_with_its_output_in_the_log(
    store: Store, tmp_path: Path
) -> None:
    work = tmp_path / "work dir"
    work.mkdir()
    script(work, "print('hello from the script', flush=True)\n")
    args = ["a b", "it's", '"q"', ";", "$(touch pwned)", "`id`", "*", "--name", ""]
    experiment_id = submit_script(store, [sys.executable, "job.py", *args], cwd=work)
    assert final(store, experiment_id) == "done"
    experiment = get_experiment(store, experiment_id)
    log = (store.run_dir(experiment_id) / "log.txt").read_text()
    assert "hello from the script" in log
    [saw] = seen(work)
    assert saw["argv"] == args  # exactly as given: no shell read them
    assert not (work / "pwned").exists()
    assert saw["cwd"] == str(work)
    assert saw["env"] == {
        "CNNLAB_EXPERIMENT_ID": str(experiment_id),
        "CNNLAB_DB": str(store.path),
    }
    # Detached: its own process group, whose leader it is, apart from the job process's.
    assert saw["pgid"] == saw["pid"] and saw["ppid"] == experiment.pid
    assert saw["sid"] == os.getsid(experiment.pid) != os.getsid(0)  # the job's, not ours
    assert experiment.name == "job.py" and experiment.kind == "script"
    assert experiment.spec["argv"] == [sys.executable, "job.py", *args]
    assert experiment.spec["program"] == sys.executable
    events = {e.kind: e for e in list_events(store, experiment_id)}
    assert events["done"].message == "The script exited with status 0."
    assert events["script"].data is not None and events["script"].data["argv"] == [
        sys.executable,
        "job.py",
        *args,
    ]
    assert events["script"].data["resumed"] is False


def test_a_nonzero_exit_fails_with_its_status_and_last_line(store: Store, tmp_path: Path) -> None:
    script(tmp_path, "print('\\x1b[1mloading\\r', flush=True)\nsys.exit('bad value: 7')\n")
    experiment_id = submit_script(store, [sys.executable, "job.py"], cwd=tmp_path)
    assert final(store, experiment_id) == "failed"
    experiment = get_experiment(store, experiment_id)
    log = store.run_dir(experiment_id) / "log.txt"
    assert experiment.error == (
        f'The script exited with status 1 (its last line: "bad value: 7"); its output is in {log}.'
    )
    script(tmp_path, "os._exit(3)\n", name="three.py")
    experiment_id = submit_script(store, [sys.executable, "three.py"], cwd=tmp_path)
    assert final(store, experiment_id) == "failed"
    log = store.run_dir(experiment_id) / "log.txt"
    assert get_experiment(store, experiment_id).error == (
        f"The script exited with status 3; its output is in {log}."
    )


def test_a_script_killed_by_a_signal_says_which(store: Store, tmp_path: Path) -> None:
    script(tmp_path, "os.kill(os.getpid(), signal.SIGABRT)\n")
    experiment_id = submit_script(store, [sys.executable, "job.py"], cwd=tmp_path)
    assert final(store, experiment_id) == "failed"
    error = get_experiment(store, experiment_id).error or ""
    assert error.startswith("The script was killed by SIGABRT (signal 6)")


def test_stop_kills_a_script_ignoring_sigterm_after_the_grace(store: Store, tmp_path: Path) -> None:
    script(
        tmp_path,
        """
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(600)'])
        print('child', child.pid, flush=True)
        while True:
            time.sleep(0.1)
        """,
    )
    experiment_id = submit_script(store, [sys.executable, "job.py"], cwd=tmp_path)
    saw = running_script(store, tmp_path, experiment_id)
    log = store.run_dir(experiment_id) / "log.txt"
    wait_for(lambda: "child " in log.read_text(), 30, "the forked child")
    child = int(log.read_text().split("child ")[1].split()[0])
    assert alive(child) and os.getpgid(child) == saw["pid"]
    assert stop(store, experiment_id) == "stopping"
    assert final(store, experiment_id) == "stopped"
    experiment = get_experiment(store, experiment_id)
    assert f"the script ignored SIGTERM and was killed after {GRACE_S:g} s" in (
        list_events(store, experiment_id)[-1].message
    )
    assert experiment.error is None
    assert not alive(int(str(saw["pid"]))) and not alive(child)  # the whole group went


def test_a_script_ending_on_sigterm_is_stopped_even_with_status_0(
    store: Store, tmp_path: Path
) -> None:
    script(
        tmp_path,
        """
        def leave(signum, frame):
            print('checkpoint saved', flush=True)
            sys.exit(0)
        signal.signal(signal.SIGTERM, leave)
        while True:
            time.sleep(0.1)
        """,
    )
    experiment_id = submit_script(store, [sys.executable, "job.py"], cwd=tmp_path)
    running_script(store, tmp_path, experiment_id)
    stop(store, experiment_id)
    assert final(store, experiment_id) == "stopped"
    last = list_events(store, experiment_id)[-1]
    assert last.kind == "stopped" and "the script ended on SIGTERM" in last.message
    assert "checkpoint saved" in (store.run_dir(experiment_id) / "log.txt").read_text()


def test_resume_runs_a_stopped_script_again_with_cnnlab_resumed(
    store: Store, tmp_path: Path
) -> None:
    script(
        tmp_path,
        """
        if os.environ.get('CNNLAB_RESUMED') != '1':
            while True:
                time.sleep(0.1)
        print('continued from the checkpoint', flush=True)
        """,
    )
    experiment_id = submit_script(store, [sys.executable, "job.py", "x"], cwd=tmp_path)
    running_script(store, tmp_path, experiment_id)
    stop(store, experiment_id)
    assert final(store, experiment_id) == "stopped"
    resume(store, experiment_id)
    assert final(store, experiment_id) == "done"
    first, second = seen(tmp_path)
    assert "CNNLAB_RESUMED" not in first["env"]  # type: ignore[operator]
    assert second["env"]["CNNLAB_RESUMED"] == "1"  # type: ignore[index]
    assert second["argv"] == ["x"] and second["cwd"] == str(tmp_path)
    assert "continued from the checkpoint" in (store.run_dir(experiment_id) / "log.txt").read_text()


def test_a_queued_script_is_cancelled_at_once(store: Store, tmp_path: Path) -> None:
    script(tmp_path, "while True:\n    time.sleep(0.1)\n")
    first = submit_script(store, [sys.executable, "job.py"], cwd=tmp_path)
    running_script(store, tmp_path, first)
    second = submit_script(store, [sys.executable, "job.py"], cwd=tmp_path)  # no slot left
    wait_for(
        lambda: get_experiment(store, second).waiting_for is not None, 30, "the second to wait"
    )
    assert get_experiment(store, second).waiting_for == "waiting for a trainer slot (1 training)"
    assert stop(store, second) == "stopped"
    assert list_events(store, second)[-1].message == "Cancelled before it started."
    stop(store, first)
    assert final(store, first) == "stopped"
    assert len(seen(tmp_path)) == 1  # the second never ran


def test_what_a_script_leaves_in_its_group_ends_with_it(store: Store, tmp_path: Path) -> None:
    script(
        tmp_path,
        """
        child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(600)'])
        print('child', child.pid, flush=True)
        """,
    )
    experiment_id = submit_script(store, [sys.executable, "job.py"], cwd=tmp_path)
    assert final(store, experiment_id) == "done"
    log = (store.run_dir(experiment_id) / "log.txt").read_text()
    assert not alive(int(log.split("child ")[1].split()[0]))


def test_a_killed_job_process_takes_its_script_along_and_is_lost(
    store: Store, tmp_path: Path
) -> None:
    script(tmp_path, "while True:\n    time.sleep(0.1)\n")
    experiment_id = submit_script(store, [sys.executable, "job.py"], cwd=tmp_path)
    saw = running_script(store, tmp_path, experiment_id)
    job_pid = get_experiment(store, experiment_id).pid
    assert job_pid is not None
    os.kill(job_pid, signal.SIGKILL)
    assert final(store, experiment_id) == "lost"
    wait_for(lambda: not alive(int(str(saw["pid"]))), 10, "the orphaned script to die")


def test_a_killed_scheduler_leaves_the_script_running_to_its_end(
    store: Store, tmp_path: Path
) -> None:
    script(
        tmp_path,
        "while not os.path.exists('go'):\n    time.sleep(0.1)\nprint('finished', flush=True)\n",
    )
    experiment_id = submit_script(store, [sys.executable, "job.py"], cwd=tmp_path)
    saw = running_script(store, tmp_path, experiment_id)
    scheduler = scheduler_status(store).pid
    assert scheduler is not None
    os.kill(scheduler, signal.SIGKILL)
    wait_for(lambda: not scheduler_status(store).running, 10, "the scheduler to go")
    assert alive(int(str(saw["pid"])))
    (tmp_path / "go").touch()
    assert final(store, experiment_id) == "done"  # the job process recorded it itself
    assert "finished" in (store.run_dir(experiment_id) / "log.txt").read_text()


def test_a_script_writing_a_lot_of_output_keeps_all_of_it(store: Store, tmp_path: Path) -> None:
    script(
        tmp_path,
        """
        line = 'x' * 99 + '\\n'
        for i in range(50_000):
            sys.stdout.write(line)
            sys.stderr.write(line) if i % 10 == 0 else None
        print('the end', flush=True)
        """,
    )
    experiment_id = submit_script(store, [sys.executable, "job.py"], cwd=tmp_path)
    assert final(store, experiment_id) == "done"
    log = (store.run_dir(experiment_id) / "log.txt").read_text()
    assert log.count("x" * 99 + "\n") == 55_000 and "the end" in log
