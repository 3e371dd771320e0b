"""Opening a database: pragmas, refusals that leave files untouched, locks and permissions."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from cnnlab.store import (
    NotADatabase,
    StoreError,
    StoreLocked,
    create_experiment,
    list_experiments,
    open_store,
)


def test_pragmas_wal_foreign_keys_busy_timeout(db_path: Path) -> None:
    with open_store(db_path, busy_timeout_s=7.5) as store:
        assert store.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert store.conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
        assert store.conn.execute("PRAGMA busy_timeout").fetchone()[0] == 7500
        assert store.runs_dir == db_path.parent / "runs"
        assert store.run_dir(12) == db_path.parent / "runs" / "12"


def test_a_file_that_is_not_sqlite_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("these are my notes, not a database\n")
    before = path.read_bytes()
    with pytest.raises(NotADatabase, match="not an SQLite database"):
        open_store(path)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]


def test_a_folder_is_refused(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="is a folder"):
        open_store(tmp_path)


def test_a_missing_folder_is_refused_without_creating_it(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="does not exist"):
        open_store(tmp_path / "nowhere" / "experiments.db")
    assert not (tmp_path / "nowhere").exists()


def _as_unprivileged(
    code: str, folder: Path, prefix: list[str]
) -> subprocess.CompletedProcess[str]:
    """Run `code` in a fresh interpreter that cannot write `folder`."""
    os.chmod(folder, 0o555)
    return subprocess.run(
        [*prefix, sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )


def test_an_unwritable_folder_gives_a_clear_error_and_creates_nothing(
    readonly_folder: Path, without_privileges: list[str]
) -> None:
    code = textwrap.dedent(f"""
        from cnnlab.store import open_store, StoreReadOnly
        try:
            open_store({str(readonly_folder / "experiments.db")!r})
        except StoreReadOnly as exc:
            print("REFUSED", exc)
    """)
    result = _as_unprivileged(code, readonly_folder, without_privileges)
    assert "REFUSED" in result.stdout, result.stderr
    assert "not writable" in result.stdout
    assert list(readonly_folder.iterdir()) == []


def test_an_existing_database_in_an_unwritable_folder_is_refused(
    readonly_folder: Path, without_privileges: list[str]
) -> None:
    path = readonly_folder / "experiments.db"
    open_store(path).close()
    path.chmod(0o644)
    before = path.read_bytes()
    code = textwrap.dedent(f"""
        from cnnlab.store import open_store, StoreReadOnly
        try:
            open_store({str(path)!r})
        except StoreReadOnly as exc:
            print("REFUSED", exc)
    """)
    result = _as_unprivileged(code, readonly_folder, without_privileges)
    assert "REFUSED" in result.stdout, result.stderr
    assert path.read_bytes() == before


HOLD_LOCK = """
import sqlite3, sys, time
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
if sys.argv[2] == "exclusive":
    conn.execute("PRAGMA locking_mode = EXCLUSIVE")
conn.execute("BEGIN IMMEDIATE")
conn.execute("INSERT INTO events (experiment_id, at, kind) VALUES (1, 0, 'held')")
print("locked", flush=True)
time.sleep(60)
"""


@pytest.fixture
def lock_holder(db_path: Path) -> Iterator[object]:
    with open_store(db_path) as store:
        create_experiment(store, "train")
    processes: list[subprocess.Popen[str]] = []

    def hold(mode: str) -> None:
        process = subprocess.Popen(
            [sys.executable, "-c", HOLD_LOCK, str(db_path), mode],
            stdout=subprocess.PIPE,
            text=True,
        )
        processes.append(process)
        assert process.stdout is not None
        assert process.stdout.readline().strip() == "locked"

    yield hold
    for process in processes:
        process.kill()
        process.wait()


def test_a_writer_held_past_the_busy_timeout_gives_store_locked(db_path: Path, lock_holder) -> None:  # type: ignore[no-untyped-def]
    lock_holder("write")
    with open_store(db_path, busy_timeout_s=0.2) as store:
        assert len(list_experiments(store)) == 1  # WAL: readers are never blocked by a writer
        with pytest.raises(StoreLocked, match="locked by another process"):
            create_experiment(store, "train")


def test_an_exclusive_lock_blocks_even_opening(db_path: Path, lock_holder) -> None:  # type: ignore[no-untyped-def]
    lock_holder("exclusive")
    with pytest.raises(StoreLocked, match=r"waited 0\.2 s"):
        open_store(db_path, busy_timeout_s=0.2)
