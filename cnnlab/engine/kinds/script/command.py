"""Whether a command can run: its folder, its program, and the Python script it names.

Asked when a script job is submitted (so a typo is one sentence, not a queued job that fails
later) and again when it starts (the file may have gone since). The program is found as a
shell would find it, on the submitter's PATH or by its path relative to the working folder;
nothing here ever runs a shell.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Sequence
from pathlib import Path

from cnnlab.errors import CnnlabError

_PYTHON = re.compile(r"^python(\d+(\.\d+)*)?$")
# Python's own options that take a value as the next argument (`python -W ignore x.py`).
_PYTHON_VALUE_OPTIONS = ("-W", "-X", "--check-hash-based-pycs")


class CommandError(CnnlabError):
    """A command that cannot run as given (no such folder, program or script)."""


def check_folder(cwd: Path) -> None:
    if not cwd.exists():
        raise CommandError(f"The working folder {cwd} does not exist.")
    if not cwd.is_dir():
        raise CommandError(f"The working folder {cwd} is not a folder.")
    if not os.access(cwd, os.X_OK):
        raise CommandError(f"The working folder {cwd} cannot be entered (permission denied).")


def resolve_program(program: str, cwd: Path, path: str | None = None) -> str:
    """The absolute path `program` runs as: a path (relative to `cwd`) or a name on `path`."""
    if "/" in program:
        found = cwd / program
        if not found.exists():
            raise CommandError(f"The program {program} does not exist (looked in {cwd}).")
        if found.is_dir():
            raise CommandError(f"The program {program} is a folder, not a program.")
        if not os.access(found, os.X_OK):
            raise CommandError(
                f"{program} is not executable; `chmod +x {program}`, or run it through its "
                f"interpreter (`python {program}`)."
            )
        # Absolute, but symlinks kept: a virtualenv's bin/python is a link to the base
        # interpreter, and run through its target it would not be that virtualenv's.
        return os.path.abspath(found)
    located = shutil.which(program, path=path if path is not None else os.environ.get("PATH"))
    if located is None:
        beside = cwd / program
        hint = f"; write ./{program} to run the one in {cwd}" if beside.is_file() else ""
        raise CommandError(f"No program {program!r} on PATH{hint}.")
    return str(Path(located).absolute())


def python_script(argv: Sequence[str]) -> str | None:
    """The script a `python [options] SCRIPT ...` command runs; None for `-m`, `-c`, stdin or a
    program that is not Python."""
    if not _PYTHON.match(Path(argv[0]).name):
        return None
    args = iter(argv[1:])
    for arg in args:
        if arg in ("-m", "-c", "-") or (arg.startswith(("-m", "-c")) and not arg.startswith("--")):
            return None
        if arg in _PYTHON_VALUE_OPTIONS:
            next(args, None)
            continue
        if arg.startswith("-"):
            continue
        return arg
    return None


def check_command(
    argv: Sequence[str], cwd: Path, path: str | None = None, *, program: str | None = None
) -> str:
    """Refuse a command that cannot start; returns the program's absolute path (`program`:
    the one it resolved to when submitted, checked again)."""
    check_folder(cwd)
    program = resolve_program(program or argv[0], cwd, path)
    script = python_script(argv)
    if script is not None:
        file = cwd / script
        if not file.exists():
            raise CommandError(f"The script {script} does not exist (looked in {cwd}).")
        if not file.is_file():
            raise CommandError(f"The script {script} is not a file.")
    return program


def script_folder(argv: Sequence[str], cwd: Path, program: str | None) -> Path:
    """Where the code that runs lives, for its git state: the Python script's folder, a
    script run by path, else the working folder."""
    script = python_script(argv)
    if script is not None:
        return (cwd / script).parent
    if "/" in argv[0] and program is not None:
        return Path(program).parent
    return cwd
