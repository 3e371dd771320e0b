"""A database path must name a regular file (or nothing yet): devices, FIFOs, sockets are refused.

`refuse_special_file` only calls stat, so these tests never open /dev/null (SQLite, given it,
creates /dev/null-journal beside the device).
"""

from __future__ import annotations

import os
import socket
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from cnnlab.store import StoreError
from cnnlab.store.paths import refuse_special_file


@pytest.fixture
def unix_socket(tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "db.sock"
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(path))
    yield path
    server.close()


def test_a_regular_file_or_a_new_name_passes(tmp_path: Path) -> None:
    existing = tmp_path / "experiments.db"
    existing.write_bytes(b"")
    refuse_special_file(existing)
    refuse_special_file(tmp_path / "new.db")
    (tmp_path / "link.db").symlink_to(existing)
    refuse_special_file(tmp_path / "link.db")
    (tmp_path / "dangling.db").symlink_to(tmp_path / "not-yet.db")
    refuse_special_file(tmp_path / "dangling.db")  # SQLite creates the link's target
    refuse_special_file(existing / "below-a-file.db")  # left to the "folder" check


def test_dev_null_is_a_character_device() -> None:
    with pytest.raises(StoreError) as caught:
        refuse_special_file(Path("/dev/null"))
    assert str(caught.value) == (
        "/dev/null is a character device, but the database must be a regular file; "
        "point --db or CNNLAB_DB at a file such as ./experiments.db."
    )


def test_a_link_to_dev_null_is_followed(tmp_path: Path) -> None:
    (tmp_path / "experiments.db").symlink_to("/dev/null")
    with pytest.raises(StoreError, match="is a character device"):
        refuse_special_file(tmp_path / "experiments.db")


def test_a_fifo_a_socket_and_a_folder(tmp_path: Path, unix_socket: Path) -> None:
    fifo = tmp_path / "db.fifo"
    os.mkfifo(fifo)
    for path, kind in (
        (fifo, "a FIFO (named pipe)"),
        (unix_socket, "a socket"),
        (tmp_path, "a folder"),
    ):
        with pytest.raises(StoreError) as caught:
            refuse_special_file(path)
        assert f"{path} is {kind}, but the database must be a regular file" in str(caught.value)


def test_a_block_device(tmp_path: Path) -> None:
    device = tmp_path / "disk"
    try:
        os.mknod(device, stat.S_IFBLK | 0o600, os.makedev(7, 0))
    except (PermissionError, OSError):
        pytest.skip("cannot make a block device node here")
    with pytest.raises(StoreError, match="is a block device"):
        refuse_special_file(device)


def test_a_folder_that_cannot_be_searched(
    readonly_folder: Path, without_privileges: list[str]
) -> None:
    readonly_folder.chmod(0o600)
    code = (
        "import sys; from pathlib import Path; from cnnlab.store.paths import refuse_special_file\n"
        "try:\n    refuse_special_file(Path(sys.argv[1]))\n"
        "except Exception as exc:\n    print(type(exc).__name__, exc)\n"
    )
    result = subprocess.run(
        [*without_privileges, sys.executable, "-c", code, str(readonly_folder / "e.db")],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.stdout.startswith(f"StoreError Cannot look at {readonly_folder / 'e.db'}")
    assert "Permission denied" in result.stdout


def test_the_cli_refuses_a_fifo_as_its_database(run_cnnlab, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    fifo = tmp_path / "experiments.db"
    os.mkfifo(fifo)

    result = run_cnnlab("ls", env={"CNNLAB_DB": str(fifo)})

    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr
    assert lines[0] == (
        f"Error: {fifo} is a FIFO (named pipe), but the database must be a regular file; "
        "point --db or CNNLAB_DB at a file such as ./experiments.db."
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["experiments.db"]
