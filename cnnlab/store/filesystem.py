"""Which filesystem holds the database, so that a network mount is noticed before writes are lost.

Lab home folders are often on NFS, SMB, Lustre, GPFS or a FUSE network mount. There SQLite's
WAL mode is unsafe (its `-shm` wal-index is shared memory that other hosts cannot see) and POSIX
locks and `flock` are unreliable or local to one host, so commits can be lost or the database
damaged, and a second scheduler started on another host would not see the first one's lock.
Nothing in SQLite reports this: `PRAGMA journal_mode=WAL` answers "wal" either way.

This module reads Linux's `/proc/self/mountinfo` (proc(5)) to find the mount that holds a path
and names the network and cluster filesystem types where that is the case. The parser is a pure
function of the file's text; `filesystem_of` reads the real file and answers None where there is
no procfs (macOS, BSD). It imports nothing of ours but the store's errors.
"""

from __future__ import annotations

import os
import re
from typing import NamedTuple

from cnnlab.store.errors import StoreError

MOUNTINFO = "/proc/self/mountinfo"

# Filesystem types (mountinfo's fstype field; FUSE mounts read "fuse.<subtype>") that share files
# between hosts, where SQLite's WAL shared memory and file locks do not work across hosts.
NETWORK_FILESYSTEMS: frozenset[str] = frozenset(
    {
        # NFS (v2/v3 read "nfs", v4.x "nfs4").
        "nfs",
        "nfs4",
        # SMB / CIFS (Linux cifs.ko registers both "cifs" and "smb3"; "smbfs" is the old client).
        "cifs",
        "smb3",
        "smbfs",
        # NetWare, AFS (kAFS and OpenAFS), Coda, Plan 9 (also used by WSL and VM shares).
        "ncpfs",
        "afs",
        "coda",
        "9p",
        # SSHFS.
        "fuse.sshfs",
        "sshfs",
        # GlusterFS.
        "fuse.glusterfs",
        "glusterfs",
        # CephFS: the kernel client and ceph-fuse.
        "ceph",
        "fuse.ceph",
        "fuse.ceph-fuse",
        # HPC parallel filesystems.
        "lustre",
        "gpfs",
        "beegfs",
        "fhgfs",
        "pvfs2",
        "orangefs",
        "panfs",
        "wekafs",
        # Shared-disk cluster filesystems (one disk, many hosts).
        "gfs2",
        "ocfs2",
        # Distributed and object-store FUSE filesystems.
        "fuse.juicefs",
        "juicefs",
        "fuse.mfs",
        "fuse.moosefs",
        "fuse.lizardfs",
        "fuse.s3fs",
        "fuse.goofys",
        "fuse.gcsfuse",
        "fuse.blobfuse",
        "fuse.blobfuse2",
        "fuse.rclone",
        # WebDAV (davfs2).
        "davfs",
        "fuse.davfs",
        "fuse.davfs2",
    }
)


class Mount(NamedTuple):
    """One mount from mountinfo: its filesystem type, source and where it is mounted."""

    fstype: str
    source: str
    mount_point: str

    @property
    def is_network(self) -> bool:
        """Whether SQLite's WAL and locks are unsafe on this filesystem."""
        return is_network_filesystem(self.fstype)


class NetworkFilesystem(StoreError):
    """The database is on a network filesystem and `store.allow_network_filesystem` is not set."""

    def __init__(self, message: str, path: str, mount: Mount) -> None:
        super().__init__(message)
        self.path = path
        self.mount = mount


def is_network_filesystem(fstype: str) -> bool:
    """Whether `fstype` (as mountinfo spells it) is a network or cluster filesystem."""
    return fstype.lower() in NETWORK_FILESYSTEMS


_OCTAL = re.compile(r"\\([0-7]{3})")


def _unescape(field: str) -> str:
    """Undo the kernel's octal escapes (`\\040` space, `\\011` tab, `\\012` newline, `\\134`)."""
    return _OCTAL.sub(lambda m: chr(int(m.group(1), 8)), field)


