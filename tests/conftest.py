"""Fixtures shared by the whole suite: a fresh database file per test, and a CLI runner."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from cnnlab.cli import cli
from cnnlab.store import Store, open_store


@pytest.fixture(autouse=True)
def _isolated_config(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Keep the user's own ~/.config/cnnlab and CNNLAB_DB out of every test."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path_factory.mktemp("xdg")))
    monkeypatch.delenv("CNNLAB_DB", raising=False)


@pytest.fixture(autouse=True)
def _no_lingering_schedulers(tmp_path: Path) -> Iterator[None]:
    """Stop the schedulers a test started for its own databases once it ends.

    A scheduler waits `engine.idle_timeout_s` (5 minutes) before it exits by itself; dozens of
    idle ones polling their databases would slow the rest of the suite down.
    """
    yield
    root = str(tmp_path.parent)
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            args = cmdline.read_bytes().split(b"\0")
        except OSError:
            continue
        if b"cnnlab.engine.runtime.scheduler" in args and any(
            a.decode(errors="replace").startswith(root) for a in args
        ):
            with contextlib.suppress(ProcessLookupError, ValueError):
                os.kill(int(cmdline.parent.name), signal.SIGTERM)


@pytest.fixture
def without_privileges() -> list[str]:
    """A command prefix under which file permissions apply, even when the tests run as root.

    Root bypasses permission bits through CAP_DAC_OVERRIDE; util-linux's `setpriv` drops every
    capability so that a read-only folder really is read-only for the child process.
    """
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("running as root without util-linux's setpriv: cannot drop privileges")
    return [setpriv, "--inh-caps=-all", "--bounding-set=-all", "--"]


@pytest.fixture
def readonly_folder(tmp_path: Path) -> Iterator[Path]:
    """An empty folder that tests make read-only (restored afterwards so it can be cleaned)."""
    folder = tmp_path / "readonly"
    folder.mkdir()
    yield folder
    folder.chmod(0o755)


@pytest.fixture
def tiny_images(tmp_path: Path) -> Path:
    """A Fruits360-layout folder of tiny JPEGs, 11 per class for training (33: one batch at
    the default 32, which submitting checks) and one per class for testing: enough to submit a
    job against (a module's own `images` fixture, where it trains, is a learnable one)."""
    from support.images import write_images

    return write_images(tmp_path / "shapes")


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "experiments.db"


@pytest.fixture
def store(db_path: Path) -> Iterator[Store]:
    with open_store(db_path) as opened:
        yield opened


@pytest.fixture
def invoke() -> Invoke:
    return Invoke()


class Invoke:
    """Runs `cnnlab ARGS` in-process through click's runner (stdout and stderr kept apart)."""

    def __call__(
        self, *args: str, input: str | None = None, env: dict[str, str] | None = None
    ) -> Result:
        return CliRunner().invoke(cli, list(args), input=input, env=env, catch_exceptions=False)


class RunCnnlab:
    """Runs `cnnlab ARGS` as a real process, with no stdin, as CI does."""

    def __call__(
        self,
        *args: str,
        cwd: Path | None = None,
        env: dict[str, str] | None = None,
        user: int | None = None,
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "cnnlab", *args],
            cwd=cwd,
            env={**os.environ, **(env or {})},
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=120,
            user=user,
            check=False,
        )


@pytest.fixture
def run_cnnlab() -> RunCnnlab:
    return RunCnnlab()
