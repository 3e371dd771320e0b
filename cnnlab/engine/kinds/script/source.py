"""What code a script ran from: its git commit, and a hash of what was not committed.

`git diff HEAD --binary` (staged and unstaged changes to tracked files) and the untracked,
not-ignored files (names, sizes and contents) go into one SHA-256, so two runs with the same
commit and the same hash ran the same code; a clean checkout has no hash. An untracked file
larger than `UNTRACKED_CONTENT_LIMIT` (a dataset nobody ignored) counts by name and size only,
so that submitting never reads gigabytes.
"""

from __future__ import annotations

import hashlib
import subprocess
from dataclasses import dataclass
from pathlib import Path

GIT_TIMEOUT_S = 10.0
UNTRACKED_CONTENT_LIMIT = 1024 * 1024


@dataclass(frozen=True)
class SourceState:
    commit: str | None  # None outside a git checkout (or without git)
    dirty: str | None  # sha256 of the uncommitted changes; None when there are none


def _git(folder: Path, *args: str) -> bytes | None:
    try:
        result = subprocess.run(
            ["git", *args],
            cwd=folder,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=GIT_TIMEOUT_S,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return result.stdout if result.returncode == 0 else None


def source_state(folder: Path) -> SourceState:
    """The git state of the checkout holding `folder` (nothing known outside one)."""
    commit = _git(folder, "rev-parse", "--verify", "HEAD")
    if commit is None:
        return SourceState(None, None)
    top = _git(folder, "rev-parse", "--show-toplevel")
    diff = _git(folder, "diff", "HEAD", "--binary", "--no-color", "--no-ext-diff")
    untracked = _git(folder, "ls-files", "--others", "--exclude-standard", "-z", "--full-name")
    if top is None or diff is None or untracked is None:
        return SourceState(commit.decode().strip(), None)
    root = Path(top.decode().strip())
    names = sorted(name for name in untracked.split(b"\0") if name)
    if not diff and not names:
        return SourceState(commit.decode().strip(), None)
    digest = hashlib.sha256()
    digest.update(b"diff\0" + diff)
    for name in names:
        path = root / name.decode(errors="surrogateescape")
        try:
            size = path.stat().st_size
            digest.update(b"\0untracked\0" + name + f"\0{size}\0".encode())
            if size <= UNTRACKED_CONTENT_LIMIT:
                digest.update(path.read_bytes())
        except OSError:
            digest.update(b"\0unreadable\0" + name)
    return SourceState(commit.decode().strip(), digest.hexdigest())