def parse_mountinfo(text: str) -> list[Mount]:
    """Every well-formed line of mountinfo `text`, in file order; malformed lines are skipped.

    A line is `id parent major:minor root mount_point options [optional...] - fstype source
    super_options`; the optional fields end at the lone `-`.
    """
    mounts = []
    for line in text.splitlines():
        fields = line.split(" ")
        try:
            separator = fields.index("-", 6)
        except ValueError:
            continue
        if len(fields) < separator + 3:
            continue
        mounts.append(
            Mount(
                fstype=_unescape(fields[separator + 1]),
                source=_unescape(fields[separator + 2]),
                mount_point=_unescape(fields[4]),
            )
        )
    return mounts


def _contains(mount_point: str, path: str) -> bool:
    if mount_point == "/":
        return True
    mount_point = mount_point.rstrip("/")
    return path == mount_point or path.startswith(mount_point + "/")


def mount_of(path: str, mountinfo: str) -> Mount | None:
    """The mount in the mountinfo text `mountinfo` that holds the absolute, resolved `path`.

    The longest mount point that is `path` or one of its parent folders wins (`/home` holds
    `/home/ada` but not `/homework`); of several mounts on the same point the later line wins,
    since it is mounted on top. This is what `findmnt -T` answers.
    """
    best: Mount | None = None
    best_length = -1
    for mount in parse_mountinfo(mountinfo):
        length = len(mount.mount_point.rstrip("/"))
        if _contains(mount.mount_point, path) and length >= best_length:
            best, best_length = mount, length
    return best


def _resolved(path: str | os.PathLike[str]) -> str:
    """`path` made absolute with symlinks followed; its folder when it does not exist yet."""
    resolved = os.path.realpath(path)
    if not os.path.exists(resolved):
        resolved = os.path.realpath(os.path.dirname(resolved))
    return resolved


def filesystem_of(path: str | os.PathLike[str], mountinfo: str | None = None) -> Mount | None:
    """The mount holding `path` (a file that may not exist yet, or a folder).

    `mountinfo` is the text of a mountinfo file; unset, this process's `/proc/self/mountinfo` is
    read. None where it cannot be read (no procfs, as on macOS) or no mount matches.
    """
    if mountinfo is None:
        try:
            with open(MOUNTINFO, "rb") as file:
                mountinfo = os.fsdecode(file.read())
        except OSError:
            return None
    return mount_of(_resolved(path), mountinfo)


def network_filesystem_warning(
    path: str | os.PathLike[str], mountinfo: str | None = None
) -> str | None:
    """Why putting the database at `path` is unsafe and what to do, or None on a local disk.

    `mountinfo` as for `filesystem_of`.
    """
    mount = filesystem_of(path, mountinfo)
    if mount is None or not mount.is_network:
        return None
    return _warning(os.path.abspath(path), mount)


def _warning(path: str, mount: Mount) -> str:
    return (
        f"{path} is on a network filesystem ({mount.fstype}: {mount.source} mounted at "
        f"{mount.mount_point}), where SQLite's WAL and file locks do not work across hosts: "
        "writes can be lost, and a second scheduler on another host would not see the first. "
        "Put the database on a local disk with --db or CNNLAB_DB (or run the jobs through the "
        "Slurm backend, which reports through files, with the database on the submitting host's "
        "local disk), or set store.allow_network_filesystem = true in cnnlab.toml to run anyway "
        "at your own risk."
    )


def check_filesystem(
    path: str | os.PathLike[str], *, allow_network: bool, mountinfo: str | None = None
) -> str | None:
    """Refuse a database on a network filesystem unless `allow_network` is set.

    Returns None on a local disk (or where the mount cannot be found), the warning text when
    the filesystem is a network one and `allow_network` is true (for the caller to show or log),
    and raises `NetworkFilesystem` with that text otherwise. `mountinfo` as for `filesystem_of`.
    """
    mount = filesystem_of(path, mountinfo)
    if mount is None or not mount.is_network:
        return None
    where = os.path.abspath(path)
    message = _warning(where, mount)
    if allow_network:
        return message
    raise NetworkFilesystem(message, where, mount)
