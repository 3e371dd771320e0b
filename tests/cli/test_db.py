"""`cnnlab db info`, `cnnlab config`, `--version`, and the bad databases every command survives."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from cnnlab import __version__
from cnnlab.store import create_experiment, open_store


def test_version(run_cnnlab) -> None:  # type: ignore[no-untyped-def]
    result = run_cnnlab("--version")
    assert result.returncode == 0 and result.stdout.strip() == f"cnnlab, version {__version__}"


def test_db_info_creates_the_default_database(run_cnnlab, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    result = run_cnnlab("db", "info", "--json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    info = json.loads(result.stdout)
    assert info["path"] == str(tmp_path / "experiments.db")
    assert info["runs_dir"] == str(tmp_path / "runs")
    assert info["schema_version"] == info["latest_schema_version"] >= 1
    assert info["journal_mode"] == "wal"
    assert info["counts"]["experiments"] == 0
    assert set(info["counts"]) >= {
        "experiments",
        "epochs",
        "events",
        "artifacts",
        "devices",
        "bench_runs",
        "latency_samples",
    }
    assert info["size_bytes"] > 0
    assert (tmp_path / "experiments.db").exists()
    people = run_cnnlab("db", "info", cwd=tmp_path)
    assert "schema version" in people.stdout


def test_config_lists_every_key_with_its_source(invoke, db_path: Path) -> None:  # type: ignore[no-untyped-def]
    (db_path.parent / "cnnlab.toml").write_text("[engine]\nmax_parallel = 3\n")
    data = json.loads(invoke("config", "--db", str(db_path), "--json").stdout)
    values = {row["key"]: row["value"] for row in data["settings"]}
    assert values["engine.max_parallel"] == 3
    assert data["loaded"] == [str(db_path.parent / "cnnlab.toml")]
    assert all(row["doc"] for row in data["settings"])


def test_a_bad_config_is_one_line_with_file_and_line(run_cnnlab, db_path: Path) -> None:  # type: ignore[no-untyped-def]
    (db_path.parent / "cnnlab.toml").write_text("[engine]\nmax_parallel = 'many'\n")
    result = run_cnnlab("ls", "--db", str(db_path))
    assert result.returncode == 2
    assert result.stderr.strip() == (
        f"Error: {db_path.parent / 'cnnlab.toml'}:2: 'engine.max_parallel' must be an integer, "
        "got 'many'."
    )
    assert not db_path.exists()


def test_a_file_that_is_not_sqlite_is_left_untouched(run_cnnlab, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "results.csv"
    path.write_text("model,accuracy\nalexnet,0.971\n")
    before = path.read_bytes()
    for command in (["ls"], ["show", "1"], ["rm", "1", "--yes"], ["db", "info"]):
        result = run_cnnlab(*command, "--db", str(path))
        assert result.returncode == 2
        # One sentence for both: telling them apart would mean reading the header outside
        # SQLite, which drops this process's locks on a database it has open.
        assert result.stderr.strip() == (
            f"Error: {path} is not a usable cnnlab database: not an SQLite database, or a damaged "
            "one; point --db at a cnnlab database or a new file name, or restore it from a backup."
        )
        assert "Traceback" not in result.stderr
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["results.csv"]


def test_a_newer_schema_is_left_untouched(run_cnnlab, db_path: Path) -> None:  # type: ignore[no-untyped-def]
    open_store(db_path).close()
    conn = sqlite3.connect(db_path)
    conn.execute("INSERT INTO _migrations VALUES ('m099_future_feature', 0)")
    conn.commit()
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    before = db_path.read_bytes()
    result = run_cnnlab("db", "info", "--db", str(db_path))
    assert result.returncode == 2
    assert "was written by a newer cnnlab (it has m099_future_feature)" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert db_path.read_bytes() == before


def test_an_unwritable_folder_creates_nothing(  # type: ignore[no-untyped-def]
    readonly_folder: Path, without_privileges: list[str]
) -> None:
    readonly_folder.chmod(0o555)
    result = subprocess.run(
        [
            *without_privileges,
            sys.executable,
            "-m",
            "cnnlab",
            "db",
            "info",
            "--db",
            str(readonly_folder / "experiments.db"),
        ],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        check=False,
        timeout=60,
    )
    assert result.returncode == 2
    assert "is not writable" in result.stderr and "Traceback" not in result.stderr
    assert list(readonly_folder.iterdir()) == []


LOCKER = """
import sqlite3, sys, time
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("BEGIN IMMEDIATE")
conn.execute("UPDATE experiments SET name = 'held'")
print("locked", flush=True)
time.sleep(60)
"""


def test_a_database_locked_past_the_busy_timeout(run_cnnlab, db_path: Path) -> None:  # type: ignore[no-untyped-def]
    with open_store(db_path) as store:
        create_experiment(store, "train")
    (db_path.parent / "cnnlab.toml").write_text("[store]\nbusy_timeout_s = 0.3\n")
    holder = subprocess.Popen(
        [sys.executable, "-c", LOCKER, str(db_path)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        result = run_cnnlab("rm", "1", "--yes", "--db", str(db_path))
        assert result.returncode == 2
        assert result.stderr.strip() == (
            f"Error: {db_path} is locked by another process (waited 0.3 s); try again when it "
            "finishes, or raise store.busy_timeout_s in cnnlab.toml."
        )
        assert run_cnnlab("ls", "--db", str(db_path)).returncode == 0  # reading still works
    finally:
        holder.kill()
        holder.wait()
    assert json.loads(run_cnnlab("ls", "--json", "--db", str(db_path)).stdout)["total"] == 1


@pytest.mark.parametrize("args", [["--help"], ["ls", "--help"], ["train", "--help"]])
def test_help_works_without_a_database(run_cnnlab, tmp_path: Path, args: list[str]) -> None:  # type: ignore[no-untyped-def]
    result = run_cnnlab(*args, cwd=tmp_path)
    assert result.returncode == 0 and "Usage:" in result.stdout
    assert list(tmp_path.iterdir()) == []
