"""Every error a user can cause is one `Error:` line, exit code 2, and nothing changed.

Each case here once gave a traceback or a half-made row: a `runs` file or an unwritable runs/
folder beside the database, a config folder that cannot be searched, a half-applied migration,
`data synth` and `report --plots` into a place that cannot be written. Permissions are tested
with capabilities dropped (`without_privileges`), since CI runs as root.
"""

from __future__ import annotations

import errno
import os
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result
from support.cli_errors import one_error_line

from cnnlab.data import write_cifar100_archive
from cnnlab.store import create_experiment, open_store

Invoke = Callable[..., Result]


def rows(db_path: Path) -> list[tuple[object, ...]]:
    """Every experiment with its status, and the number of events, read without writing."""
    conn = sqlite3.connect(f"{db_path.as_uri()}?mode=ro", uri=True)
    try:
        experiments = conn.execute("SELECT id, kind, status FROM experiments ORDER BY id")
        events = conn.execute("SELECT count(*) FROM events").fetchone()
        return [*experiments.fetchall(), events]
    finally:
        conn.close()


def tree(folder: Path) -> dict[str, bytes | None]:
    """Every path under `folder` with a file's bytes (None for a folder)."""
    return {
        str(path.relative_to(folder)): None if path.is_dir() else path.read_bytes()
        for path in sorted(folder.rglob("*"))
    }


def run_as_user(without_privileges: list[str], *args: str) -> subprocess.CompletedProcess[str]:
    """`cnnlab ARGS` in a process that file permissions apply to, even under root."""
    return subprocess.run(
        [*without_privileges, sys.executable, "-m", "cnnlab", *args],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        check=False,
        timeout=120,
    )


@pytest.fixture
def cifar(tmp_path: Path) -> Path:
    return write_cifar100_archive(tmp_path / "data" / "cifar-100-python.tar.gz", fine_classes=4)


@pytest.fixture
def lab(tmp_path: Path) -> Path:
    """A database with one stopped training run and one running one, in its own folder."""
    db = tmp_path / "lab" / "experiments.db"
    db.parent.mkdir()
    with open_store(db) as store:
        create_experiment(store, "train", model="alexnet", status="stopped")
        create_experiment(store, "train", model="alexnet", status="running")
    return db


SUBMITS = {
    "train": lambda db, data: ["train", "-m", "alexnet", "-d", str(data), "--db", str(db)],
    "train --repeat": lambda db, data: [
        "train",
        "-m",
        "alexnet",
        "-d",
        str(data),
        "--repeat",
        "3",
        "--db",
        str(db),
    ],
    "resume": lambda db, data: ["resume", "1", "--db", str(db)],
    "convert (waits for a running run)": lambda db, data: ["convert", "2", "--db", str(db)],
    "import": lambda db, data: ["import", str(data.parent / "m.tflite"), "--db", str(db)],
}


@pytest.mark.parametrize("command", SUBMITS)
def test_a_runs_file_beside_the_database_refuses_every_submit(
    invoke: Invoke, lab: Path, cifar: Path, command: str
) -> None:
    (cifar.parent / "m.tflite").write_bytes(b"not checked: the runs folder comes first")
    runs = lab.parent / "runs"
    runs.write_text("someone's notes")
    before = rows(lab)

    result = invoke(*SUBMITS[command](lab, cifar))

    assert result.exit_code == 2
    one_error_line(result.stderr, f"{runs} exists and is not a folder", "--db")
    assert rows(lab) == before
    assert runs.read_text() == "someone's notes"


def test_an_unwritable_runs_folder_refuses_a_submit(
    lab: Path, cifar: Path, without_privileges: list[str]
) -> None:
    runs = lab.parent / "runs"
    runs.mkdir()
    runs.chmod(0o555)
    before = rows(lab)
    try:
        result = run_as_user(
            without_privileges, "train", "-m", "alexnet", "-d", str(cifar), "--db", str(lab)
        )
    finally:
        runs.chmod(0o755)

    assert result.returncode == 2
    one_error_line(result.stderr, f"the folder {runs} is not writable")
    assert rows(lab) == before
    assert list(runs.iterdir()) == []


@pytest.mark.parametrize("blocked", ["cnnlab folder", "XDG_CONFIG_HOME"])
def test_a_config_folder_that_cannot_be_searched(
    tmp_path: Path, lab: Path, without_privileges: list[str], blocked: str
) -> None:
    xdg = Path(os.environ["XDG_CONFIG_HOME"])
    (xdg / "cnnlab").mkdir()
    (xdg / "cnnlab" / "cnnlab.toml").write_text("[engine]\nmax_parallel = 2\n")
    folder = xdg / "cnnlab" if blocked == "cnnlab folder" else xdg
    folder.chmod(0o600)
    try:
        result = run_as_user(without_privileges, "ls", "--db", str(lab))
    finally:
        folder.chmod(0o755)

    assert result.returncode == 2
    one_error_line(result.stderr, f"the folder {folder} cannot be searched", "Permission denied")


