"""A database on a network filesystem: submitting is refused (nothing queued, no scheduler),
reading warns, and `store.allow_network_filesystem = true` lets a user run there anyway.

No NFS server can run here, so the mount table is this machine's real /proc/self/mountinfo
plus one NFSv4 line (in the kernel's format) mounted on the test's folder.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from cnnlab.store import open_store


@pytest.fixture
def on_nfs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "home"
    folder.mkdir()
    table = Path("/proc/self/mountinfo").read_text() + (
        f"912 27 0:77 / {folder} rw,relatime shared:400 - nfs4 fileserver:/export/home "
        "rw,vers=4.2,rsize=1048576,wsize=1048576,hard,proto=tcp,sec=sys\n"
    )
    mountinfo = tmp_path / "mountinfo"
    mountinfo.write_text(table)
    monkeypatch.setattr("cnnlab.store.filesystem.MOUNTINFO", str(mountinfo))
    return folder / "experiments.db"


def _rows(db: Path) -> int:
    with open_store(db) as store:
        return int(store.read("SELECT count(*) FROM experiments")[0][0])


def test_submitting_is_refused_and_reading_warns(invoke, on_nfs: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    data = tmp_path / "data"
    assert invoke("data", "synth", str(data), "--classes", "2", "--per-class", "20").exit_code == 0
    result = invoke("train", "--model", "alexnet", "--data", str(data), "--db", str(on_nfs))
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ")
    assert "network filesystem (nfs4: fileserver:/export/home" in lines[0]
    assert "local disk" in lines[0] and "allow_network_filesystem" in lines[0]
    assert _rows(on_nfs) == 0
    assert not (on_nfs.parent / "runs" / ".scheduler.lock").exists()

    listed = invoke("ls", "--db", str(on_nfs))
    assert listed.exit_code == 0
    assert listed.stderr.startswith("Warning: ") and "no scheduler starts" in listed.stderr


def test_allowed_by_config_it_queues_with_a_warning(invoke, on_nfs: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    (on_nfs.parent / "cnnlab.toml").write_text("[store]\nallow_network_filesystem = true\n")
    data = tmp_path / "data"
    assert invoke("data", "synth", str(data), "--classes", "2", "--per-class", "20").exit_code == 0
    queued = invoke(
        "train",
        "--model",
        "alexnet",
        "--data",
        str(data),
        "--input",
        "32",
        "--epochs",
        "1",
        "--db",
        str(on_nfs),
    )
    assert queued.exit_code == 0, queued.stderr
    assert _rows(on_nfs) == 1
    listed = invoke("ls", "--db", str(on_nfs))
    assert listed.exit_code == 0 and "network filesystem" in listed.stderr
    invoke("stop", "1", "--db", str(on_nfs))  # the job itself is not what this test is about
