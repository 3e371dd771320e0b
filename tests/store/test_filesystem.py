"""Finding the filesystem that holds the database, and refusing network ones unless allowed."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from cnnlab.config import load_config
from cnnlab.errors import ConfigError
from cnnlab.store import (
    Mount,
    NetworkFilesystem,
    StoreError,
    check_filesystem,
    filesystem_of,
    network_filesystem_warning,
)
from cnnlab.store.filesystem import NETWORK_FILESYSTEMS, mount_of, parse_mountinfo

# Lines in the format of a real Linux /proc/self/mountinfo (proc(5)): a local root, an NFS 4.2
# home, a local scratch disk inside it, a CIFS share, an sshfs FUSE mount, a disk whose mount
# point has a space (written \040), and /data mounted twice, the NFS mount on top.
MOUNTINFO = "\n".join(
    [
        "22 1 259:2 / / rw,relatime shared:1 - ext4 /dev/nvme0n1p2 rw,errors=remount-ro",
        "23 22 0:21 / /proc rw,nosuid,nodev,noexec,relatime shared:12 - proc proc rw",
        "24 22 0:5 / /dev rw,nosuid,relatime shared:2 - devtmpfs udev rw,size=8131456k,mode=755",
        "36 22 0:45 / /home rw,relatime shared:20 - nfs4 server:/export/home "
        "rw,vers=4.2,rsize=1048576,wsize=1048576,namlen=255,hard,proto=tcp,timeo=600,retrans=2,"
        "sec=sys,clientaddr=10.0.0.5,local_lock=none,addr=10.0.0.1",
        "37 36 259:3 / /home/ada/scratch rw,relatime shared:21 - xfs /dev/nvme0n1p3 "
        "rw,attr2,inode64,logbufs=8,logbsize=32k,noquota",
        "40 22 0:50 / /mnt/share rw,relatime shared:25 - cifs //fileserver/lab "
        "rw,vers=3.1.1,cache=strict,username=ada,uid=1000,noforceuid,gid=1000,noforcegid,"
        "addr=10.0.0.2,file_mode=0755,dir_mode=0755,soft,nounix,serverino,mapposix,"
        "rsize=4194304,wsize=4194304,bsize=1048576,echo_interval=60,actimeo=1",
        "41 36 0:51 / /home/ada/remote rw,nosuid,nodev,relatime shared:26 - fuse.sshfs "
        "ada@cluster:/scratch/ada rw,user_id=1000,group_id=1000",
        r"42 22 8:17 / /media/ada/My\040Disk rw,nosuid,nodev,relatime shared:27 master:3 - "
        "ext4 /dev/sdb1 rw",
        "43 22 0:52 / /data rw,nosuid,nodev shared:28 - tmpfs tmpfs rw,size=1024k",
        "44 43 0:53 / /data rw,relatime shared:29 - nfs nas:/vol/data "
        "rw,vers=3,rsize=65536,wsize=65536,hard,proto=tcp,mountproto=udp,addr=10.0.0.3",
        "45 22 0:54 /sub /bound rw,relatime - ext4 /dev/sdc1 rw",
    ]
)


def test_parser_reads_every_line_and_its_fields() -> None:
    mounts = parse_mountinfo(MOUNTINFO)
    assert len(mounts) == 11
    assert mounts[0] == Mount("ext4", "/dev/nvme0n1p2", "/")
    assert mounts[3] == Mount("nfs4", "server:/export/home", "/home")
    assert mounts[-1] == Mount("ext4", "/dev/sdc1", "/bound")


def test_malformed_lines_are_skipped() -> None:
    text = "garbage\n\n50 22 0:60 / /x rw - \n" + MOUNTINFO.splitlines()[0]
    assert parse_mountinfo(text) == [Mount("ext4", "/dev/nvme0n1p2", "/")]


def test_nfs4_home() -> None:
    mount = mount_of("/home/ada/experiments.db", MOUNTINFO)
    assert mount == Mount("nfs4", "server:/export/home", "/home")
    assert mount.is_network


def test_cifs_share() -> None:
    mount = mount_of("/mnt/share/lab/experiments.db", MOUNTINFO)
    assert mount == Mount("cifs", "//fileserver/lab", "/mnt/share")
    assert mount.is_network


def test_sshfs_fuse_mount() -> None:
    mount = mount_of("/home/ada/remote/experiments.db", MOUNTINFO)
    assert mount == Mount("fuse.sshfs", "ada@cluster:/scratch/ada", "/home/ada/remote")
    assert mount.is_network


def test_escaped_space_in_mount_point() -> None:
    mount = mount_of("/media/ada/My Disk/lab/experiments.db", MOUNTINFO)
    assert mount == Mount("ext4", "/dev/sdb1", "/media/ada/My Disk")
    assert not mount.is_network
    # The escaped text itself is no path on the disk.
    assert mount_of(r"/media/ada/My\040Disk/x", MOUNTINFO) == Mount("ext4", "/dev/nvme0n1p2", "/")


def test_escapes_of_tab_newline_and_backslash() -> None:
    line = r"60 22 0:70 / /srv/a\011b\012c\134d rw - ext4 /dev/sdd1 rw"
    assert parse_mountinfo(line) == [Mount("ext4", "/dev/sdd1", "/srv/a\tb\nc\\d")]


def test_the_longest_mount_point_wins() -> None:
    assert mount_of("/home/ada/scratch/runs/experiments.db", MOUNTINFO) == Mount(
        "xfs", "/dev/nvme0n1p3", "/home/ada/scratch"
    )
    assert mount_of("/home/ada/scratch", MOUNTINFO) == Mount(
        "xfs", "/dev/nvme0n1p3", "/home/ada/scratch"
    )
    assert mount_of("/home/ada/scratchpad/experiments.db", MOUNTINFO) == Mount(
        "nfs4", "server:/export/home", "/home"
    )


def test_a_mount_point_matches_whole_path_components_only() -> None:
    assert mount_of("/homework/experiments.db", MOUNTINFO) == Mount("ext4", "/dev/nvme0n1p2", "/")
    assert mount_of("/home", MOUNTINFO) == Mount("nfs4", "server:/export/home", "/home")


def test_the_mount_on_top_wins_for_the_same_mount_point() -> None:
    assert mount_of("/data/experiments.db", MOUNTINFO) == Mount("nfs", "nas:/vol/data", "/data")


def test_no_mount_matches_without_a_root_mount() -> None:
    home_only = "36 22 0:45 / /home rw,relatime - nfs4 server:/export/home rw,vers=4.2"
    assert mount_of("/elsewhere/x.db", home_only) is None
    assert mount_of("/elsewhere/x.db", "") is None


def test_the_declared_network_types() -> None:
    for fstype in ("nfs", "nfs4", "cifs", "smb3", "lustre", "gpfs", "beegfs", "ceph", "9p"):
        assert fstype in NETWORK_FILESYSTEMS
    for fstype in ("fuse.sshfs", "fuse.glusterfs", "fuse.ceph-fuse", "fuse.s3fs", "fuse.rclone"):
        assert fstype in NETWORK_FILESYSTEMS
    for local in ("ext4", "xfs", "btrfs", "zfs", "tmpfs", "overlay", "f2fs", "apfs", "fuseblk"):
        assert local not in NETWORK_FILESYSTEMS


def test_warning_names_the_path_the_type_the_mount_and_what_to_do() -> None:
    warning = network_filesystem_warning("/home/ada/lab/experiments.db", MOUNTINFO)
    assert warning is not None
    for part in (
        "/home/ada/lab/experiments.db",
        "nfs4",
        "server:/export/home",
        "/home",
        "WAL",
        "locks",
        "lost",
        "second scheduler",
        "--db",
        "CNNLAB_DB",
        "Slurm",
        "store.allow_network_filesystem = true",
        "cnnlab.toml",
    ):
        assert part in warning, part
    assert network_filesystem_warning("/home/ada/scratch/experiments.db", MOUNTINFO) is None
    assert network_filesystem_warning("/homework/experiments.db", MOUNTINFO) is None


def test_check_refuses_unless_allowed() -> None:
    path = "/mnt/share/experiments.db"
    with pytest.raises(StoreError, match=r"cifs: //fileserver/lab mounted at /mnt/share") as info:
        check_filesystem(path, allow_network=False, mountinfo=MOUNTINFO)
    assert isinstance(info.value, NetworkFilesystem)
    assert info.value.path == path
    assert info.value.mount == Mount("cifs", "//fileserver/lab", "/mnt/share")
    warning = check_filesystem(path, allow_network=True, mountinfo=MOUNTINFO)
    assert warning == network_filesystem_warning(path, MOUNTINFO)
    assert check_filesystem("/srv/x.db", allow_network=False, mountinfo=MOUNTINFO) is None


def _real_fstype_and_target(path: Path) -> tuple[str, str | None]:
    """What the system's own tools say about `path`: findmnt's type and target, or stat's type."""
    findmnt = shutil.which("findmnt")
    if findmnt:
        out = subprocess.run(
            [findmnt, "-n", "-o", "FSTYPE,TARGET", "-T", str(path)],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        fstype, target = out.split(None, 1)
        return fstype, target
    stat = shutil.which("stat")
    if stat is None:
        pytest.skip("neither findmnt nor stat is installed to compare with")
    out = subprocess.run(
        [stat, "-f", "-c", "%T", str(path)], capture_output=True, text=True, check=True
    ).stdout.strip()
    return out, None


def _same_type(ours: str, theirs: str) -> bool:
    # stat -f names the superblock magic: ext4 reads "ext2/ext3", overlay "overlayfs".
    if theirs == "ext2/ext3":
        return ours in {"ext2", "ext3", "ext4"}
    return ours == theirs or ours + "fs" == theirs


@pytest.mark.skipif(not Path("/proc/self/mountinfo").exists(), reason="no procfs here")
def test_filesystem_of_a_tmp_path_on_this_machine(tmp_path: Path) -> None:
    db = tmp_path / "experiments.db"  # does not exist yet: its folder is looked at
    mount = filesystem_of(db)
    assert mount is not None
    fstype, target = _real_fstype_and_target(tmp_path)
    assert _same_type(mount.fstype, fstype), (mount, fstype)
    if target is not None:
        assert mount.mount_point == target
    assert mount.is_network == (fstype in NETWORK_FILESYSTEMS)
    db.touch()
    assert filesystem_of(db) == mount
    assert filesystem_of(str(db)) == mount


def test_filesystem_of_without_procfs_is_none(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("cnnlab.store.filesystem.MOUNTINFO", "/nonexistent/proc/self/mountinfo")
    assert filesystem_of("/tmp/experiments.db") is None
    assert network_filesystem_warning("/tmp/experiments.db") is None


@pytest.fixture
def tmpfs_dir(tmp_path: Path) -> Iterator[Path]:
    """A 1 MiB tmpfs really mounted at a folder of tmp_path, unmounted afterwards."""
    if not sys.platform.startswith("linux"):
        pytest.skip("tmpfs mounts are Linux only")
    mount, umount = shutil.which("mount"), shutil.which("umount")
    if mount is None or umount is None:
        pytest.skip("mount/umount are not installed")
    target = tmp_path / "tmpfs"
    target.mkdir()
    result = subprocess.run(
        [mount, "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(target)],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        pytest.skip(f"mounting a tmpfs is not permitted here: {result.stderr.strip()}")
    try:
        yield target
    finally:
        if subprocess.run([umount, str(target)], check=False).returncode != 0:
            subprocess.run([umount, "-l", str(target)], check=False)


def test_a_real_tmpfs_mount_is_local(tmpfs_dir: Path, tmp_path: Path) -> None:
    db = tmpfs_dir / "experiments.db"
    mount = filesystem_of(db)
    assert mount is not None
    assert mount.fstype == "tmpfs"
    assert mount.mount_point == os.path.realpath(tmpfs_dir)
    assert not mount.is_network
    assert network_filesystem_warning(db) is None
    assert check_filesystem(db, allow_network=False) is None
    # A symlink is followed to the mount it points into; its own folder is on another mount.
    link = tmp_path / "link"
    link.symlink_to(tmpfs_dir, target_is_directory=True)
    assert filesystem_of(link / "experiments.db") == mount
    assert filesystem_of(tmp_path / "experiments.db") != mount


def test_the_config_key_defaults_to_false_and_takes_a_boolean(tmp_path: Path) -> None:
    db = tmp_path / "experiments.db"
    assert load_config(db).store.allow_network_filesystem is False
    toml = tmp_path / "cnnlab.toml"
    toml.write_text("[store]\nallow_network_filesystem = true\n")
    assert load_config(db).store.allow_network_filesystem is True
    toml.write_text('[store]\nallow_network_filesystem = "yes"\n')
    with pytest.raises(ConfigError, match=r"cnnlab.toml:2: 'store.allow_network_filesystem' must"):
        load_config(db)