def test_a_half_applied_migration_leaves_the_database_untouched(
    run_cnnlab,  # type: ignore[no-untyped-def]
    db_path: Path,
) -> None:
    open_store(db_path).close()
    # The columns of m004 exist, its record does not (a crashed or copied schema).
    conn = sqlite3.connect(db_path)
    conn.execute("DELETE FROM _migrations WHERE name = 'm004_backend_jobs'")
    conn.execute("PRAGMA user_version = 3")
    conn.commit()
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    before = tree(db_path.parent)

    result = run_cnnlab("ls", "--db", str(db_path))

    assert result.returncode == 2
    one_error_line(
        result.stderr,
        f"{db_path} cannot be upgraded: migration m004_backend_jobs was half applied",
        "duplicate column name: backend_state",
        "nothing was changed",
        "backup",
    )
    assert tree(db_path.parent) == before


def test_a_foreign_database_with_an_experiments_table_is_refused(
    invoke: Invoke, db_path: Path
) -> None:
    conn = sqlite3.connect(db_path)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("CREATE TABLE experiments (x INTEGER)")
    conn.execute("INSERT INTO experiments VALUES (42)")
    conn.commit()
    conn.close()
    before = db_path.read_bytes()

    result = invoke("ls", "--db", str(db_path))

    assert result.exit_code == 2
    one_error_line(result.stderr, "table experiments already exists", "not a cnnlab database")
    assert db_path.read_bytes() == before


def test_synth_into_an_unwritable_folder(
    readonly_folder: Path, without_privileges: list[str]
) -> None:
    readonly_folder.chmod(0o555)
    target = readonly_folder / "fruits"

    result = run_as_user(
        without_privileges, "data", "synth", str(target), "--classes", "2", "--per-class", "2"
    )

    assert result.returncode == 2
    one_error_line(result.stderr, f"Cannot write a dataset to {target}", "is not writable")
    assert list(readonly_folder.iterdir()) == []


def test_synth_below_a_file(invoke: Invoke, tmp_path: Path) -> None:
    (tmp_path / "notes").write_text("mine")

    result = invoke(
        "data", "synth", str(tmp_path / "notes" / "fruits"), "--classes", "2", "--per-class", "1"
    )

    assert result.exit_code == 2
    one_error_line(result.stderr, f"{tmp_path / 'notes'} is a file")
    assert tree(tmp_path) == {"notes": b"mine"}


def test_synth_that_fails_midway_removes_what_it_wrote(
    invoke: Invoke, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_write = Path.write_bytes
    written: list[Path] = []

    def write_until_full(self: Path, data: bytes) -> int:
        if len(written) == 3:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(self))
        written.append(self)
        return real_write(self, data)

    monkeypatch.setattr(Path, "write_bytes", write_until_full)
    target = tmp_path / "new" / "fruits"

    result = invoke("data", "synth", str(target), "--classes", "2", "--per-class", "4")

    assert result.exit_code == 2
    one_error_line(result.stderr, f"Could not write the dataset to {target}", "No space left")
    assert written and list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("where", ["a file", "below a file", "unknown format"])
def test_report_plots_refused_before_anything_is_printed(
    invoke: Invoke, lab: Path, where: str
) -> None:
    notes = lab.parent / "notes"
    notes.write_text("mine")
    folder = {"a file": notes, "below a file": notes / "figures"}.get(where, lab.parent / "f")
    formats = "png,gif" if where == "unknown format" else "png"
    before = tree(lab.parent)

    result = invoke(
        "report", "1", "--plots", str(folder), "--figure-format", formats, "--db", str(lab)
    )

    assert result.exit_code == 2
    expected = "Unknown figure format 'gif'" if where == "unknown format" else "Cannot write"
    one_error_line(result.stderr, expected)
    assert result.stdout == ""
    assert tree(lab.parent) == before


def test_report_plots_into_an_unwritable_folder(
    lab: Path, readonly_folder: Path, without_privileges: list[str]
) -> None:
    readonly_folder.chmod(0o555)

    result = run_as_user(
        without_privileges, "report", "1", "--plots", str(readonly_folder), "--db", str(lab)
    )

    assert result.returncode == 2
    one_error_line(result.stderr, f"the folder {readonly_folder} is not writable")
    assert result.stdout == ""
    assert list(readonly_folder.iterdir()) == []


def test_inspect_a_folder_that_cannot_be_searched(
    tmp_path: Path, without_privileges: list[str]
) -> None:
    folder = tmp_path / "photos"
    (folder / "cats").mkdir(parents=True)
    folder.chmod(0o600)  # readable (click's own check passes), but not searchable
    try:
        result = run_as_user(without_privileges, "data", "inspect", str(folder))
    finally:
        folder.chmod(0o755)

    assert result.returncode == 2
    one_error_line(result.stderr, str(folder), "Permission denied", "permissions")


def test_an_unexplained_os_error_is_one_line_not_a_traceback(
    invoke: Invoke, lab: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The safety net in run_guarded, for an OSError that no command put into words."""
    import cnnlab.store

    where = lab.parent / "runs"

    def disk_full(*args: object, **kwargs: object) -> object:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(where))

    monkeypatch.setattr(cnnlab.store, "database_info", disk_full)

    result = invoke("db", "info", "--db", str(lab))

    assert result.exit_code == 2
    one_error_line(result.stderr, "No space left on device", str(where))
    assert result.stdout == ""
