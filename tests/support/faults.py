"""What the fault-injection tests and `bench/reliability.py` share: real processes, real mounts.

Everything here acts on the real thing: the kernel's lock table, `kill -9`, tmpfs mounts made
for the test, files written until the kernel answers ENOSPC.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from cnnlab.store import FINAL_STATUSES, list_epochs, open_store
from cnnlab.store.locks import lock_holders
from support.waiting import wait_for

TRAIN = ["--model", "alexnet", "--input", "32", "--batch", "8"]


def cnnlab(*args: str, timeout: float = 180) -> subprocess.CompletedProcess[str]:
    """`cnnlab ARGS` as a user's shell runs it: its own process, no stdin."""
    return subprocess.run(
        [sys.executable, "-m", "cnnlab", *args],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def synth(folder: Path, *, classes: int = 3, per_class: int = 40) -> Path:
    result = cnnlab(
        "data", "synth", str(folder), "--classes", str(classes), "--per-class", str(per_class),
        "--size", "32", "--seed", "3",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return folder


def submit(db: Path, data: Path, *args: str) -> int:
    result = cnnlab("train", *TRAIN, "--data", str(data), "--json", "--db", str(db), *args)
    assert result.returncode == 0, result.stderr
    return int(json.loads(result.stdout)["id"])


def row(db: Path, experiment_id: int) -> dict[str, object]:
    with open_store(db) as store:
        found = store.read("SELECT * FROM experiments WHERE id = ?", (experiment_id,))
        return dict(found[0])


def epoch_numbers(db: Path, experiment_id: int) -> list[int]:
    with open_store(db) as store:
        return [e.epoch for e in list_epochs(store, experiment_id)]


def cnnlab_processes(db: Path) -> dict[int, str]:
    """Every live cnnlab scheduler or job process serving `db`: pid -> its module."""
    found: dict[int, str] = {}
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            args = [a.decode(errors="replace") for a in cmdline.read_bytes().split(b"\0")]
            state = (cmdline.parent / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except (OSError, IndexError):
            continue
        if state == "Z" or str(db) not in args:
            continue
        for module in ("cnnlab.engine.runtime.scheduler", "cnnlab.engine.runtime.job"):
            if module in args:
                found[int(cmdline.parent.name)] = module
    return found


def processes_without_lock(db: Path) -> dict[int, str]:
    """The cnnlab processes with the database open that the kernel says hold no lock on it.

    In WAL mode a connection keeps a shared lock from its first read until it closes, so a
    process with the file open and no lock has lost it, and would write into a WAL that the
    next closing process deletes. (One that has not opened the file yet is left out; two
    looks a moment apart rule out a connection caught between opening and its first read.)
    """
    suspects: dict[int, str] = {}
    for _ in range(2):
        holders = lock_holders(db) or set()
        suspects = {
            pid: module
            for pid, module in cnnlab_processes(db).items()
            if pid not in holders and _has_open(pid, db) and (not suspects or pid in suspects)
        }
        if not suspects:
            break
        time.sleep(0.2)
    return suspects


def _has_open(pid: int, path: Path) -> bool:
    target = os.path.realpath(path)
    try:
        links = list(Path(f"/proc/{pid}/fd").iterdir())
    except OSError:
        return False
    for link in links:
        with contextlib.suppress(OSError):
            if os.readlink(link) == target:
                return True
    return False


def kill9(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)


@contextlib.contextmanager
def tmpfs(folder: Path, size: str) -> Iterator[Path]:
    """A tmpfs of `size` mounted at `folder` for the block; raises PermissionError if the
    machine does not let this process mount (the caller skips with that reason)."""
    folder.mkdir(parents=True, exist_ok=True)
    result = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise PermissionError(f"cannot mount a tmpfs here: {result.stderr.strip()}")
    try:
        yield folder
    finally:
        for _ in range(50):
            unmounted = subprocess.run(["umount", str(folder)], capture_output=True, check=False)
            if unmounted.returncode == 0:
                break
            time.sleep(0.1)  # a job process may still hold a file there
        else:
            subprocess.run(["umount", "-l", str(folder)], check=False)


def fill(folder: Path) -> Path:
    """Write a file in `folder` until its filesystem is full; returns the file."""
    path = folder / "filler"
    block = b"\0" * (1 << 16)
    with path.open("ab") as handle:
        try:
            while True:
                handle.write(block)
                handle.flush()
        except OSError as exc:
            if exc.errno != errno.ENOSPC:
                raise
    return path


def partial_files(folder: Path) -> list[Path]:
    """Files a crash or a full disk left half-written: temporaries and unreferenced
    checkpoint files (the checkpoint's state.json names the ones it uses)."""
    found = [p for p in folder.rglob("*") if p.name.startswith(".partial-") or p.suffix == ".tmp"]
    for checkpoint in folder.rglob("checkpoint"):
        state_path = checkpoint / "state.json"
        if not checkpoint.is_dir():
            continue
        keep = {"state.json"}
        if state_path.exists():
            state = json.loads(state_path.read_text())
            keep |= {state["model_file"], state.get("best_weights_file")}
        found += [p for p in checkpoint.iterdir() if p.name not in keep]
    return found


@dataclass
class KillRounds:
    """What a run of seeded kill -9 rounds did and found."""

    rounds: int = 0
    kills: dict[str, int] = field(default_factory=lambda: {"scheduler": 0, "job": 0})
    missed: int = 0  # the victim had not started or had already ended at that moment
    resumed: int = 0
    epochs_expected: int = 0
    epochs_stored: int = 0
    rows_lost: int = 0  # rows that did not end done with all their epochs
    without_lock: int = 0  # samples where a cnnlab process held no lock on the database
    problems: list[str] = field(default_factory=list)


def kill_rounds(db: Path, data: Path, rounds: int, seed: int, epochs: int = 4) -> KillRounds:
    """Submit a short training per round, kill -9 the scheduler or the job at a seeded random
    moment, then do what a user would: `cnnlab ls` until the row settles, `resume` if it is
    lost. Every round must end `done` with epochs 1..N exactly once each."""
    rng = random.Random(seed)
    report = KillRounds()
    for _ in range(rounds):
        report.rounds += 1
        job = submit(db, data, "--epochs", str(epochs), "--patience", "-1")
        victim = rng.choice(["scheduler", "job"])
        time.sleep(rng.uniform(0.2, 9.0))  # start-up, training, checkpoints, saving, the end
        module = f"cnnlab.engine.{victim}"
        pids = [pid for pid, name in cnnlab_processes(db).items() if name == module]
        if pids:
            report.without_lock += len(processes_without_lock(db))
            for pid in pids:
                kill9(pid)
            report.kills[victim] += 1
        else:
            report.missed += 1
        for attempt in range(2):
            wait_for(
                lambda: _settled(db, job),  # noqa: B023 (called before `job` changes)
                timeout=300,
                what=f"experiment {job} to settle",
            )
            if row(db, job)["status"] == "done" or attempt:
                break
            resumed = cnnlab("resume", str(job), "--db", str(db))
            if resumed.returncode != 0:
                report.problems.append(f"resume {job}: {resumed.stderr.strip()}")
                break
            report.resumed += 1
        ended = row(db, job)
        numbers = epoch_numbers(db, job)
        report.epochs_expected += epochs
        report.epochs_stored += len(numbers)
        if ended["status"] != "done" or numbers != list(range(1, epochs + 1)):
            report.rows_lost += 1
            report.problems.append(
                f"experiment {job}: {ended['status']} ({ended['error']}), epochs {numbers}"
            )
    return report


def _settled(db: Path, job: int) -> bool:
    """`cnnlab ls` settles dead jobs and restarts a killed scheduler, as a user's look would."""
    cnnlab("ls", "--db", str(db))
    return row(db, job)["status"] in FINAL_STATUSES


def lock_loss_round(base: Path, data: Path, epochs: int = 20) -> list[str]:
    """The sequence that used to lose a running job's writes: a long training, `engine stop`,
    another writer, commands that open and close the database; returns what went wrong."""
    problems: list[str] = []
    db = base / "experiments.db"
    job = submit(db, data, "--epochs", str(epochs), "--patience", "-1")
    wait_for(lambda: len(epoch_numbers(db, job)) >= 2, what="two epochs")
    problems += [f"pid {p} ({m}) holds no lock" for p, m in processes_without_lock(db).items()]
    stopped = cnnlab("engine", "stop", "--db", str(db))
    if stopped.returncode != 0:
        problems.append(f"engine stop: {stopped.stderr.strip()}")
    other = submit(db, data, "--epochs", "1")  # another writer; it starts a new scheduler
    for _ in range(3):  # each opens and closes the database while the job writes
        listed = cnnlab("ls", "--db", str(db))
        if listed.returncode != 0:
            problems.append(f"ls: {listed.stderr.strip()}")
        if not Path(f"{db}-wal").exists():
            problems.append("a closing process deleted the WAL the job writes to")
    problems += [f"pid {p} ({m}) holds no lock" for p, m in processes_without_lock(db).items()]
    wait_for(lambda: row(db, job)["status"] != "running", timeout=300, what="the job to end")
    ended = row(db, job)
    if ended["status"] != "done":
        problems.append(f"experiment {job} ended {ended['status']}: {ended['error']}")
    if epoch_numbers(db, job) != list(range(1, epochs + 1)):
        problems.append(f"experiment {job} has epochs {epoch_numbers(db, job)}")
    wait_for(lambda: row(db, other)["status"] in FINAL_STATUSES, what="the other job")
    if row(db, other)["status"] != "done":
        problems.append(f"the other writer's job ended {row(db, other)['status']}")
    cnnlab("engine", "stop", "--db", str(db))
    return problems


def _free(folder: Path) -> int:
    stats = os.statvfs(folder)
    return stats.f_bavail * stats.f_frsize


def full_disk_round(base: Path, data: Path, where: str) -> list[str]:
    """A disk that fills during training, on a tmpfs mounted `where`: under the database (and
    so under everything), under `runs/`, or under the first experiment's checkpoint folder.

    Returns what went wrong; raises PermissionError where mounting is not allowed.
    """
    problems: list[str] = []
    disk = base / "disk" if where == "database" else base
    db = disk / "experiments.db"
    folder, size = {
        "database": (disk, "48m"),
        "runs": (base / "runs", "6m"),  # smaller than one checkpoint
        "checkpoint": (base / "runs" / "1" / "checkpoint", "2m"),
    }[where]
    with tmpfs(folder, size):
        try:
            job = submit(db, data, "--epochs", "40" if where == "database" else "5",
                         "--patience", "-1")  # fmt: skip
            filler = None
            if where == "database":  # fill it once the first checkpoint is on it
                state = disk / "runs" / str(job) / "checkpoint" / "state.json"
                wait_for(state.exists, what="the first checkpoint")
                filler = fill(disk)
            wait_for(lambda: row(db, job)["status"] not in ("queued", "running"), what="the end")
            ended = row(db, job)
            if ended["status"] != "failed" or not str(ended["error"]).startswith("Disk full"):
                problems.append(f"ended {ended['status']}: {ended['error']}")
            epochs = epoch_numbers(db, job)
            if not epochs or epochs != list(range(1, len(epochs) + 1)):
                problems.append(f"epochs kept: {epochs}")
            problems += [f"half-written: {p}" for p in partial_files(disk / "runs")]
            for command in (["ls"], ["show", str(job)], ["logs", str(job)], ["engine", "status"]):
                read = cnnlab(*command, "--db", str(db))  # on the full disk
                if read.returncode != 0 or "Traceback" in read.stderr:
                    problems.append(f"{' '.join(command)}: {read.stderr.strip()[-300:]}")
            before = _free(folder)
            removed = cnnlab("rm", str(job), "--yes", "--db", str(db))
            if removed.returncode != 0:
                problems.append(f"rm: {removed.stderr.strip()}")
            leftover = list(folder.iterdir()) if where == "checkpoint" else []
            if ((disk / "runs" / str(job)).exists() and where != "checkpoint") or leftover:
                problems.append(f"rm left {leftover or disk / 'runs' / str(job)}")
            if where == "database" and _free(folder) < before + 4 * 2**20:
                problems.append(f"rm freed only {_free(folder) - before} bytes")
            if filler is not None:
                filler.unlink()
        finally:
            cnnlab("engine", "stop", "--db", str(db))
    return problems
