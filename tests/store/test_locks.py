"""A process that holds a connection keeps its POSIX lock on the database file, whatever else it
opens: the kernel's lock table (/proc/locks) is the judge, not SQLite's own bookkeeping."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from cnnlab.store import open_store
from cnnlab.store.locks import holds_lock, lock_holders

pytestmark = pytest.mark.skipif(
    not Path("/proc/locks").exists(), reason="the kernel's lock table needs Linux procfs"
)


def test_a_second_store_and_every_read_of_the_file_keep_the_first_connections_lock(
    db_path: Path,
) -> None:
    from cnnlab.config import load_config
    from cnnlab.store import database_info

    with open_store(db_path) as first:
        first.read("SELECT count(*) FROM experiments")
        assert holds_lock(db_path) is True
        # What a job process does: a second store for its heartbeat thread, then more opens.
        with open_store(db_path) as second:
            second.read("SELECT count(*) FROM experiments")
            database_info(second)
        load_config(db_path)
        with open_store(db_path):
            pass
        assert holds_lock(db_path) is True, "opening the file outside SQLite dropped our lock"


def test_a_plain_open_and_close_of_the_file_would_drop_it(db_path: Path) -> None:
    """The trap itself, so that the check above is known to be able to fail."""
    with open_store(db_path) as store:
        store.read("SELECT count(*) FROM experiments")
        with db_path.open("rb") as handle:
            handle.read(16)
        assert holds_lock(db_path) is False


def test_a_writer_that_closes_last_cannot_delete_the_wal_a_live_process_writes_to(
    db_path: Path, tmp_path: Path
) -> None:
    """The issue's sequence in two processes: a holder opens a second store (as a job does),
    another process writes and closes; the holder's later writes must all be readable."""
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            textwrap.dedent(
                f"""
                import sys
                from cnnlab.store import open_store, create_experiment, append_event
                main = open_store({str(db_path)!r})
                beat = open_store({str(db_path)!r})
                eid = create_experiment(main, 'train', name='holder')
                print(eid, flush=True)
                for line in sys.stdin:
                    append_event(main, eid, 'note', line.strip())
                    print('ok', flush=True)
                """
            ),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdin is not None and holder.stdout is not None
    try:
        experiment_id = int(holder.stdout.readline())
        assert holder.pid in (lock_holders(db_path) or set())
        for round_ in range(3):
            holder.stdin.write(f"before {round_}\n")
            holder.stdin.flush()
            assert holder.stdout.readline().strip() == "ok"
            # Another cnnlab process opens, writes and closes: it must not be "the last one".
            with open_store(db_path) as other:
                other.read("SELECT count(*) FROM experiments")
            assert Path(f"{db_path}-wal").exists()
        holder.stdin.close()
        assert holder.wait(30) == 0
    finally:
        holder.kill()
    with open_store(db_path) as store:
        messages = [
            r["message"]
            for r in store.read(
                "SELECT message FROM events WHERE experiment_id = ? AND kind = 'note'",
                (experiment_id,),
            )
        ]
    assert messages == ["before 0", "before 1", "before 2"]
